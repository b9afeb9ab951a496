"""Writes to the mailing list: sign-up, confirmation, leaving, preferences, digests, erasure.

Every status change goes through the ``TRANSITIONS`` of its model and leaves a ledger line
(``ConsentEvent``) for subscribers or an audit entry for staff actions. Mail is queued with
``core.mail.enqueue_after_commit``, so it exists exactly when the change was committed.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from wagtail.models import Page

from clinicsite.clinic.models import Condition
from clinicsite.core import audit
from clinicsite.core.mail import enqueue_after_commit, is_transient
from clinicsite.core.ratelimit import hit

from . import consent, mail
from .models import (
    ConsentEvent,
    Delivery,
    Digest,
    InvalidTransition,
    NewsletterSettings,
    Subscriber,
)

logger = logging.getLogger(__name__)


# --- subscribers -----------------------------------------------------------------------------


def _event(
    subscriber: Subscriber,
    kind: str,
    method: str,
    *,
    request: HttpRequest | None = None,
    source: str = "",
    wording_version: str = "",
    details: dict[str, Any] | None = None,
) -> ConsentEvent:
    ip = None
    if request is not None and NewsletterSettings.load().record_ip_address:
        ip = audit.client_ip(request)
    return ConsentEvent.objects.create(
        subscriber=subscriber,
        kind=kind,
        method=method,
        source=source[:200],
        wording_version=wording_version,
        ip_address=ip,
        details=details or {},
    )


def _move(subscriber: Subscriber, status: str) -> None:
    if not subscriber.can_become(status):
        raise InvalidTransition(f"A subscriber cannot go from {subscriber.status} to {status}.")
    subscriber.status = status


def _may_mail(email: str) -> bool:
    """Per-address cap on list mail (confirmations, notices) so nobody can mail-bomb a third
    party through the form."""
    return not hit(
        "newsletter-mail",
        email.lower(),
        limit=settings.NEWSLETTER_MAILS_PER_ADDRESS_DAY,
        window=24 * 3600,
    )


def _choices(topics: Iterable[Condition]) -> dict[str, Any]:
    return {"topics": sorted(c.slug for c in topics)}


@transaction.atomic
def subscriber_signup(
    *,
    email: str,
    topics: Iterable[Condition],
    language: str,
    source: str = "",
    request: HttpRequest | None = None,
) -> Subscriber:
    """Start (or restart) a double opt-in for ``email``, already normalised.

    The caller shows the same answer whatever happened here, so nobody can learn whether an
    address is on the list. A confirmed subscriber's choices are not changed by a form anyone
    could fill in; they get a note with their preferences link instead.
    """
    topics = list(topics)
    subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
    version = consent.CURRENT
    if subscriber is None:
        try:
            with transaction.atomic():  # two sign-ups of a new address at the same moment
                subscriber = Subscriber.objects.create(email=email, language=language)
        except IntegrityError:
            return subscriber_signup(
                email=email, topics=topics, language=language, source=source, request=request
            )
        subscriber.topics.set(topics)
        _event(
            subscriber, ConsentEvent.Kind.SIGNUP, ConsentEvent.Method.WEB_FORM,
            request=request, source=source, wording_version=version,
            details={**_choices(topics), "language": language},
        )  # fmt: skip
        notice = "confirm"
    elif subscriber.status == Subscriber.Status.CONFIRMED:
        _event(
            subscriber, ConsentEvent.Kind.SIGNUP_REPEATED, ConsentEvent.Method.WEB_FORM,
            request=request, source=source, wording_version=version,
        )  # fmt: skip
        notice = "already"
    else:
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            _move(subscriber, Subscriber.Status.PENDING)
            subscriber.opt_in_round += 1
            kind = ConsentEvent.Kind.SIGNUP
        else:
            kind = ConsentEvent.Kind.SIGNUP_REPEATED
        subscriber.language = language
        subscriber.save(update_fields=["status", "opt_in_round", "language"])
        subscriber.topics.set(topics)
        _event(
            subscriber, kind, ConsentEvent.Method.WEB_FORM, request=request, source=source,
            wording_version=version, details={**_choices(topics), "language": language},
        )  # fmt: skip
        notice = "confirm"
    if _may_mail(subscriber.email):
        from .tasks import send_list_notice

        enqueue_after_commit(send_list_notice, subscriber.pk, notice)
    return subscriber


@dataclass(frozen=True)
class ConfirmResult:
    subscriber: Subscriber | None
    outcome: str  # "confirmed", "already", "stale"


@transaction.atomic
def subscriber_confirm(
    *, key: str, opt_in_round: int, request: HttpRequest | None = None
) -> ConfirmResult:
    """Confirm the opt-in named by a (verified) confirmation link."""
    subscriber = Subscriber.objects.select_for_update().filter(key=key).first()
    if subscriber is None or subscriber.opt_in_round != opt_in_round:
        return ConfirmResult(subscriber, "stale")
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return ConfirmResult(subscriber, "already")
    if subscriber.status != Subscriber.Status.PENDING:
        return ConfirmResult(subscriber, "stale")
    _move(subscriber, Subscriber.Status.CONFIRMED)
    subscriber.confirmed_at = timezone.now()
    subscriber.save(update_fields=["status", "confirmed_at"])
    _event(
        subscriber, ConsentEvent.Kind.CONFIRMED, ConsentEvent.Method.EMAIL_LINK,
        request=request, wording_version=consent.CURRENT,
    )  # fmt: skip
    return ConfirmResult(subscriber, "confirmed")


@transaction.atomic
def subscriber_unsubscribe(
    *, subscriber: Subscriber, method: str, request: HttpRequest | None = None
) -> bool:
    """Leave the list at once; False if already out. Unsent digests are skipped, and open
    confirmation links stop working (a new opt-in is needed to come back)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return False
    _move(subscriber, Subscriber.Status.UNSUBSCRIBED)
    subscriber.unsubscribed_at = timezone.now()
    subscriber.opt_in_round += 1
    subscriber.save(update_fields=["status", "unsubscribed_at", "opt_in_round"])
    _event(subscriber, ConsentEvent.Kind.UNSUBSCRIBED, method, request=request)
    return True


