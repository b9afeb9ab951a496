"""A private page stays private whatever the caches hold: they speed pages up, they never decide
who may see one.

Caches can lose entries at any time (a full file cache culls, Redis evicts under memory
pressure, a server restarts) and can hold entries written before a change committed.
"""

from django.contrib.auth.models import Group
from django.core.cache import caches

from wagtail.models import PageViewRestriction

import pytest

from clinicsite.content.models import ArticlePage, StoryIndexPage
from clinicsite.core import pagecache

pytestmark = pytest.mark.django_db

STORY = "/stories/amaras-story/"
STORY_TEXT = b"Amara"


def make_private(page) -> PageViewRestriction:
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editor"))
    return restriction


def asks_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def test_a_lost_generation_never_brings_back_what_was_cached_before(client, page_cache_on):
    """The cache culls the generation key after a section became private: whatever the pages
    and parts cached while it was public must not be served again."""
    assert client.get(STORY).status_code == 200  # cached: the whole page and its parts
    assert client.get(STORY)["X-Page-Cache"] == "hit"
    make_private(StoryIndexPage.objects.get())

    caches["pages"].delete(pagecache.GENERATION_KEY)  # evicted, as a full cache would

    assert asks_to_sign_in(client.get(STORY))
    assert b"/stories/amaras-story/" not in client.get("/").content  # nor in the listings


def test_every_cache_emptied_a_private_page_stays_private(client, page_cache_on):
    make_private(StoryIndexPage.objects.get())
    assert asks_to_sign_in(client.get(STORY))
    for alias in ("default", "pages"):
        caches[alias].clear()
    assert asks_to_sign_in(client.get(STORY))
    assert asks_to_sign_in(client.get(STORY))  # and again, with the caches filled afresh


def test_the_privacy_check_reads_the_database_not_the_cache(client, settings):
    """Whatever the default cache holds for this generation (written by a request that read
    the rows before the restriction committed, or by anyone who can write to the cache), the
    check before serving is the database's answer."""
    settings.PAGE_CACHE_SECONDS = 0
    assert client.get(STORY).status_code == 200  # route and parts remembered
    generation = pagecache.generation()
    remembered = {key: caches["default"].get(key) for key in _remembered_keys()}

    make_private(StoryIndexPage.objects.get())
    # As if the restriction had never started a new generation: the same generation, with
    # everything remembered while the section was public.
    caches["pages"].set(pagecache.GENERATION_KEY, generation, None)
    caches["default"].set_many(remembered, None)

    response = client.get(STORY)
    assert asks_to_sign_in(response)
    assert STORY_TEXT not in response.content


def test_a_private_article_is_refused_on_its_own_restriction(client, settings):
    """A restriction on the page itself, not only on its section."""
    settings.PAGE_CACHE_SECONDS = 0
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    assert client.get(article.url).status_code == 200
    make_private(article)
    assert asks_to_sign_in(client.get(article.url))


def _remembered_keys() -> list[str]:
    cache = caches["default"]
    return [key.split(":", 2)[-1] for key in cache._cache]  # locmem: ":version:key"


def test_a_page_below_an_alias_of_a_private_page_is_refused(client, settings):
    """Wagtail checks an alias's source page for restrictions."""
    settings.PAGE_CACHE_SECONDS = 0
    stories = StoryIndexPage.objects.get()
    stories.create_alias(update_slug="stories-elsewhere")
    make_private(stories)
    assert asks_to_sign_in(client.get("/stories-elsewhere/"))
    assert asks_to_sign_in(client.get(STORY))
