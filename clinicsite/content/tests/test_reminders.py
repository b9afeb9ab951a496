"""Review reminders reach the reviewer through a real SMTP server, once per due date."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

import pytest

from clinicsite.content.models import ArticlePage, ConditionPage, Person, ReviewReminder
from clinicsite.content.review import pages_due_for_review

pytestmark = pytest.mark.django_db


def due_in(page, days):
    today = timezone.localdate()
    page.last_reviewed = today - datetime.timedelta(days=300)
    page.next_review_due = today + datetime.timedelta(days=days)
    page.save_revision().publish()
    return page


def body_of(message):
    return message.get_payload(decode=True).decode()


def test_reminder_arrives_at_the_smtp_server_thirty_days_before(smtp):
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 30)
    call_command("send_review_reminders", stdout=StringIO())
    (message,) = smtp.messages
    recipients = message["X-Envelope-To"].split(", ")
    assert recipients == ["t.lindqvist@clinic.example"]  # the article's medical reviewer
    assert "Can stem cells help lupus?" in message["Subject"]
    body = body_of(message)
    assert "Dr Tomas Lindqvist" in body
    assert f"/admin/pages/{article.pk}/edit/" in body
    # idempotent: the next daily run sends nothing new
    call_command("send_review_reminders", stdout=StringIO())
    assert len(smtp.messages) == 1
    assert ReviewReminder.objects.filter(page=article).count() == 1


def test_no_reminder_before_the_window_and_a_new_one_for_a_new_due_date(smtp):
    article = due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 31)
    call_command("send_review_reminders", stdout=StringIO())
    assert smtp.messages == []
    due_in(article, 5)
    call_command("send_review_reminders", stdout=StringIO())
    assert len(smtp.messages) == 1
    due_in(article, 12)  # reviewed again, new due date: reminded again when it comes near
    call_command("send_review_reminders", stdout=StringIO())
    assert len(smtp.messages) == 2


def test_overdue_pages_are_reminded_and_listed_on_the_dashboard(smtp, admin_client):
    condition = due_in(ConditionPage.objects.get(slug="lupus"), -3)
    assert condition in pages_due_for_review()
    call_command("send_review_reminders", stdout=StringIO())
    (message,) = smtp.messages
    recipients = message["X-Envelope-To"].split(", ")
    assert recipients == ["m.okafor@clinic.example"]
    assert "was due" in body_of(message)
    content = admin_client.get("/admin/").content.decode()
    assert "Medical reviews due" in content
    assert condition.title in content
    assert "overdue" in content


def test_dry_run_sends_nothing(smtp):
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    out = StringIO()
    call_command("send_review_reminders", "--dry-run", stdout=out)
    assert "Would remind: Can stem cells help lupus?" in out.getvalue()
    assert smtp.messages == []
    assert not ReviewReminder.objects.exists()


def test_a_reviewer_without_an_address_is_reported(smtp):
    Person.objects.filter(name="Dr Tomas Lindqvist").update(email="")
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    err = StringIO()
    call_command("send_review_reminders", stdout=StringIO(), stderr=err)
    assert "No e-mail address for the reviewer of: Can stem cells help lupus?" in err.getvalue()
    assert smtp.messages == []


def test_an_unreachable_mail_server_is_retried_next_run(smtp):
    smtp.stop()
    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    err = StringIO()
    call_command("send_review_reminders", stdout=StringIO(), stderr=err)
    assert "Sending failed, will retry next run" in err.getvalue()
    assert not ReviewReminder.objects.exists()
    smtp.start()  # back on the same port: the next run sends it
    call_command("send_review_reminders", stdout=StringIO())
    assert len(smtp.messages) == 1
    assert ReviewReminder.objects.count() == 1


def test_the_scheduled_task_sends_reminders(smtp):
    from clinicsite.content.tasks import send_review_reminders

    due_in(ArticlePage.objects.get(slug="can-stem-cells-help-lupus"), 10)
    assert send_review_reminders.enqueue().return_value == 1
    assert len(smtp.messages) == 1
