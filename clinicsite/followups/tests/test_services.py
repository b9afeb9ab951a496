import datetime

from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

import pytest

from clinicsite.applications.models import Application, ScreeningOutcome
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import crypto, encrypted
from clinicsite.core.audit import AuditEntry
from clinicsite.followups import services
from clinicsite.followups.models import AdverseEvent, Invitation, Response, SendLog

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture
def clinician(django_user_model):
    user = django_user_model.objects.create_user("doc", email="doc@clinic.example", password="pw")
    user.groups.add(Group.objects.get(name="Clinician"))
    return user


@pytest.fixture
def protocol():
    return TreatmentProtocol.objects.get(name__startswith="MSC-L1")


def make_application(protocol, status=Application.Status.ACCEPTED, n=1):
    application = Application(
        full_name=f"Test Patient {n}",
        email=f"patient{n}@example.com",
        phone="+44 1632 960 111",
        country="United Kingdom",
        condition_id=protocol.condition_id,
        protocol=protocol,
        screening_outcome=ScreeningOutcome.ELIGIBLE,
        privacy_notice_version="test",
        consent_at=datetime.datetime(2026, 1, 1, tzinfo=UTC),
        status=status,
    )
    encrypted.seal(application, "answers_ciphertext", b"{}")
    application.save()
    return application


def treat(protocol, clinician, treated_on, now, n=1, tz="Europe/London"):
    return services.treatment_record(
        application=make_application(protocol, n=n), protocol=protocol, treated_on=treated_on,
        time_zone=tz, clinician=clinician, notes="Infusion went well.", now=now,
    )  # fmt: skip


def test_recording_a_treatment_schedules_the_default_plan(protocol, clinician):
    now = datetime.datetime(2026, 1, 10, 9, tzinfo=UTC)
    treatment = treat(protocol, clinician, datetime.date(2026, 1, 10), now)
    labels = list(treatment.invitations.values_list("time_point__label", flat=True))
    assert labels == ["2 weeks", "2 months", "6 months", "12 months"]
    assert AuditEntry.objects.filter(
        action="treatment.recorded", object_id=str(treatment.pk)
    ).exists()


def test_notes_are_stored_encrypted(protocol, clinician):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 10), datetime.datetime(2026, 1, 10, tzinfo=UTC)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notes_ciphertext FROM followups_treatment WHERE id = %s", [treatment.pk]
        )
        raw = bytes(cursor.fetchone()[0])
    assert b"Infusion" not in raw
    assert b"went well" in crypto.decrypt(raw)


def test_only_accepted_applicants_can_be_treated(protocol, clinician):
    application = make_application(protocol, status=Application.Status.IN_REVIEW)
    with pytest.raises(ValidationError, match="accepted"):
        services.treatment_record(
            application=application, protocol=protocol, treated_on=datetime.date(2026, 1, 1),
            time_zone="UTC", clinician=clinician,
        )  # fmt: skip


def test_a_back_dated_treatment_schedules_only_future_points(protocol, clinician):
    now = datetime.datetime(2026, 3, 1, 12, tzinfo=UTC)
    treatment = treat(protocol, clinician, datetime.date(2026, 1, 1), now)
    assert list(treatment.invitations.values_list("time_point__label", flat=True)) == [
        "2 months",
        "6 months",
        "12 months",
    ]


def test_sending_is_idempotent_with_reminders_and_expiry(
    protocol, clinician, django_capture_on_commit_callbacks
):
    def send_due(now):  # the job queues; the queued tasks run once its transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            return services.send_due(now=now)

    treated = datetime.date(2026, 1, 1)
    treatment = treat(protocol, clinician, treated, datetime.datetime(2026, 1, 1, 9, tzinfo=UTC))
    first = treatment.invitations.order_by("due_at").first()

    send_due(now=first.due_at - datetime.timedelta(minutes=1))
    assert len(mail.outbox) == 0  # not due yet

    send_due(now=first.due_at)
    send_due(now=first.due_at + datetime.timedelta(hours=1))  # a re-run
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["patient1@example.com"]
    assert "/followup/" in message.body
    assert "Infusion" not in message.body
    assert "List-Unsubscribe" in message.extra_headers

    send_due(now=first.due_at + datetime.timedelta(days=3, minutes=1))
    send_due(now=first.due_at + datetime.timedelta(days=3, minutes=2))
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Reminder")
    send_due(now=first.due_at + datetime.timedelta(days=7, minutes=1))
    assert len(mail.outbox) == 3

    logs = {log.kind: log for log in SendLog.objects.filter(invitation=first)}
    assert set(logs) == {"invitation", "reminder_3", "reminder_7"}
    assert logs["invitation"].intended_at == first.due_at
    assert logs["reminder_3"].intended_at == first.due_at + datetime.timedelta(days=3)

    send_due(now=first.expires_at + datetime.timedelta(minutes=1))
    first.refresh_from_db()
    assert first.status == Invitation.Status.EXPIRED
    assert len(mail.outbox) == 3


