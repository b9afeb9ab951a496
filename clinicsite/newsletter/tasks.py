"""Background work for the list, run by ``manage.py db_worker`` (django-tasks, database backend).

Every task is idempotent: it may run twice, late, or after a crash without sending anything
twice (but for the test copy a member of staff asked for: a repeat is one more test copy).
``send_digests`` (the periodic command) is the safety net that restarts what a lost worker left
behind.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from django_tasks import task

from clinicsite.core.mail import mail_task, retry_delay

from . import mail
from .models import Digest, Subscriber
from .services import delivery, digests

logger = logging.getLogger(__name__)


def to_run_at(task_obj: Any, at: datetime.datetime | None) -> Any:
    """``task_obj`` set to run at ``at`` where the task backend can defer; itself if it is due;
    None if it cannot wait here (the periodic ``send_digests`` command runs it when due)."""
    if at is None or at <= timezone.now():
        return task_obj
    if task_obj.get_backend().supports_defer:
        return task_obj.using(run_after=at)
    return None


def enqueue_at(task_obj: Any, at: datetime.datetime | None, *args: Any) -> None:
    """Enqueue ``task_obj`` to run at ``at`` (see ``to_run_at``)."""
    if (due := to_run_at(task_obj, at)) is not None:
        due.enqueue(*args)


@mail_task
def send_list_notice(subscriber_id: int, kind: str) -> bool:
    """The confirmation e-mail (or the "you are already subscribed" note)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    if kind == "confirm" and subscriber.status != Subscriber.Status.PENDING:
        return False
    if kind == "already" and subscriber.status != Subscriber.Status.CONFIRMED:
        return False
    mail.list_notice(subscriber, kind).send()
    return True


@mail_task
def send_digest_test(digest_id: int, user_id: int) -> bool:
    """A copy of a digest for the member of staff who asked for it, marked as a test."""
    digest = Digest.objects.filter(pk=digest_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if digest is None or user is None:
        return False
    mail.DigestComposer(digest, digests.digest_pages(digest)).test_message(user.email).send()
    return True


@task()
def start_digest(digest_id: int) -> bool:
    started = digests.digest_start(digest_id=digest_id)
    if started:  # one sender per worker that may share the work (rows are claimed)
        for _ in range(settings.NEWSLETTER_SENDERS):
            send_digest.enqueue(digest_id, 0)
    return started


@task()
def send_digest(digest_id: int, attempt: int = 0) -> dict[str, Any]:
    """Send what is pending; when the mail server is down, try again with doubling back-off."""
    outcome = delivery.digest_send_pending(digest_id=digest_id)
    if outcome.retry:
        delay = retry_delay(attempt)
        logger.warning("digest %s: retrying in %s s (attempt %s)", digest_id, delay, attempt + 1)
        enqueue_at(send_digest, timezone.now() + datetime.timedelta(seconds=delay),
                   digest_id, attempt + 1)  # fmt: skip
    return {"sent": outcome.sent, "failed": outcome.failed, "retry": outcome.retry}