@transaction.atomic
def subscriber_resubscribe(*, subscriber: Subscriber, request: HttpRequest | None = None) -> None:
    """From the preferences page: back to "pending" and a fresh confirmation e-mail."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    _move(subscriber, Subscriber.Status.PENDING)
    subscriber.opt_in_round += 1
    subscriber.save(update_fields=["status", "opt_in_round"])
    _event(
        subscriber, ConsentEvent.Kind.SIGNUP, ConsentEvent.Method.EMAIL_LINK,
        request=request, wording_version=consent.CURRENT,
    )  # fmt: skip
    if _may_mail(subscriber.email):
        from .tasks import send_list_notice

        enqueue_after_commit(send_list_notice, subscriber.pk, "confirm")


@transaction.atomic
def subscriber_update_preferences(
    *,
    subscriber: Subscriber,
    topics: Iterable[Condition],
    language: str,
    request: HttpRequest | None = None,
) -> None:
    topics = list(topics)
    subscriber.language = language
    subscriber.save(update_fields=["language"])
    subscriber.topics.set(topics)
    _event(
        subscriber, ConsentEvent.Kind.PREFERENCES, ConsentEvent.Method.EMAIL_LINK,
        request=request, details={**_choices(topics), "language": language},
    )  # fmt: skip


def subscriber_export(*, subscriber: Subscriber, actor: Any = None, request: Any = None) -> dict:
    """Everything the list holds about one person (their right of access), audited."""
    audit.record(actor=actor, action="subscriber.exported", obj=subscriber, request=request)
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "language": subscriber.language,
        "topics": [c.name for c in subscriber.topics.all()],
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": (
            subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None
        ),
        "consent_events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "method": e.method,
                "wording_version": e.wording_version,
                "wording": consent.wording(e.wording_version),
                "source": e.source,
                "ip_address": e.ip_address,
                "details": e.details,
            }
            for e in subscriber.events.all()
        ],
        "digests_sent": [
            {"subject": d.digest.subject, "sent_at": d.sent_at.isoformat()}
            for d in subscriber.deliveries.filter(status=Delivery.Status.SENT).select_related(
                "digest"
            )
        ],
    }


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber, actor: Any = None, request: Any = None) -> None:
    """Erase one subscriber: address, choices and consent ledger. Send-log rows stay, without
    anyone's name, so digest counts remain true. The audit entry names no address."""
    audit.record(actor=actor, action="subscriber.erased", obj=subscriber, request=request)
    subscriber.delete()


# --- digests ---------------------------------------------------------------------------------


def _move_digest(digest: Digest, status: str) -> None:
    if not digest.can_become(status):
        raise InvalidTransition(f"A digest cannot go from {digest.status} to {status}.")
    digest.status = status


