"""Review reminders reach the reviewer through a real SMTP server, once per due date: the daily
job queues them, the retrying mail task sends them."""

import datetime
import smtplib
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.content.models import ArticlePage, ConditionPage, Person, ReviewReminder
from clinicsite.content.review import pages_due_for_review

pytestmark = pytest.mark.django_db
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_PATH = "clinicsite.content.tasks.send_review_reminder"


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run the daily job; the tasks it queued run (at once, in tests) when it commits."""

    def run(*args, stderr=None):
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_review_reminders", *args, stdout=out, stderr=stderr or StringIO())
        return out.getvalue()

    return run


def due_in(page, days):
    today = timezone.localdate()
    page.last_reviewed = today - datetime.timedelta(days=300)
    page.next_review_due = today + datetime.timedelta(days=days)
    page.save_revision().publish()
    return page


def body_of(message):
    return message.get_payload(decode=True).decode()


def test_reminder_arrives_at_the_smtp_server_thirty_days_before(smtp, remind):
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 30)
    remind()
    (message,) = smtp.messages
    recipients = message["X-Envelope-To"].split(", ")
    assert recipients == ["t.lindqvist@clinic.example"]  # the article's medical reviewer
    assert "Can stem cells help lupus?" in message["Subject"]
    body = body_of(message)
    assert "Dr Tomas Lindqvist" in body
    assert f"/admin/pages/{article.pk}/edit/" in body
    # idempotent: the next daily run sends nothing new
    remind()
    assert len(smtp.messages) == 1
    assert ReviewReminder.objects.filter(page=article).count() == 1


def test_no_reminder_before_the_window_and_a_new_one_for_a_new_due_date(smtp, remind):
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 31)
    remind()
    assert smtp.messages == []
    due_in(article, 5)
    remind()
    assert len(smtp.messages) == 1
    due_in(article, 12)  # reviewed again, new due date: reminded again when it comes near
    remind()
    assert len(smtp.messages) == 2


def test_overdue_pages_are_reminded_and_listed_on_the_dashboard(smtp, remind, admin_client):
    condition = due_in(ConditionPage.objects.get(slug="lupus"), -3)
    assert condition in pages_due_for_review()
    remind()
    (message,) = smtp.messages
    recipients = message["X-Envelope-To"].split(", ")
    assert recipients == ["m.okafor@clinic.example"]
    assert "was due" in body_of(message)
    content = admin_client.get("/admin/").content.decode()
    assert "Medical reviews due" in content
    assert condition.title in content
    assert "overdue" in content


def test_dry_run_sends_nothing(smtp, remind):
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    assert "Would remind: Can stem cells help lupus?" in remind("--dry-run")
    assert smtp.messages == []
    assert not ReviewReminder.objects.exists()


def test_a_reviewer_without_an_address_is_reported(smtp, remind):
    Person.objects.filter(name="Dr Tomas Lindqvist").update(email="")
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    err = StringIO()
    remind(stderr=err)
    assert "No e-mail address for the reviewer of: Can stem cells help lupus?" in err.getvalue()
    assert smtp.messages == []


def test_an_unreachable_mail_server_is_retried_next_run(smtp, remind, caplog):
    smtp.stop()
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    remind()  # tasks run at once in tests and cannot be deferred: this one gives up
    assert "not sent; the next run queues it again" in caplog.text
    assert not ReviewReminder.objects.exists()
    smtp.start()  # back on the same port: the next run sends it
    remind()
    assert len(smtp.messages) == 1
    assert ReviewReminder.objects.count() == 1


def test_the_scheduled_task_sends_reminders(smtp, django_capture_on_commit_callbacks):
    from clinicsite.content.tasks import send_review_reminders

    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_review_reminders.enqueue().return_value == 1
    assert len(smtp.messages) == 1


# --- through the database task queue, as in production ----------------------------------------


def reminder_tasks():
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at"))


def test_the_job_queues_the_reminder_once_by_id_and_the_task_retries_an_outage(
    smtp, remind, settings
):
    from clinicsite.content.tasks import send_review_reminder

    settings.TASKS = DB_TASKS
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    assert "1 reminder(s) queued." in remind()
    reminder = ReviewReminder.objects.get(page=article)
    assert reminder.sent_at is None
    (task,) = reminder_tasks()
    assert task.args_kwargs == {"args": [reminder.pk], "kwargs": {}}  # no address
    assert "0 reminder(s) queued." in remind()
    assert len(reminder_tasks()) == 1

    smtp.stop()
    assert send_review_reminder.call(reminder.pk) is None  # re-enqueued itself
    assert reminder_tasks()[-1].args_kwargs["kwargs"] == {"mail_attempt": 1}
    assert ReviewReminder.objects.filter(pk=reminder.pk).exists()  # still queued: ...
    remind()
    assert len(reminder_tasks()) == 2  # ... the job does not queue it again
    smtp.start()
    assert send_review_reminder.call(reminder.pk, mail_attempt=1) is True
    assert send_review_reminder.call(reminder.pk) is False  # a duplicate sends nothing
    assert len(smtp.messages) == 1
    reminder.refresh_from_db()
    assert reminder.sent_at is not None


def test_a_refused_reminder_is_queued_again_by_the_next_run(smtp, remind, settings):
    from clinicsite.content.tasks import send_review_reminder

    settings.TASKS = DB_TASKS

    async def refuse(server, session, envelope, address, options):
        return "550 No such mailbox"

    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    remind()
    smtp.handle_RCPT = refuse
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_review_reminder.call(ReviewReminder.objects.get(page=article).pk)
    assert len(reminder_tasks()) == 1  # not retried by the task ...
    assert not ReviewReminder.objects.exists()
    assert "1 reminder(s) queued." in remind()  # ... but by the next run, as before
    assert len(reminder_tasks()) == 2


def test_a_reminder_made_moot_while_queued_is_dropped(smtp, remind, settings):
    from clinicsite.content.tasks import send_review_reminder

    settings.TASKS = DB_TASKS
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    remind()
    reminder = ReviewReminder.objects.get(page=article)
    due_in(article, 200)  # reviewed meanwhile
    assert send_review_reminder.call(reminder.pk) is False
    assert smtp.messages == []
    assert not ReviewReminder.objects.exists()