def test_a_failed_send_is_retried_once_the_server_is_back(
    protocol, clinician, settings, django_capture_on_commit_callbacks
):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    first = treatment.invitations.order_by("due_at").first()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        services.send_due(now=first.due_at)  # the test backend cannot defer a retry: it fails
    log = SendLog.objects.get(invitation=first, kind="invitation")
    assert log.sent_at is None
    assert log.attempts == 1
    assert log.queued_at is None  # given back, for the next run
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.send_due(now=first.due_at + datetime.timedelta(minutes=15))
    assert summary["invitations"] == 1
    assert summary["retried"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.send_due(now=first.due_at + datetime.timedelta(minutes=30))
    assert len(mail.outbox) == 1


def test_dry_run_sends_nothing(protocol, clinician):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    first = treatment.invitations.order_by("due_at").first()
    summary = services.send_due(now=first.due_at, dry_run=True)
    assert summary["invitations"] == 1
    assert mail.outbox == []
    assert not SendLog.objects.exists()


def test_answers_are_scored_and_an_adverse_event_alerts_the_treating_clinician(
    protocol, clinician, django_capture_on_commit_callbacks
):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    invitation = treatment.invitations.order_by("due_at").first()
    services.send_due(now=invitation.due_at)
    mail.outbox.clear()
    answers = {"pgic": 2, "pain": 4, "fatigue": 6, "wellbeing": 7, "ae_any": True,
               "ae_description": "Rash on both arms since Tuesday"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(invitation=invitation, answers=answers)
    assert response.improved is True
    assert dict(response.scores.values_list("key", "value")) == {
        "pgic": 2,
        "pain": 4,
        "fatigue": 6,
        "wellbeing": 7,
    }
    event = AdverseEvent.objects.get(treatment=treatment)
    assert event.status == AdverseEvent.Status.REPORTED
    assert b"Rash" not in bytes(event.description_ciphertext)
    (alert,) = mail.outbox
    assert alert.to == ["doc@clinic.example"]
    assert f"/admin/followups/adverse-events/{event.pk}/" in alert.body
    assert "Rash" not in alert.body
    assert "Rash" not in alert.subject
    with pytest.raises(ValidationError, match="no longer be answered"):
        services.response_submit(invitation=invitation, answers=answers)
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_unacknowledged_events_escalate_after_24_hours_once(
    protocol, clinician, django_user_model, django_capture_on_commit_callbacks
):
    other = django_user_model.objects.create_user(
        "doc2", email="doc2@clinic.example", password="pw"
    )
    other.groups.add(Group.objects.get(name="Clinician"))
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    reported = datetime.datetime(2026, 1, 20, 8, tzinfo=UTC)
    event = services.adverse_event_report(treatment=treatment, description="Fever", now=reported)
    mail.outbox.clear()
    assert services.escalate_unacknowledged(now=reported + datetime.timedelta(hours=23)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_unacknowledged(now=reported + datetime.timedelta(hours=25)) == 1
    assert services.escalate_unacknowledged(now=reported + datetime.timedelta(hours=26)) == 0
    event.refresh_from_db()
    assert event.status == AdverseEvent.Status.ESCALATED
    (escalation,) = mail.outbox
    assert {"doc@clinic.example", "doc2@clinic.example"} <= set(escalation.to)
    assert "Fever" not in escalation.body


def test_acknowledging_needs_a_grade_and_an_action(protocol, clinician, django_user_model):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    event = services.adverse_event_report(treatment=treatment, description="Fever")
    with pytest.raises(ValidationError):
        services.adverse_event_acknowledge(event=event, user=clinician, grade=7, action="x")
    with pytest.raises(ValidationError):
        services.adverse_event_acknowledge(event=event, user=clinician, grade=2, action="  ")
    editor = django_user_model.objects.create_user("ed", password="pw")
    editor.groups.add(Group.objects.get(name="Editor"))
    with pytest.raises(PermissionDenied):
        services.adverse_event_acknowledge(event=event, user=editor, grade=2, action="Called")
    services.adverse_event_acknowledge(
        event=event, user=clinician, grade=2, action="Called; paracetamol."
    )
    event.refresh_from_db()
    assert (event.status, event.grade) == (AdverseEvent.Status.ACKNOWLEDGED, 2)
    assert AuditEntry.objects.filter(
        action="adverse_event.acknowledged", object_id=str(event.pk)
    ).exists()


def test_stopping_follow_ups_stops_every_open_invitation(protocol, clinician):
    treatment = treat(
        protocol, clinician, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)
    )
    assert services.followups_stop(treatment=treatment) == 4
    first = treatment.invitations.order_by("due_at").first()
    services.send_due(now=first.due_at + datetime.timedelta(days=8))
    assert mail.outbox == []
