"""Sending a digest: claim pending send-log rows in batches, send them over one SMTP
connection, stamp each row as soon as the server has it.

Digests keep this fast path rather than one mail task per message: ``tasks.send_digest`` runs
it in the background with the same retry policy as ``core.mail.mail_task`` (a server that is
down or answers 4xx gives the unsent rows back and the task re-enqueues itself with doubling
back-off; a 5xx marks that one row failed).
"""

from __future__ import annotations

import datetime
import logging
import secrets
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicsite.core.mail import is_transient

from .. import mail
from ..models import Delivery, Digest, Subscriber
from .digests import digest_pages, digest_start, move_digest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    sent: int
    failed: int
    skipped: int
    done: bool  # nothing left to send
    retry: bool  # the mail server could not be reached: try again later


def release_stale_claims(*, digest: Digest, now: datetime.datetime | None = None) -> int:
    """Give back rows a lost worker had claimed (after ``NEWSLETTER_CLAIM_TIMEOUT_SECONDS``)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT_SECONDS)
    return Delivery.objects.filter(
        digest=digest,
        status=Delivery.Status.QUEUED,
        claimed_at__lt=cutoff,
    ).update(status=Delivery.Status.PENDING, claim="")


def _claim(digest: Digest, size: int) -> list[Delivery]:
    claim = secrets.token_hex(16)
    ids = list(
        Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    if not ids:
        return []
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.QUEUED, claim=claim, claimed_at=timezone.now()
    )
    return list(
        Delivery.objects.filter(claim=claim, status=Delivery.Status.QUEUED)
        .select_related("subscriber")
        .order_by("pk")
    )


def run_due(*, now: datetime.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """The periodic job: start digests that are due and finish any a lost worker left."""
    now = now or timezone.now()
    due = Digest.objects.filter(status=Digest.Status.SCHEDULED, scheduled_for__lte=now)
    summary = {"started": 0, "sent": 0, "failed": 0, "pending": 0}
    if dry_run:
        summary["started"] = due.count()
        summary["pending"] = Delivery.objects.filter(
            digest__status=Digest.Status.SENDING, status=Delivery.Status.PENDING
        ).count()
        return summary
    for digest_id in due.values_list("pk", flat=True):
        summary["started"] += digest_start(digest_id=digest_id, now=now)
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list(
        "pk", flat=True
    ):
        outcome = digest_send_pending(digest_id=digest_id)
        summary["sent"] += outcome.sent
        summary["failed"] += outcome.failed
        if not outcome.done:
            summary["pending"] += 1
    return summary


def _send_one(sender: mail.Sender, composer: mail.DigestComposer, row: Delivery) -> None:
    try:
        sender.send(composer, row, row.subscriber)
    except smtplib.SMTPServerDisconnected:
        # Servers close long sessions (message limits, idle timeouts): reconnect once.
        sender.reconnect()
        sender.send(composer, row, row.subscriber)


def digest_send_pending(*, digest_id: int, max_batches: int | None = None) -> SendOutcome:
    """Send the digest's pending rows in batches over one SMTP connection.

    Safe to run in several workers at once (rows are claimed) and to re-run after a crash.
    A mail server that is down or answers 4xx stops the run with ``retry=True`` and gives the
    unsent rows back; a permanent refusal (5xx) marks that one row failed.
    """
    digest = Digest.objects.get(pk=digest_id)
    if digest.status != Digest.Status.SENDING:
        return SendOutcome(0, 0, 0, done=digest.status == Digest.Status.SENT, retry=False)
    release_stale_claims(digest=digest)
    composer = mail.DigestComposer(digest, digest_pages(digest))
    sent = failed = skipped = 0
    try:
        sender = mail.Sender()
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("digest %s: mail server unavailable (%s)", digest.pk, type(exc).__name__)
        return SendOutcome(0, 0, 0, done=False, retry=True)
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            rows = _claim(digest, settings.NEWSLETTER_BATCH_SIZE)
            if not rows:
                break
            batches += 1
            for index, row in enumerate(rows):
                if row.subscriber is None or row.subscriber.status != Subscriber.Status.CONFIRMED:
                    Delivery.objects.filter(pk=row.pk).update(status=Delivery.Status.SKIPPED)
                    skipped += 1
                    continue
                try:
                    _send_one(sender, composer, row)
                except Exception as exc:
                    error = type(exc).__name__[:200]
                    if is_transient(exc):
                        unsent = [r.pk for r in rows[index:]]
                        Delivery.objects.filter(pk__in=unsent).update(
                            status=Delivery.Status.PENDING, claim="", last_error=error
                        )
                        Delivery.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
                        logger.warning("digest %s: mail server unavailable (%s)", digest.pk, error)
                        return SendOutcome(sent, failed, skipped, done=False, retry=True)
                    Delivery.objects.filter(pk=row.pk).update(
                        status=Delivery.Status.FAILED, last_error=error, attempts=row.attempts + 1
                    )
                    failed += 1
                    continue
                # One write per message, committed at once: after a crash only the message
                # in flight can be uncertain (it is sent again, with the same Message-ID).
                Delivery.objects.filter(pk=row.pk).update(
                    status=Delivery.Status.SENT,
                    sent_at=timezone.now(),
                    attempts=row.attempts + 1,
                    last_error="",
                )
                sent += 1
    finally:
        sender.close()
    done = _finish_if_done(digest)
    return SendOutcome(sent, failed, skipped, done=done, retry=False)


def _finish_if_done(digest: Digest) -> bool:
    open_rows = Delivery.objects.filter(
        digest=digest,
        status__in=[Delivery.Status.PENDING, Delivery.Status.QUEUED],
    )
    if open_rows.exists():
        return False
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status == Digest.Status.SENDING:
            move_digest(digest, Digest.Status.SENT)
            digest.finished_at = timezone.now()
            digest.save(update_fields=["status", "finished_at"])
    return True
