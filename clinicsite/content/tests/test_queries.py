"""Query budgets of the public pages, so that an N+1 or a lost cache fails the suite.

Each page is measured twice with the page cache off: rendered again in the same cache
generation (what a visitor with a session or a query string costs), and rendered just after a
new generation starts (publishing anything), when every remembered fragment is rebuilt.
Listings must cost the same however many pages they show, even with nothing cached.
"""

from django.core.cache import caches

import pytest

from clinicsite.content.models import ArticleIndexPage, ArticlePage, ConditionPage
from clinicsite.core import pagecache
from clinicsite.core.models import ClinicImage

from .factories import draft_article

pytestmark = pytest.mark.django_db

# path: (queries in the same generation, at most after a new one)
# A served page costs its own query and one asking whether any page is private; each
# ``.public()`` listing reads the restrictions once more: privacy is never read from a cache.
BUDGETS = {
    "/": (2, 17),
    "/articles/can-stem-cells-help-lupus/": (2, 16),
    "/stories/amaras-story/": (2, 12),
    "/conditions/lupus/": (2, 17),
    "/outcomes/": (0, 4),
    "/articles/": (6, 11),
}


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


@pytest.mark.parametrize("path", BUDGETS)
def test_pages_stay_within_their_query_budget(
    client, path, django_assert_num_queries, django_assert_max_num_queries
):
    same_generation, new_generation = BUDGETS[path]
    assert client.get(path).status_code == 200  # renditions and caches exist from here on
    with django_assert_num_queries(same_generation):
        assert client.get(path).status_code == 200
    pagecache.bump_generation()
    with django_assert_max_num_queries(new_generation):
        assert client.get(path).status_code == 200


def publish_articles(count):
    """``count`` new articles on lupus, each with an image of its own (as listings would)."""
    images = list(ClinicImage.objects.order_by("-pk")[:count])
    assert len(images) == count
    lupus = ConditionPage.objects.get(slug="lupus")
    for image in images:
        article = draft_article(listing_image=image)
        article.related_conditions = [lupus]
        article.save_revision().publish()


def queries_from_cold_caches(client, path, django_assert_max_num_queries):
    """Queries of a render with nothing cached, not even renditions (but all generated)."""
    client.get(path)
    for alias in ("default", "pages"):
        caches[alias].clear()
    with django_assert_max_num_queries(1000) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/articles/", "/conditions/lupus/", "/"])
def test_listing_queries_do_not_grow_with_the_pages_listed(
    client, path, django_assert_max_num_queries
):
    publish_articles(1)
    few = queries_from_cold_caches(client, path, django_assert_max_num_queries)
    publish_articles(4)  # more than home shows: its three are all new articles
    assert ArticlePage.objects.child_of(ArticleIndexPage.objects.get()).live().count() == 6
    many = queries_from_cold_caches(client, path, django_assert_max_num_queries)
    assert many == few
