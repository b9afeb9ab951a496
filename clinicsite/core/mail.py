"""Outgoing mail as background tasks that survive a mail server outage.

* ``mail_task`` makes a django-tasks task whose transient SMTP failures (server down, 4xx)
  re-enqueue the same task with doubling back-off instead of failing it, so a message queued
  while the server is down goes out once it is back.
* ``enqueue_after_commit`` queues a task so that it exists exactly when the data it is about
  exists. With the database task backend the task row is written inside the caller's
  transaction (one commit holds both: a crash can lose neither alone); with any other
  backend it is enqueued once the transaction has committed.
"""

from __future__ import annotations

import datetime
import functools
import logging
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from django_tasks import task

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying later: no connection, or a 4xx answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, TRANSIENT_ERRORS)


def retry_delay(attempt: int) -> float:
    """Seconds before retry number ``attempt + 1``: doubling, capped."""
    return min(settings.MAIL_RETRY_SECONDS * 2**attempt, settings.MAIL_RETRY_MAX_SECONDS)


def enqueue_after_commit(task_obj: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task_obj`` so that it exists exactly when the caller's transaction commits."""
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(task_obj.get_backend(), DatabaseBackend):
        task_obj.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs))


def mail_task(
    func: Callable[..., Any] | None = None, *, on_give_up: Callable[..., Any] | None = None
) -> Any:
    """A task that sends mail and retries on transient SMTP failures.

    The wrapped function must be idempotent enough to run again after a failed attempt (it
    sends one message; a failure means that message was not accepted).

    ``on_give_up`` is called with the task's arguments when a failure is final (a 5xx, any
    other error, or a transient one on a backend that cannot defer the retry), before the
    error propagates: a task whose message is recorded as queued gives that record back
    there, so the job that queued it queues it again on its next run rather than never.
    Use it as ``@mail_task`` or ``@mail_task(on_give_up=...)``.
    """
    if func is None:
        return functools.partial(mail_task, on_give_up=on_give_up)

    @functools.wraps(func)
    def run(*args: Any, mail_attempt: int = 0, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            if not is_transient(exc) or not wrapped.get_backend().supports_defer:
                if on_give_up is not None:
                    on_give_up(*args, **kwargs)
                raise
            delay = retry_delay(mail_attempt)
            logger.warning(
                "%s: mail server unavailable (%s); retry %s in %ss",
                func.__name__, type(exc).__name__, mail_attempt + 1, delay,
            )  # fmt: skip
            at = timezone.now() + datetime.timedelta(seconds=delay)
            wrapped.using(run_after=at).enqueue(*args, mail_attempt=mail_attempt + 1, **kwargs)
            return None

    wrapped = task()(run)
    return wrapped
