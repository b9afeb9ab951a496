"""The clinic's side: roles, second factor, audited reads, decisions, export and erasure."""

import io
import json
import time
import zipfile

from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.accounts.middleware import SESSION_KEY
from clinicsite.accounts.second_factor import issue_enrolment
from clinicsite.accounts.testing import code_for, verified_login
from clinicsite.applications.models import Application
from clinicsite.core.audit import AuditEntry

from .factories import make_application

pytestmark = pytest.mark.django_db


def user_in(django_user_model, role, username):
    user = django_user_model.objects.create_user(username, email=f"{username}@clinic.example")
    user.groups.add(Group.objects.get(name=role))
    return user


def verified_clinician(client, django_user_model, username="dr-who"):
    """A clinician enrolled through the real forms (issued code, then a wrong and a right TOTP)."""
    user = user_in(django_user_model, "Clinician", username)
    client.force_login(user)
    code = issue_enrolment(user, by=None)
    assert client.post("/admin/second-factor/", {"code": code}).status_code == 302
    response = client.get("/admin/second-factor/")
    assert b'<img src="data:image/svg+xml;base64,' in response.content  # local QR, no service
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/admin/second-factor/", {"token": "000000"}).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(
        "/admin/second-factor/", {"token": code_for(device), "next": "/admin/applications/"}
    )
    assert b"otp-recovery-codes" in response.content
    assert client.get("/admin/applications/").status_code == 200
    return user


def urls(application):
    pk = application.pk
    record = application.records.first()
    return {
        "queue": ("get", "/admin/applications/"),
        "detail": ("get", f"/admin/applications/{pk}/"),
        "record": ("get", f"/admin/applications/{pk}/records/{record.pk}/"),
        "assign": ("post", f"/admin/applications/{pk}/assign/"),
        "note": ("post", f"/admin/applications/{pk}/note/"),
        "decide": ("post", f"/admin/applications/{pk}/decide/"),
        "export": ("post", f"/admin/applications/{pk}/export/"),
        "erase": ("post", f"/admin/applications/{pk}/erase/"),
    }


@pytest.mark.parametrize("role", ["Editor", "Marketing", "Administrator"])
def test_roles_without_application_access_see_nothing_of_them(client, django_user_model, role):
    application = make_application()
    verified_login(client, user_in(django_user_model, role, f"u-{role}"))
    for name, (method, url) in urls(application).items():
        response = getattr(client, method)(url)
        assert response.status_code == 403, (role, name, response.status_code)
    assert b"/admin/applications/" not in client.get("/admin/").content


def test_intake_sees_contact_and_screening_only(client, django_user_model):
    application = make_application()
    verified_login(client, user_in(django_user_model, "Intake coordinator", "intake1"))
    assert client.get("/admin/applications/").status_code == 200
    page = client.get(f"/admin/applications/{application.pk}/").content.decode()
    assert "alex@example.org" in page
    assert "Eligible (clinician to confirm)" in page
    for secret in ("Mycophenolate", "Hydroxychloroquine", "1980-05-01", "Health information"):
        assert secret not in page
    for name in ("record", "note", "decide", "export", "erase"):
        method, url = urls(application)[name]
        assert getattr(client, method)(url).status_code == 403, name
    assert not AuditEntry.objects.filter(action="application.health_data_viewed").exists()
    assert AuditEntry.objects.filter(
        action="application.viewed", object_id=str(application.pk)
    ).exists()


def test_clinician_needs_a_verified_second_factor(client, django_user_model):
    application = make_application()
    client.force_login(user_in(django_user_model, "Clinician", "dr-no-otp"))
    for name in ("queue", "detail", "record"):
        response = client.get(urls(application)[name][1])
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/second-factor/?next=")


