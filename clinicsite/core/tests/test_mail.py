"""Mail tasks survive an outage: transient failures come back later, committed data always
has its mail queued, rolled-back data never does."""

import smtplib

from django.db import transaction
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.core.mail import enqueue_after_commit, is_transient, mail_task, retry_delay
from clinicsite.newsletter.models import Subscriber
from clinicsite.newsletter.tasks import send_list_notice

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(), True),
        (smtplib.SMTPServerDisconnected(), True),
        (smtplib.SMTPDataError(451, b"try later"), True),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_transient(exc, transient):
    assert is_transient(exc) is transient


def test_a_mail_task_backs_off_while_the_server_is_down_then_sends_once(smtp, settings):
    settings.TASKS = DB_TASKS
    settings.MAIL_RETRY_SECONDS = 5
    settings.MAIL_RETRY_MAX_SECONDS = 30
    subscriber = Subscriber.objects.create(email="liz@example.org", language="en")
    smtp.stop()
    delays = []
    for attempt in range(5):
        before = timezone.now()
        assert send_list_notice.call(subscriber.pk, "confirm", mail_attempt=attempt) is None
        retry = DBTaskResult.objects.order_by("-enqueued_at").first()
        assert retry.args_kwargs == {
            "args": [subscriber.pk, "confirm"],
            "kwargs": {"mail_attempt": attempt + 1},
        }
        delays.append(round((retry.run_after - before).total_seconds()))
    assert delays == [5, 10, 20, 30, 30] == [retry_delay(n) for n in range(5)]
    assert smtp.messages == []
    smtp.start()
    assert send_list_notice.call(subscriber.pk, "confirm", mail_attempt=5) is True
    assert [m["To"] for m in smtp.messages] == ["liz@example.org"]


def test_a_permanent_failure_is_not_retried(smtp, settings):
    settings.TASKS = DB_TASKS

    async def refuse(server, session, envelope, address, options):
        return "550 No such mailbox"

    smtp.handle_RCPT = refuse
    subscriber = Subscriber.objects.create(email="max@example.org", language="en")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_list_notice.call(subscriber.pk, "confirm")
    assert not DBTaskResult.objects.exists()


def test_with_the_database_backend_the_task_commits_and_rolls_back_with_the_data(settings):
    settings.TASKS = DB_TASKS
    subscriber = Subscriber.objects.create(email="ned@example.org", language="en")

    def failing_request():
        with transaction.atomic():
            enqueue_after_commit(send_list_notice, subscriber.pk, "confirm")
            assert DBTaskResult.objects.count() == 1  # written in the same transaction
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        enqueue_after_commit(send_list_notice, subscriber.pk, "confirm")
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "clinicsite.newsletter.tasks.send_list_notice"


GAVE_UP: list = []


def _gave_up(*args, **kwargs):
    GAVE_UP.append((args, kwargs))


@mail_task(on_give_up=_gave_up)
def always_disconnected(n: int) -> None:
    raise smtplib.SMTPServerDisconnected("down")


def test_a_task_that_gives_up_hands_its_arguments_back(settings):
    GAVE_UP.clear()
    settings.TASKS = DB_TASKS  # can defer: a transient failure is retried, nothing given up
    assert always_disconnected.call(7) is None
    assert GAVE_UP == []
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(smtplib.SMTPServerDisconnected):
        always_disconnected.call(7, mail_attempt=3)  # cannot defer: final
    assert GAVE_UP == [((7,), {})]


def test_links_in_mail_use_the_configured_address_not_a_request(settings):
    from clinicsite.core.urls import absolute_url

    settings.WAGTAILADMIN_BASE_URL = "https://clinic.example/"
    assert absolute_url("/followup/abc/") == "https://clinic.example/followup/abc/"
