"""The subscriber's pages: sign-up with and without JavaScript, confirmation, leaving."""

import re
import time

from django.core import mail
from django.test import Client

import pytest

from clinicsite.clinic.models import Condition
from clinicsite.newsletter.mail import confirm_url, preferences_url, unsubscribe_url
from clinicsite.newsletter.models import ConsentEvent, Subscriber
from clinicsite.newsletter.tokens import form_token

from . import factories

pytestmark = pytest.mark.django_db

CONTENT_PAGES = [
    "/",
    "/articles/can-stem-cells-help-lupus/",
    "/conditions/lupus/",
    "/stories/amaras-story/",
]


def post(client, email="ana@example.org", *, json=False, age=10, **extra):
    data = {
        "email": email,
        "language": "en",
        "form_token": form_token(time.time() - age),
        "source": "/conditions/lupus/",
        "website": "",
        **extra,
    }
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post("/newsletter/", data, **headers)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.parametrize("url", CONTENT_PAGES)
def test_every_content_page_has_the_box_and_stays_cacheable(client, url):
    first = client.get(url)
    html = first.content.decode()
    assert 'action="/newsletter/"' in html
    assert 'name="email"' in html
    assert 'name="language"' in html
    assert 'name="topics"' in html
    assert "csrfmiddlewaretoken" not in html  # the page cache serves it to everyone
    assert not first.cookies
    assert first["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_newsletter_page_is_never_cached(client):
    response = client.get("/newsletter/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "X-Page-Cache" not in response
    assert "Send me the clinic" in response.content.decode()


def test_signup_without_javascript(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "Ana@Example.org", topics=[Condition.objects.get(slug="lupus").pk])
    assert response.status_code == 200
    assert "check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Ana@example.org"
    assert subscriber.status == "pending"
    assert subscriber.events.get().source == "/conditions/lupus/"
    assert mail.outbox[0].to == ["Ana@example.org"]


def test_signup_with_javascript_answers_json(client):
    response = post(client, json=True)
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert "check your inbox" in data["message"]
    assert data["form_token"]


def test_the_answer_is_the_same_for_known_and_unknown_addresses(client):
    factories.subscriber(email="known@example.org")
    known = post(client, "known@example.org", json=True).json()
    unknown = post(client, "unknown@example.org", json=True).json()
    assert known["message"] == unknown["message"]
    assert known["ok"] == unknown["ok"]
    html_known = re.sub(
        r'value="[^"]*:[^"]*"', "", post(client, "known@example.org").content.decode()
    )
    html_unknown = re.sub(
        r'value="[^"]*:[^"]*"', "", post(client, "unknown@example.org").content.decode()
    )
    assert html_known == html_unknown


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your e-mail address."),
        ("ana.example.org", "needs an @"),
        ("ana@example", "in the form name@example.org"),
        ("a" * 300 + "@example.org", "too long"),
        ("x" * 5000, "too long"),
        ("ana@example.org\r\nBcc: all@example.com", "line breaks"),
        ("<script>alert(1)</script>@example.org", "in the form name@example.org"),
        ("jörg@exämple.de", "in the form name@example.org"),
        ("'; DROP TABLE newsletter_subscriber; --", "needs an @"),
    ],
)
def test_bad_addresses_get_a_clear_error_next_to_the_field_and_keep_what_was_typed(
    client, typed, message
):
    lupus = Condition.objects.get(slug="lupus")
    response = post(client, typed, topics=[lupus.pk], language="es")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'id="newsletter-email_error"' in html
    assert 'aria-invalid="true"' in html
    assert "<script>alert(1)</script>" not in html
    if "\n" not in typed and len(typed) < 1000:
        from django.utils.html import escape

        assert f'value="{escape(typed)}"' in html or not typed
    assert f'value="{lupus.pk}"' in html
    assert "checked" in html
    assert re.search(r'<option value="es" selected>', html)
    assert not Subscriber.objects.exists()
    as_json = post(client, typed, json=True)
    assert as_json.status_code == 400
    assert message in " ".join(as_json.json()["errors"]["email"])


def test_malformed_fields_never_cause_a_500(client):
    for data in [
        {"email": "a@example.org", "language": "klingon", "form_token": form_token(0)},
        {"email": "a@example.org", "language": "en", "topics": ["999999", "x", "1 OR 1=1"]},
        {"email": ["a@example.org", "b@example.org"], "language": "en"},
        {"form_token": "x" * 10_000},
        {},
    ]:
        response = client.post("/newsletter/", data)
        assert response.status_code in (200, 400), data


