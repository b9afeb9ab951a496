"""Invitations and reminders go out through the retrying mail task: the job claims each message
and queues its task in one transaction, the task sends it once, an outage is retried by the task,
and a message the task gave up on is queued again by the job's next run."""

import datetime
import json
import smtplib
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.followups import services
from clinicsite.followups.models import Invitation, SendLog
from clinicsite.followups.tasks import send_followup_message
from clinicsite.followups.tests.test_services import make_application

pytestmark = pytest.mark.django_db
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_PATH = "clinicsite.followups.tasks.send_followup_message"


@pytest.fixture
def invitation(django_user_model):
    """A treatment 15 days ago: its 2-week invitation is due now, and the only one open (the
    demo's follow-ups are closed so the counts are this test's)."""
    Invitation.objects.filter(
        status__in=[Invitation.Status.SCHEDULED, Invitation.Status.SENT]
    ).update(status=Invitation.Status.STOPPED)
    protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
    clinician = django_user_model.objects.create_user("doc", email="doc@clinic.example")
    now = timezone.now()
    treatment = services.treatment_record(
        application=make_application(protocol, n=5), protocol=protocol, time_zone="UTC",
        treated_on=(now - datetime.timedelta(days=15)).date(), clinician=clinician,
        now=now - datetime.timedelta(days=15),
    )  # fmt: skip
    return treatment.invitations.order_by("due_at").first()


def run_job(*args):
    out = StringIO()
    call_command("send_followups", *args, stdout=out)
    return out.getvalue()


def queued_tasks():
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at"))


def test_the_job_queues_each_message_once_with_nothing_but_its_row_id(invitation, settings, smtp):
    settings.TASKS = DB_TASKS
    assert "Would queue: 1 invitations, 0 reminders" in run_job("--dry-run")
    assert not queued_tasks()
    assert "Queued: 1 invitations, 0 reminders (0 after a failed attempt)" in run_job()
    log = SendLog.objects.get(invitation=invitation)
    (task,) = queued_tasks()
    assert task.args_kwargs == {"args": [log.pk], "kwargs": {}}
    assert "patient5" not in json.dumps(task.args_kwargs)
    assert smtp.messages == []  # the worker sends, not the job
    assert "Queued: 0 invitations" in run_job()  # a re-run queues nothing twice
    assert len(queued_tasks()) == 1

    assert send_followup_message.call(log.pk) is True
    (message,) = smtp.messages
    assert message["X-Envelope-To"] == "patient5@example.com"
    assert "/followup/" in message.get_content()
    log.refresh_from_db()
    invitation.refresh_from_db()
    assert log.sent_at is not None
    assert invitation.status == Invitation.Status.SENT
    assert send_followup_message.call(log.pk) is False  # a duplicate run sends nothing
    run_job()
    assert len(smtp.messages) == 1
    assert len(queued_tasks()) == 1


def test_with_tasks_run_at_once_the_job_delivers_once(
    invitation, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_job()
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["patient5@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        run_job()
    assert len(smtp.messages) == 1


def test_an_outage_is_retried_by_the_task_and_not_queued_again(invitation, settings, smtp):
    settings.TASKS = DB_TASKS
    settings.MAIL_RETRY_SECONDS = 5
    run_job()
    log = SendLog.objects.get(invitation=invitation)
    smtp.stop()
    assert send_followup_message.call(log.pk) is None  # re-enqueued itself
    retry = queued_tasks()[-1]
    assert retry.args_kwargs == {"args": [log.pk], "kwargs": {"mail_attempt": 1}}
    log.refresh_from_db()
    assert (log.sent_at, log.attempts, log.last_error) == (None, 1, "ConnectionRefusedError")
    assert log.queued_at is not None  # still the task's: the job leaves it alone
    assert "Queued: 0 invitations" in run_job()
    assert len(queued_tasks()) == 2  # the first and its retry
    smtp.start()  # back on the same port
    assert send_followup_message.call(log.pk, mail_attempt=1) is True
    assert len(smtp.messages) == 1
    log.refresh_from_db()
    assert (log.attempts, log.last_error) == (2, "")


def test_a_refused_message_is_given_back_and_queued_again_by_the_next_run(
    invitation, settings, smtp
):
    settings.TASKS = DB_TASKS

    async def refuse(server, session, envelope, address, options):
        return "550 No such mailbox"

    run_job()
    log = SendLog.objects.get(invitation=invitation)
    smtp.handle_RCPT = refuse
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_followup_message.call(log.pk)
    assert len(queued_tasks()) == 1  # a 5xx is not retried by the task ...
    log.refresh_from_db()
    assert (log.sent_at, log.queued_at, log.last_error) == (None, None, "SMTPRecipientsRefused")
    assert "(1 after a failed attempt)" in run_job()  # ... but by the job, as before
    assert len(queued_tasks()) == 2


def test_a_message_queued_before_the_patient_stopped_is_not_sent(invitation, settings):
    settings.TASKS = DB_TASKS
    run_job()
    log = SendLog.objects.get(invitation=invitation)
    services.followups_stop(treatment=invitation.treatment)
    assert send_followup_message.call(log.pk) is False
    assert mail.outbox == []