def digest_since(digest: Digest) -> datetime.datetime:
    """Start of "everything published since the last digest" (30 days for the first)."""
    last = (
        Digest.objects.filter(status__in=[Digest.Status.SENT, Digest.Status.SENDING])
        .exclude(pk=digest.pk)
        .exclude(started_at__isnull=True)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return last or (timezone.now() - datetime.timedelta(days=30))


def digest_pages(digest: Digest) -> list[Page]:
    """The pages the digest lists, in order, live and public only."""
    from clinicsite.content.models import ArticlePage, PatientStoryPage

    if digest.page_ids:  # frozen when sending started
        pages = Page.objects.live().public().filter(pk__in=digest.page_ids).specific()
        by_id = {p.pk: p for p in pages}
        return [by_id[pk] for pk in digest.page_ids if pk in by_id]
    if digest.mode == Digest.Mode.CHOSEN:
        ids = [item.page_id for item in digest.items.all()]
        pages = Page.objects.live().public().filter(pk__in=ids).specific()
        by_id = {p.pk: p for p in pages}
        return [by_id[pk] for pk in ids if pk in by_id]
    return list(
        Page.objects.live()
        .public()
        .type(ArticlePage, PatientStoryPage)
        .filter(first_published_at__gt=digest_since(digest))
        .order_by("-first_published_at")
        .specific()[:50]
    )


def digest_recipients(digest: Digest):  # noqa: ANN201 - a QuerySet of Subscriber
    """Confirmed subscribers in the digest's language whose topics (if any) it touches."""
    from clinicsite.content.models import ArticlePage, PatientStoryPage

    pages = digest_pages(digest)
    conditions: set[int] = set()
    for page in pages:
        if isinstance(page, ArticlePage):
            conditions.update(page.related_conditions.values_list("condition_id", flat=True))
        elif isinstance(page, PatientStoryPage):
            conditions.add(page.condition_id)
    return (
        Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED, language=digest.language)
        .filter(Q(topics__isnull=True) | Q(topics__in=conditions))
        .distinct()
    )


@transaction.atomic
def digest_schedule(
    *, digest: Digest, when: datetime.datetime | None, actor: Any, request: Any = None
) -> Digest:
    """Queue a digest to start at ``when`` (now if None)."""
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    if not digest_pages(digest):
        raise InvalidTransition("This digest lists no published pages yet, so it cannot be sent.")
    _move_digest(digest, Digest.Status.SCHEDULED)
    digest.scheduled_for = when or timezone.now()
    digest.save(update_fields=["status", "scheduled_for"])
    audit.record(
        actor=actor, action="digest.scheduled", obj=digest, request=request,
        details={"scheduled_for": digest.scheduled_for.isoformat()},
    )  # fmt: skip
    from .tasks import enqueue_at, start_digest

    pk, at = digest.pk, digest.scheduled_for
    transaction.on_commit(lambda: enqueue_at(start_digest, at, pk))
    return digest


@transaction.atomic
def digest_unschedule(*, digest: Digest, actor: Any, request: Any = None) -> None:
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    _move_digest(digest, Digest.Status.DRAFT)
    digest.save(update_fields=["status"])
    audit.record(actor=actor, action="digest.unscheduled", obj=digest, request=request)


def digest_start(*, digest_id: int, now: datetime.datetime | None = None) -> bool:
    """Freeze the page list and write one pending send-log row per recipient. Idempotent:
    False unless the digest was scheduled and is due."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = Digest.objects.select_for_update().filter(pk=digest_id).first()
        if digest is None or digest.status != Digest.Status.SCHEDULED:
            return False
        if digest.scheduled_for and digest.scheduled_for > now:
            return False
        pages = digest_pages(digest)
        if not pages:
            _move_digest(digest, Digest.Status.CANCELLED)
            digest.save(update_fields=["status"])
            audit.record(action="digest.cancelled_empty", obj=digest)
            return False
        digest.page_ids = [p.pk for p in pages]
        _move_digest(digest, Digest.Status.SENDING)
        digest.started_at = now
        digest.save(update_fields=["page_ids", "status", "started_at"])
        ids = digest_recipients(digest).values_list("pk", flat=True).order_by("pk")
        batch: list[Delivery] = []
        for subscriber_id in ids.iterator(chunk_size=2000):
            batch.append(Delivery(digest_id=digest.pk, subscriber_id=subscriber_id))
            if len(batch) >= 2000:
                Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    return True


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
            _move_digest(digest, Digest.Status.SENT)
            digest.finished_at = timezone.now()
            digest.save(update_fields=["status", "finished_at"])
    return True


def digest_progress(digest: Digest) -> dict[str, int]:
    counts = dict(
        digest.deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Delivery.Status.values}


def digest_send_test(*, digest: Digest, user: Any, request: Any = None) -> None:
    """Send the digest to the member of staff only, marked as a test."""
    if not user.email:
        raise InvalidTransition("Add an e-mail address to your account to receive a test.")
    composer = mail.DigestComposer(digest, digest_pages(digest))
    composer.test_message(user.email).send()
    audit.record(actor=user, action="digest.test_sent", obj=digest, request=request)
