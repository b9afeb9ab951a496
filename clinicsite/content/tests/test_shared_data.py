"""What pages keep between renders (menu, clinic details, private sections, the newsletter box,
the route to a page) is never shown after it has changed.

The page cache is off here, so every request renders and only the remembered data could be
stale.
"""

import datetime
import re

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from wagtail.models import Page, PageViewRestriction
from wagtail.rich_text import RichText

import pytest

from clinicsite.clinic.models import ClinicSettings, Condition
from clinicsite.content.models import (
    CONSENT_VALID_MONTHS,
    ArticlePage,
    ConditionPage,
    PatientStoryPage,
    Person,
    StoryIndexPage,
    add_months,
)
from clinicsite.core import pagecache
from clinicsite.newsletter.templatetags import newsletter_tags

from .factories import draft_article

pytestmark = pytest.mark.django_db

ARTICLE = "/articles/can-stem-cells-help-lupus/"


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


def menu(client, path="/"):
    nav = client.get(path).content.decode().split('<nav class="site-nav"')[1].split("</nav>")[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def test_publishing_a_new_title_changes_the_menu(client):
    assert ("/stories/", "Patient stories") in menu(client)
    stories = StoryIndexPage.objects.get()
    stories.title = "Their stories"
    stories.save_revision().publish()
    assert ("/stories/", "Their stories") in menu(client)


def test_a_page_taken_out_of_the_menu_leaves_it(client):
    assert ("/stories/", "Patient stories") in menu(client)
    stories = StoryIndexPage.objects.get()
    stories.show_in_menus = False
    stories.save_revision().publish()
    assert "/stories/" not in dict(menu(client))


def test_saving_the_clinic_details_changes_the_footer(client):
    assert b"Quayside Row" in client.get(ARTICLE).content
    details = ClinicSettings.objects.get()
    details.street_address = "1 New Harbour Street"
    details.save()
    content = client.get(ARTICLE).content
    assert b"1 New Harbour Street" in content
    assert b"Quayside Row" not in content


def test_a_private_section_leaves_menus_and_listings_and_asks_for_a_login(client):
    stories = StoryIndexPage.objects.get()
    assert "/stories/" in dict(menu(client))
    assert b"/stories/amaras-story/" in client.get("/").content  # the home page's story cards
    restriction = PageViewRestriction.objects.create(
        page=stories, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name="Editor"))

    assert "/stories/" not in dict(menu(client))
    assert b"/stories/amaras-story/" not in client.get("/").content
    response = client.get("/stories/amaras-story/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]

    restriction.delete()
    assert "/stories/" in dict(menu(client))
    assert client.get("/stories/amaras-story/").status_code == 200


def test_every_box_gets_a_fresh_form_token(client, monkeypatch):
    tokens = iter(["first-token:abc", "second-token:def"])
    monkeypatch.setattr(newsletter_tags, "form_token", lambda: next(tokens))
    first = client.get(ARTICLE).content.decode()
    second = client.get(ARTICLE).content.decode()
    assert 'name="form_token" value="first-token:abc"' in first
    assert 'name="form_token" value="second-token:def"' in second
    assert newsletter_tags.TOKEN_PLACEHOLDER not in first + second
    assert first.replace("first-token:abc", "") == second.replace("second-token:def", "")


def test_the_box_records_the_page_it_was_shown_on_and_offers_new_topics(client):
    assert (
        'name="source" value="/conditions/lupus/"'
        in client.get("/conditions/lupus/").content.decode()
    )
    assert 'name="source" value="/"' in client.get("/").content.decode()
    Condition.objects.create(name="Crohn's disease", slug="crohns")
    assert "Crohn&#x27;s disease" in client.get("/").content.decode()


def test_routing_finds_pages_below_an_unpublished_section(client):
    """Wagtail serves a live page under a draft parent; so does the one-query route."""
    index = Page.objects.get(url_path="/home/articles/")
    index.unpublish()
    assert client.get(ARTICLE).status_code == 200
    assert client.get("/articles/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/articles/no-such-article/", "/articles/can-stem-cells-help-lupus/more/", "/x/y/"]
)
def test_routing_answers_404_for_pages_that_do_not_exist(client, path):
    assert client.get(path).status_code == 404


