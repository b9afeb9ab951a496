"""The list in the Wagtail admin: who sees it, exports audited, digests composed and sent."""

from django.contrib.auth.models import Group
from django.core import mail

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.content.models import ArticlePage
from clinicsite.core.models import AuditEntry
from clinicsite.newsletter.models import Digest, Subscriber
from clinicsite.newsletter.services import subscribers

from . import factories

pytestmark = pytest.mark.django_db

SUBSCRIBERS = "/admin/newsletter/subscribers/"
DIGESTS = "/admin/newsletter/digests/"


def staff(django_user_model, role, username=None):
    username = username or role.lower().replace(" ", "-")
    user = django_user_model.objects.create_user(username, email=f"{username}@clinic.example")
    user.groups.add(Group.objects.get(name=role))
    return user


def ledgered_subscriber():
    subscriber = subscribers.subscriber_signup(
        email="jo@example.org", topics=[], language="en", source="/conditions/lupus/"
    )
    return subscriber


def test_marketing_lists_filters_and_inspects_subscribers_with_their_consent_history(
    client, django_user_model
):
    subscriber = ledgered_subscriber()
    factories.subscriber(email="kim@example.org")
    verified_login(client, staff(django_user_model, "Marketing"))
    listing = client.get(SUBSCRIBERS).content.decode()
    assert "jo@example.org" in listing
    assert "kim@example.org" in listing
    pending = client.get(SUBSCRIBERS + "?status=pending").content.decode()
    assert "jo@example.org" in pending
    assert "kim@example.org" not in pending
    assert "kim@example.org" in client.get(SUBSCRIBERS + "?q=kim").content.decode()
    page = client.get(f"{SUBSCRIBERS}inspect/{subscriber.pk}/").content.decode()
    assert "Consent history" in page
    assert "Signed up (confirmation sent)" in page
    assert "Version 2026-12" in page
    assert "/conditions/lupus/" in page
    # nobody edits consent by hand
    assert client.get(f"{SUBSCRIBERS}edit/{subscriber.pk}/").status_code in (302, 403)
    assert client.get(f"{SUBSCRIBERS}new/").status_code in (302, 403)


def test_csv_export_is_audited(client, django_user_model):
    factories.subscriber(email="lee@example.org")
    user = staff(django_user_model, "Marketing")
    verified_login(client, user)
    response = client.get(SUBSCRIBERS + "?export=csv&status=confirmed")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "lee@example.org" in body.splitlines()[1]
    entry = AuditEntry.objects.get(action="subscriber.list_exported")
    assert entry.actor == user
    assert entry.details["filters"] == {"status": "confirmed"}
    assert entry.details["rows"] >= 1


def test_one_subscriber_export_and_erase_from_the_admin(client, django_user_model):
    subscriber = ledgered_subscriber()
    verified_login(client, staff(django_user_model, "Marketing"))
    export = client.get(f"{SUBSCRIBERS}export/{subscriber.pk}/")
    assert export["Content-Type"] == "application/json"
    assert export.json()["email"] == "jo@example.org"
    assert "Erase" in client.get(f"{SUBSCRIBERS}erase/{subscriber.pk}/").content.decode()
    assert client.post(f"{SUBSCRIBERS}erase/{subscriber.pk}/").status_code == 302
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"subscriber.exported", "subscriber.erased"} <= actions


@pytest.mark.parametrize("role", ["Editor", "Intake coordinator", "Clinician"])
def test_other_roles_see_no_subscribers(client, django_user_model, role):
    subscriber = factories.subscriber(email="max@example.org")
    verified_login(client, staff(django_user_model, role))
    for url in (
        SUBSCRIBERS,
        f"{SUBSCRIBERS}inspect/{subscriber.pk}/",
        f"{SUBSCRIBERS}?export=csv",
        f"{SUBSCRIBERS}export/{subscriber.pk}/",
        f"{SUBSCRIBERS}erase/{subscriber.pk}/",
        DIGESTS,
    ):
        response = client.get(url, follow=True)
        assert b"max@example.org" not in response.content, (role, url)
        assert response.redirect_chain or response.status_code == 403, (role, url)


