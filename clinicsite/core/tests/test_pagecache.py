from django.http import HttpResponse

import pytest

from clinicsite.content.models import ArticlePage, Person
from clinicsite.core.pagecache import _cacheable_response

pytestmark = pytest.mark.django_db
ARTICLE = "/articles/can-stem-cells-help-lupus/"


def test_anonymous_readers_get_the_cached_page(client):
    first = client.get(ARTICLE)
    second = client.get(ARTICLE)
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_publishing_shows_the_new_version_at_once(client):
    client.get(ARTICLE)
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    article.lede = "A brand new summary."
    article.save_revision().publish()
    response = client.get(ARTICLE)
    assert response["X-Page-Cache"] == "miss"
    assert b"A brand new summary." in response.content


def test_editing_an_author_refreshes_pages_that_show_them(client):
    client.get(ARTICLE)
    person = Person.objects.get(name="Dr Miriam Okafor")
    person.job_title = "Consultant in lupus care"
    person.save()
    assert b"Consultant in lupus care" in client.get(ARTICLE).content


def test_signed_in_staff_and_query_strings_bypass_the_cache(client, django_user_model):
    client.get("/articles/")
    assert "X-Page-Cache" not in client.get("/articles/?tag=lupus")
    client.force_login(django_user_model.objects.create_user("staff", password="pw"))
    assert "X-Page-Cache" not in client.get("/articles/")


def test_health_check_is_never_cached(client):
    client.get("/healthz")
    assert "X-Page-Cache" not in client.get("/healthz")


@pytest.mark.parametrize(
    "prepare",
    [
        lambda r: r.set_cookie("csrftoken", "x"),
        lambda r: r.__setitem__("Vary", "Accept-Encoding, Cookie"),
        lambda r: r.__setitem__("Cache-Control", "private"),
        lambda r: r.__setitem__("Cache-Control", "max-age=0, no-cache"),
        lambda r: setattr(r, "status_code", 404),
    ],
    ids=["sets-cookie", "varies-on-cookie", "private", "no-cache", "not-200"],
)
def test_personal_or_failed_responses_are_never_stored(prepare):
    response = HttpResponse("x")
    assert _cacheable_response(response)
    prepare(response)
    assert not _cacheable_response(response)


def test_a_new_release_never_serves_the_previous_releases_pages(client, monkeypatch):
    from clinicsite.core import pagecache

    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/")["X-Page-Cache"] == "hit"
    assert len(pagecache.release()) == 12
    monkeypatch.setattr(pagecache, "release", lambda: "next-release")
    assert client.get("/")["X-Page-Cache"] == "miss"