def test_clinician_reads_decrypted_data_and_every_read_is_audited(client, django_user_model):
    application = make_application()
    user = verified_clinician(client, django_user_model)
    page = client.get(f"/admin/applications/{application.pk}/").content.decode()
    assert "Mycophenolate 1 g twice daily" in page
    record = application.records.get()
    response = client.get(f"/admin/applications/{application.pk}/records/{record.pk}/")
    assert response.content.startswith(b"\x89PNG")
    assert response["Content-Disposition"].startswith("attachment;")
    actions = set(
        AuditEntry.objects.filter(actor=user, object_id=str(application.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "application.viewed",
        "application.health_data_viewed",
        "application.record_downloaded",
    } <= actions
    entry = AuditEntry.objects.filter(action="application.health_data_viewed").first()
    assert entry.ip_address == "127.0.0.1"
    assert "Mycophenolate" not in json.dumps(list(AuditEntry.objects.values("details")))


def test_assign_note_decide_with_override_and_decision_email(
    client, django_user_model, django_capture_on_commit_callbacks
):
    application = make_application()
    user = verified_clinician(client, django_user_model)
    base = f"/admin/applications/{application.pk}"
    # deciding before assignment is refused by the state machine
    client.post(f"{base}/decide/", {"decision": "accepted", "reason": "ok"})
    assert Application.objects.get(pk=application.pk).status == "submitted"
    client.post(f"{base}/assign/", {"clinician": user.pk})
    assert Application.objects.get(pk=application.pk).status == "in_review"
    client.post(f"{base}/note/", {"body": "<script>alert('x')</script> biopsy pending"})
    page = client.get(f"{base}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; biopsy pending" in page
    # declining someone the screening found eligible needs a written override reason
    client.post(f"{base}/decide/", {"decision": "declined", "reason": "Renal function"})
    assert Application.objects.get(pk=application.pk).status == "in_review"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{base}/decide/",
            {"decision": "declined", "reason": "Renal function", "override_reason": "eGFR low"},
        )
    application.refresh_from_db()
    assert application.status == "declined"
    assert application.screening_overridden
    (message,) = mail.outbox
    assert message.to == ["alex@example.org"]
    assert "/apply/status/" in message.body
    for secret in ("Renal", "eGFR", "lupus", "Mycophenolate", "declined"):
        assert secret.lower() not in message.body.lower()
    changes = AuditEntry.objects.filter(
        action="application.status_changed", object_id=str(application.pk)
    )
    assert [e.details["to"] for e in changes.order_by("pk")] == ["in_review", "declined"]
    status_page = client.get(message.body.split("http://testserver")[1].split()[0])
    assert b"Declined" in status_page.content


def test_submission_notifies_intake_with_a_link_only(
    django_user_model, django_capture_on_commit_callbacks
):
    user_in(django_user_model, "Intake coordinator", "intake-mail")
    with django_capture_on_commit_callbacks(execute=True):
        application = make_application()
    (message,) = mail.outbox
    assert "intake-mail@clinic.example" in message.to
    assert f"/admin/applications/{application.pk}/" in message.body
    for secret in ("Alex", "lupus", "Mycophenolate", application.reference):
        assert secret not in message.body


def test_idle_clinician_is_logged_out(client, django_user_model):
    verified_clinician(client, django_user_model, "dr-idle")
    assert client.get("/admin/applications/").status_code == 200
    session = client.session
    session[SESSION_KEY] = time.time() - 16 * 60
    session.save()
    response = client.get("/admin/applications/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get("/admin/").status_code == 302  # really logged out


def test_export_and_erase(client, django_user_model):
    application = make_application()
    verified_clinician(client, django_user_model, "dr-export")
    response = client.post(f"/admin/applications/{application.pk}/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("application.json"))
    assert document["answers"]["medicines"] == "Mycophenolate 1 g twice daily"
    assert archive.read("records/1.png").startswith(b"\x89PNG")
    client.post(f"/admin/applications/{application.pk}/erase/", {"confirm": "wrong"})
    assert Application.objects.filter(pk=application.pk).exists()
    client.post(f"/admin/applications/{application.pk}/erase/", {"confirm": application.reference})
    assert not Application.objects.filter(pk=application.pk).exists()
    assert {"application.exported", "application.erased"} <= set(
        AuditEntry.objects.filter(object_id=str(application.pk)).values_list("action", flat=True)
    )


def test_purge_declined_honours_retention_and_dry_run(settings, tmp_path):
    settings.APPLICATION_RETENTION_DAYS = 30
    old = make_application(with_record=False)
    recent = make_application(with_record=False)
    Application.objects.filter(pk=old.pk).update(
        status="declined", decided_at=timezone.now() - timezone.timedelta(days=31)
    )
    Application.objects.filter(pk=recent.pk).update(
        status="declined", decided_at=timezone.now() - timezone.timedelta(days=29)
    )
    out = io.StringIO()
    call_command("purge_declined_applications", "--dry-run", stdout=out)
    assert f"Would erase {old.reference}" in out.getvalue()
    assert Application.objects.filter(pk=old.pk).exists()
    call_command("purge_declined_applications", stdout=io.StringIO())
    assert not Application.objects.filter(pk=old.pk).exists()
    assert Application.objects.filter(pk=recent.pk).exists()
    target = tmp_path / "out.zip"
    call_command(
        "export_application", recent.reference, "--output", str(target), stdout=io.StringIO()
    )
    assert "answers" in json.loads(zipfile.ZipFile(target).read("application.json"))
    call_command("erase_application", recent.reference, "--dry-run", stdout=io.StringIO())
    assert Application.objects.filter(pk=recent.pk).exists()
    call_command("erase_application", recent.reference, stdout=io.StringIO())
    assert not Application.objects.filter(pk=recent.pk).exists()


def test_queue_filters_and_no_n_plus_one(client, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_application(
        condition_slug="multiple-sclerosis", with_record=False, relapses_last_2_years=2
    )
    assigned = make_application(with_record=False)
    Application.objects.filter(pk=assigned.pk).update(
        assigned_to=user_in(django_user_model, "Clinician", "dr-q")
    )
    verified_login(client, user_in(django_user_model, "Intake coordinator", "intake-q"))
    client.get("/admin/applications/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/applications/")
    for _ in range(2):
        make_application(with_record=False)
    with CaptureQueriesContext(connection) as more:
        client.get("/admin/applications/")
    assert len(more) == len(few), "query count must not grow with the rows shown"
    ms = Application.objects.filter(condition__slug="multiple-sclerosis").first().condition_id
    # (the demo data holds accepted fictional applications; these tests' are all submitted)
    page = client.get(f"/admin/applications/?condition={ms}&status=submitted").content.decode()
    assert page.count(">HC-") == 1
    assert "4 applications" in client.get("/admin/applications/?status=submitted").content.decode()
    assert client.get("/admin/applications/?status=bogus&p=999").status_code == 200


def test_queue_pages_run_newest_first_without_gaps_or_repeats(client, django_user_model):
    import re

    from clinicsite.applications.admin_views import PAGE_SIZE

    made = [make_application(with_record=False) for _ in range(PAGE_SIZE + 5)]
    same_time = timezone.now()
    Application.objects.filter(pk__in=[a.pk for a in made[:10]]).update(created_at=same_time)
    expected = list(
        Application.objects.order_by("-created_at", "-id").values_list("reference", flat=True)
    )
    verified_login(client, user_in(django_user_model, "Intake coordinator", "intake-p"))
    shown = []
    for number in range(1, len(expected) // PAGE_SIZE + 2):
        page = client.get(f"/admin/applications/?p={number}").content.decode()
        shown += re.findall(r'">(HC-[A-Z0-9]+)</a></td>', page)
    assert shown == expected
