"""Scheduled jobs for the evidence features, run by the django-tasks worker (daily)."""

from __future__ import annotations

from django_tasks import task

from .reminders import review_reminders_send
from .stories import story_consent_run


@task()
def send_review_reminders() -> int:
    return len(review_reminders_send().sent)


@task()
def check_story_consent() -> dict[str, int]:
    run = story_consent_run()
    return {"warned": len(run.warned), "unpublished": len(run.unpublished)}
