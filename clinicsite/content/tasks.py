"""Scheduled jobs for the evidence features, run by the django-tasks worker (daily), and the
mail tasks they queue (made with ``core.mail.mail_task``: retried while the mail server is
unreachable; each takes the id of the row that records the message, never an address)."""

from __future__ import annotations

from django_tasks import task

from clinicsite.core.mail import mail_task

from . import reminders, stories


@task()
def send_review_reminders() -> int:
    return len(reminders.review_reminders_send().queued)


@task()
def check_story_consent() -> dict[str, int]:
    run = stories.story_consent_run()
    return {"warned": len(run.warned), "unpublished": len(run.unpublished)}


def _forget_reminder(reminder_id: int) -> None:
    reminders.reminder_forget(reminder_id)


def _forget_warning(notice_id: int) -> None:
    stories.warning_forget(notice_id)


@mail_task(on_give_up=_forget_reminder)
def send_review_reminder(reminder_id: int) -> bool:
    """One medical review reminder (``ReviewReminder`` row ``reminder_id``)."""
    return reminders.reminder_send(reminder_id)


@mail_task(on_give_up=_forget_warning)
def send_story_consent_warning(notice_id: int) -> bool:
    """One consent warning to the editors (``StoryConsentNotice`` row ``notice_id``)."""
    return stories.warning_send(notice_id)
