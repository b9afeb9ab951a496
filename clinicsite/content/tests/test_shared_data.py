"""What pages keep between renders (menu, clinic details, private sections, the newsletter box,
the route to a page) is never shown after it has changed.

The page cache is off here, so every request renders and only the remembered data could be
stale.
"""

import re

from django.contrib.auth.models import Group
from django.db import transaction

from wagtail.models import Page, PageViewRestriction

import pytest

from clinicsite.clinic.models import ClinicSettings, Condition
from clinicsite.content.models import ArticlePage, StoryIndexPage
from clinicsite.core import pagecache
from clinicsite.newsletter.templatetags import newsletter_tags

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