def test_marketing_sees_no_health_data(client, django_user_model):
    verified_login(client, staff(django_user_model, "Marketing"))
    assert client.get("/admin/applications/").status_code == 403
    assert b"/admin/applications/" not in client.get("/admin/").content


def test_compose_preview_test_and_schedule_a_digest(
    client, django_user_model, django_capture_on_commit_callbacks
):
    user = staff(django_user_model, "Marketing", "mia")
    factories.subscriber(email="reader@example.org")
    verified_login(client, user)
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    response = client.post(
        DIGESTS + "new/",
        {
            "subject": "December at the clinic",
            "introduction": "What we published.",
            "mode": "chosen",
            "language": "en",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
            "items-0-page": str(article.pk),
            "items-0-ORDER": "1",
            "items-0-id": "",
            "items-0-DELETE": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    digest = Digest.objects.get(subject="December at the clinic")
    assert digest.created_by == user
    inspect = client.get(f"{DIGESTS}inspect/{digest.pk}/").content.decode()
    assert "Can stem cells help lupus?" in inspect
    preview = client.get(f"{DIGESTS}preview/{digest.pk}/").content.decode()
    assert "What we published." in preview
    assert "Can stem cells help lupus?" in preview
    with django_capture_on_commit_callbacks(execute=True):  # the queued test copy goes out
        response = client.post(f"{DIGESTS}test/{digest.pk}/", follow=True)
    assert "A test copy is on its way to mia@clinic.example." in response.content.decode()
    (test_copy,) = mail.outbox
    assert test_copy.to == ["mia@clinic.example"]
    assert test_copy.subject == "[Test] December at the clinic"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{DIGESTS}schedule/{digest.pk}/", {"when": ""})
    digest.refresh_from_db()
    assert digest.status == "sent"  # tasks run at once in tests
    assert [m.to for m in mail.outbox[1:]] == [["reader@example.org"]]
    assert AuditEntry.objects.filter(action="digest.scheduled", actor=user).exists()
    # a sent digest can no longer be edited
    assert client.get(f"{DIGESTS}edit/{digest.pk}/").status_code in (302, 403)


def test_schedule_rejects_a_malformed_time_and_an_empty_digest(client, django_user_model):
    verified_login(client, staff(django_user_model, "Marketing"))
    digest = factories.digest(mode="chosen")
    for when in ("not a date", "2026-13-45T99:99", "x" * 500):
        response = client.post(f"{DIGESTS}schedule/{digest.pk}/", {"when": when}, follow=True)
        assert response.status_code == 200
    digest.refresh_from_db()
    assert digest.status == "draft"
    response = client.post(f"{DIGESTS}schedule/{digest.pk}/", {"when": ""}, follow=True)
    assert "lists no published pages" in response.content.decode()


def test_every_look_at_the_list_and_at_a_subscriber_is_audited(client, django_user_model):
    subscriber = ledgered_subscriber()
    user = staff(django_user_model, "Marketing")
    verified_login(client, user)
    assert client.get(SUBSCRIBERS + "?q=jo@example.org").status_code == 200
    listed = AuditEntry.objects.get(action="subscriber.list_viewed")
    assert listed.actor == user
    assert listed.object_type == "newsletter.subscriber"
    assert listed.details == {"rows": 1}
    assert "jo@example.org" not in str(listed.details)  # the search text is not kept

    assert client.get(f"{SUBSCRIBERS}inspect/{subscriber.pk}/").status_code == 200
    viewed = AuditEntry.objects.get(action="subscriber.viewed")
    assert viewed.actor == user
    assert (viewed.object_type, viewed.object_id) == ("newsletter.subscriber", str(subscriber.pk))
    assert viewed.details == {}


def test_a_refused_look_at_the_list_is_not_a_read(client, django_user_model):
    ledgered_subscriber()
    client.force_login(staff(django_user_model, "Editor"))
    assert client.get(SUBSCRIBERS).status_code in (302, 403)
    assert not AuditEntry.objects.filter(action__startswith="subscriber.").exists()
