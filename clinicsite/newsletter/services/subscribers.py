"""Writes to the subscribers: sign-up, confirmation, leaving, preferences, export, erasure.

Every status change goes through ``Subscriber.TRANSITIONS`` and leaves a ledger line
(``ConsentEvent``); the confirmation and notice e-mails are queued with
``core.mail.enqueue_after_commit``, so they exist exactly when the change was committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from clinicsite.clinic.models import Condition
from clinicsite.core import audit
from clinicsite.core.mail import enqueue_after_commit
from clinicsite.core.ratelimit import hit

from .. import consent
from ..models import ConsentEvent, Delivery, InvalidTransition, NewsletterSettings, Subscriber

SIGNUP_READS = 3


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


def _locked_or_created(email: str, language: str) -> tuple[Subscriber, bool]:
    """The address's row, locked for this transaction, or a new one: ``(subscriber, created)``.

    Two sign-ups of a new address at the same moment: the second insert fails on the unique
    address once the first has committed, and the row is read again. The reads are bounded
    (the row exists after one failed insert, short of an erasure in between).
    """
    for attempt in range(SIGNUP_READS):
        subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
        if subscriber is not None:
            return subscriber, False
        try:
            with transaction.atomic():
                return Subscriber.objects.create(email=email, language=language), True
        except IntegrityError:
            if attempt == SIGNUP_READS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


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
    subscriber, created = _locked_or_created(email, language)
    version = consent.CURRENT
    if created:
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
        from ..tasks import send_list_notice

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
        from ..tasks import send_list_notice

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