def test_routing_falls_back_to_the_tree_when_stored_url_paths_are_out_of_date(client):
    ArticlePage.objects.filter(slug="can-stem-cells-help-lupus").update(url_path="/stale/")
    Page.objects.filter(slug="can-stem-cells-help-lupus").update(url_path="/stale/")
    assert client.get(ARTICLE).status_code == 200


def test_unpublished_pages_are_not_served(client):
    ArticlePage.objects.get(slug="can-stem-cells-help-lupus").unpublish()
    assert client.get(ARTICLE).status_code == 404


def test_the_generation_moves_again_when_the_change_commits(django_capture_on_commit_callbacks):
    before = pagecache.generation()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Condition.objects.create(name="Scleroderma", slug="scleroderma")
        during = pagecache.generation()
    assert during == before + 1  # at once, for the saving request itself
    assert pagecache.generation() == before + 2  # and after commit, over anything cached since


def test_remembered_data_is_rebuilt_in_a_new_generation():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert pagecache.remember("test-key", build) == 1
    assert pagecache.remember("test-key", build) == 1
    pagecache.bump_generation()
    assert pagecache.remember("test-key", build) == 2


PAGES = [
    "/",
    "/articles/",
    ARTICLE,
    "/conditions/",
    "/conditions/lupus/",
    "/stories/",
    "/stories/amaras-story/",
    "/about/",
    "/outcomes/",
]


def without_token(response):
    return re.sub(r'name="form_token" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize("path", PAGES)
def test_remembered_parts_render_exactly_what_a_fresh_render_shows(client, path):
    fresh = without_token(client.get(path))
    assert without_token(client.get(path)) == fresh
    pagecache.bump_generation()
    assert without_token(client.get(path)) == fresh


def body_text(text):
    return [("paragraph", RichText(f"<p>{text}</p>"))]


def test_publishing_a_new_body_shows_it(client):
    client.get(ARTICLE)
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    article.body = body_text("An entirely rewritten article body.")
    article.save_revision().publish()
    assert "An entirely rewritten article body." in client.get(ARTICLE).content.decode()


def test_a_preview_shows_the_draft_not_the_remembered_live_page(client):
    live = client.get(ARTICLE).content.decode()
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    article.body = body_text("A draft nobody has published.")
    draft = article.save_revision().as_object()
    preview = draft.make_preview_request().content.decode()
    assert "A draft nobody has published." in preview
    assert "A draft nobody has published." not in client.get(ARTICLE).content.decode()
    assert client.get(ARTICLE).content.decode().count("<p>") == live.count("<p>")


def test_editing_a_person_changes_their_box(client):
    assert "Consultant in lupus care" not in client.get(ARTICLE).content.decode()
    person = Person.objects.get(name="Dr Miriam Okafor")
    person.job_title = "Consultant in lupus care"
    person.save()
    assert '<p class="person-box__title">Consultant in lupus care</p>' in (
        client.get(ARTICLE).content.decode()
    )


def test_a_new_article_joins_the_listings_that_show_it(client):
    for path in ("/", "/conditions/lupus/", "/articles/"):
        assert "A newly published article" not in client.get(path).content.decode()
    article = draft_article(title="A newly published article", slug="newly-published")
    article.related_conditions = [ConditionPage.objects.get(slug="lupus")]
    article.save_revision().publish()
    for path in ("/", "/conditions/lupus/", "/articles/"):
        assert "A newly published article" in client.get(path).content.decode(), path


def test_a_story_leaves_the_listings_the_day_its_consent_lapses(client, monkeypatch):
    today = datetime.date(2026, 3, 10)
    PatientStoryPage.objects.filter(slug="amaras-story").update(
        consent_confirmed_on=add_months(today, -CONSENT_VALID_MONTHS) + datetime.timedelta(days=1)
    )  # no signal: only the date moves on
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    assert b"/stories/amaras-story/" in client.get("/").content
    assert b"/stories/amaras-story/" in client.get("/conditions/lupus/").content
    monkeypatch.setattr(
        timezone, "localdate", lambda *args, **kwargs: today + datetime.timedelta(days=1)
    )
    assert b"/stories/amaras-story/" not in client.get("/").content
    assert b"/stories/amaras-story/" not in client.get("/conditions/lupus/").content