def test_honeypot_looks_like_success_and_stores_nothing(client):
    response = post(client, website="http://spam.example")
    assert response.status_code == 200
    assert "check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize("token", ["fresh", "missing", "forged"])
def test_too_fast_or_tokenless_submissions_are_asked_again_and_keep_input(client, token):
    values = {"fresh": form_token(), "missing": "", "forged": "1:abc"}
    response = post(client, "gil@example.org", form_token=values[token])
    html = response.content.decode()
    assert "press “Subscribe” once more" in html
    assert 'value="gil@example.org"' in html
    assert not Subscriber.objects.exists()


def test_signups_are_rate_limited_per_ip(client, settings):
    settings.NEWSLETTER_SIGNUPS_PER_IP_HOUR = 3
    for n in range(3):
        assert post(client, f"r{n}@example.org").status_code == 200
    response = post(client, "r9@example.org")
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert 'value="r9@example.org"' in response.content.decode()
    assert Subscriber.objects.count() == 3


def test_confirm_link_shows_a_button_and_only_the_post_confirms(client):
    subscriber = factories.subscriber(status=Subscriber.Status.PENDING)
    url = path_of(confirm_url(subscriber))
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"  # a link scanner's GET confirms nothing
    done = client.post(url)
    assert done.status_code == 200
    assert "Subscription confirmed" in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"


@pytest.mark.parametrize("suffix", ["x", "", "%00", "<script>"])
def test_tampered_links_are_refused_politely(client, suffix):
    subscriber = factories.subscriber(status=Subscriber.Status.PENDING)
    for url in (confirm_url(subscriber), unsubscribe_url(subscriber), preferences_url(subscriber)):
        bad = path_of(url).rstrip("/")[:-3] + suffix + "/"
        response = client.get(bad)
        assert response.status_code in (400, 404)
        if response.status_code == 400:
            assert "This link does not work" in response.content.decode()


def test_expired_confirmation_link(client, settings, monkeypatch):
    subscriber = factories.subscriber(status=Subscriber.Status.PENDING)
    url = path_of(confirm_url(subscriber))
    later = time.time() + (settings.NEWSLETTER_CONFIRM_DAYS + 1) * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_token():
    subscriber = factories.subscriber()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(unsubscribe_url(subscriber)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    assert subscriber.events.get(kind="unsubscribed").method == ConsentEvent.Method.ONE_CLICK


def test_unsubscribe_link_in_the_footer_asks_first_then_leaves(client):
    subscriber = factories.subscriber()
    url = path_of(unsubscribe_url(subscriber))
    assert "Stop sending the newsletter" in client.get(url).content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert "You have left the list" in client.post(url).content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_preferences_change_topics_leave_and_come_back(client, django_capture_on_commit_callbacks):
    subscriber = factories.subscriber(email="hal@example.org")
    url = path_of(preferences_url(subscriber))
    lupus = Condition.objects.get(slug="lupus")
    response = client.post(url, {"action": "save", "topics": [lupus.pk], "language": "es"})
    assert "Your preferences are saved." in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.language == "es"
    assert list(subscriber.topics.all()) == [lupus]
    client.post(url, {"action": "unsubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "resubscribe"})
    assert "sent you a link to confirm" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"
    assert mail.outbox[-1].to == ["hal@example.org"]
    bad = client.post(url, {"action": "save", "language": "xx"})
    assert bad.status_code == 400
    assert "Choose a language from the list." in bad.content.decode()


def test_preferences_form_is_csrf_protected():
    subscriber = factories.subscriber()
    client = Client(enforce_csrf_checks=True)
    response = client.post(path_of(preferences_url(subscriber)), {"action": "unsubscribe"})
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"


def test_correcting_a_mistake_keeps_the_fill_time_clock_running(client):
    token = form_token(time.time() - 1)  # rendered a second ago
    first = post(client, "pat@example", form_token=token, json=True).json()
    assert first["form_token"] == token  # not reset by the error
    time.sleep(1.1)
    assert post(client, "pat@example.org", form_token=first["form_token"], json=True).json()["ok"]
