"""Writes (and audited reads) for follow-up: treatments, invitations, responses, adverse events.

Sending is idempotent: every message is claimed in ``SendLog`` (unique per invitation and kind)
in the transaction that queues its mail task, and marked sent by the task, so re-running the job
never sends a message twice; the task retries while the mail server is unreachable, and a send
it gave up on is queued again by the next run. Mail carries only signed links.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinicsite.accounts.access import can_read_health_data
from clinicsite.applications.models import Application
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import audit, encrypted
from clinicsite.core.mail import enqueue_after_commit
from clinicsite.core.urls import absolute_url

from .models import (
    AdverseEvent,
    Instrument,
    Invitation,
    Question,
    Response,
    Score,
    SendLog,
    TimePoint,
    Treatment,
)
from .schedule import DEFAULT_TIME_POINTS, points_still_ahead

logger = logging.getLogger(__name__)
TOKEN_SALT = "followups.invitation"  # noqa: S105 - a signing namespace, not a secret
REMINDERS = ((SendLog.Kind.REMINDER_3, 3), (SendLog.Kind.REMINDER_7, 7))
ESCALATE_AFTER = datetime.timedelta(hours=24)


def _seal(instance: Any, field: str, value: Any) -> None:
    """Store ``value`` as JSON sealed for this row and column (``core.encrypted``)."""
    encrypted.seal(instance, field, json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


def _open(instance: Any, field: str) -> Any:
    """The JSON value of this row's column (``None`` for NULL); refuses a moved ciphertext."""
    data = encrypted.unseal(instance, field)
    return None if data is None else json.loads(data)


# --- plan ------------------------------------------------------------------------------------


def time_points_for(protocol: TreatmentProtocol) -> list[TimePoint]:
    """The protocol's schedule, created from the default (2 weeks, 2, 6, 12 months) if empty."""
    points = list(protocol.time_points.all())
    if points:
        return points
    instruments = list(Instrument.objects.filter(is_active=True))
    for spec in DEFAULT_TIME_POINTS:
        point, _ = TimePoint.objects.get_or_create(
            protocol=protocol, months=spec.months, days=spec.days, defaults={"label": spec.label}
        )
        point.instruments.set(instruments)
    return list(protocol.time_points.all())


ALREADY_TREATED = "A treatment is already recorded for this application; nothing was added."


@transaction.atomic
def treatment_record(
    *,
    application: Application,
    protocol: TreatmentProtocol,
    treated_on: datetime.date,
    time_zone: str,
    clinician: Any,
    notes: str = "",
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Treatment:
    """Record a treatment for an accepted applicant and schedule the follow-ups still ahead."""
    now = now or timezone.now()
    if application.status != Application.Status.ACCEPTED:
        raise ValidationError("Only an accepted applicant can be recorded as treated.")
    if treated_on > now.date() + datetime.timedelta(days=1):
        raise ValidationError({"treated_on": "The treatment date cannot be in the future."})
    treatment = Treatment(
        application=application,
        protocol=protocol,
        condition_id=protocol.condition_id,
        treated_on=treated_on,
        time_zone=time_zone,
        treating_clinician=clinician,
    )
    _seal(treatment, "notes_ciphertext", notes)
    treatment.full_clean(exclude=["notes_ciphertext", "application"])
    try:
        with transaction.atomic():
            # One treatment per application is the database's rule (a one-to-one column), not
            # a check here: a double click's second request reaches this line too.
            treatment.save()
    except IntegrityError:
        if Treatment.objects.filter(application=application).exists():
            raise ValidationError(ALREADY_TREATED, code="already_treated") from None
        raise
    points = {point.spec: point for point in time_points_for(protocol)}
    expiry = datetime.timedelta(days=settings.FOLLOWUP_RESPONSE_DAYS)
    for spec, due in points_still_ahead(treated_on, list(points), tz_name=time_zone, now=now):
        Invitation.objects.create(
            treatment=treatment,
            time_point=points[spec],
            protocol=protocol,
            condition_id=protocol.condition_id,
            due_at=due,
            expires_at=due + expiry,
        )
    audit.record(actor=clinician, action="treatment.recorded", obj=treatment, request=request)
    return treatment


# --- links -----------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT)


def invitation_url(invitation: Invitation) -> str:
    return absolute_url(reverse("followups:survey", args=[invitation_token(invitation)]))


def stop_url(invitation: Invitation) -> str:
    return absolute_url(reverse("followups:stop", args=[invitation_token(invitation)]))


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names; raises ``BadSignature`` or ``Invitation.DoesNotExist``."""
    data = signing.loads(token, salt=TOKEN_SALT, max_age=datetime.timedelta(days=400))
    invitation = Invitation.objects.select_related("treatment", "time_point").get(pk=data["i"])
    if not isinstance(data.get("n"), str) or data["n"] != invitation.nonce:
        raise signing.BadSignature("stale link")
    return invitation


# --- sending ---------------------------------------------------------------------------------


def _message(invitation: Invitation, kind: str) -> EmailMessage:
    application = invitation.treatment.application
    context = {
        "link": invitation_url(invitation),
        "stop_link": stop_url(invitation),
        "reminder": kind != SendLog.Kind.INVITATION,
        "expires_at": invitation.expires_at,
    }
    body = render_to_string("followups/email/invitation.txt", context)
    subject = (
        "Reminder: your follow-up questionnaire"
        if context["reminder"]
        else "Your follow-up questionnaire"
    )
    message = EmailMessage(subject, body, None, [application.email])
    message.extra_headers = {"List-Unsubscribe": f"<{context['stop_link']}>"}
    return message


def _queue(invitation: Invitation, kind: str, intended_at: datetime.datetime) -> SendLog | None:
    """Claim a message and queue its task in the caller's transaction; None if it was sent or
    is queued already (a re-run, or an overlapping run, queues nothing twice)."""
    from .tasks import send_followup_message

    log, _ = SendLog.objects.get_or_create(
        invitation=invitation, kind=kind, defaults={"intended_at": intended_at}
    )
    claimed = SendLog.objects.filter(
        pk=log.pk, sent_at__isnull=True, queued_at__isnull=True
    ).update(queued_at=timezone.now())
    if not claimed:
        return None
    enqueue_after_commit(send_followup_message, log.pk)
    return log


def message_send(log_id: int) -> bool:
    """Send one queued message and mark it sent (what ``tasks.send_followup_message`` runs).

    Nothing goes out for a message already sent, or whose invitation closed (answered,
    stopped, expired) while it waited. A failed attempt is counted and re-raised, for
    ``mail_task`` to retry or give up (``message_release``).
    """
    log = (
        SendLog.objects.select_related("invitation__treatment__application")
        .filter(pk=log_id)
        .first()
    )
    if log is None or log.sent_at is not None:
        return False
    invitation = log.invitation
    if (
        invitation.status not in (Invitation.Status.SCHEDULED, Invitation.Status.SENT)
        or invitation.treatment.followups_stopped_at is not None
    ):
        SendLog.objects.filter(pk=log_id).update(queued_at=None)
        return False
    try:
        _message(invitation, log.kind).send()
    except Exception as exc:
        error = type(exc).__name__[:200]
        SendLog.objects.filter(pk=log_id).update(attempts=F("attempts") + 1, last_error=error)
        logger.warning("follow-up message %s not sent (%s)", log_id, error)
        raise
    SendLog.objects.filter(pk=log_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SCHEDULED).update(
        status=Invitation.Status.SENT
    )
    return True


def message_release(log_id: int) -> None:
    """The task gave up on a message: unmark it, so the next run queues it again."""
    SendLog.objects.filter(pk=log_id, sent_at__isnull=True).update(queued_at=None)


def send_due(*, now: datetime.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Queue every invitation and reminder that is due, expire stale ones. Safe to re-run.

    Each message is claimed in ``SendLog`` and its task queued in one transaction, so it is
    queued once and never lost; the task sends it and marks it sent. The counts are what this
    run queued; ``retried`` says how many of those had failed before.
    """
    now = now or timezone.now()
    summary = {"invitations": 0, "reminders": 0, "expired": 0, "retried": 0}
    open_statuses = [Invitation.Status.SCHEDULED, Invitation.Status.SENT]
    handled = Q(sent_at__isnull=False) | Q(queued_at__isnull=False)
    live = Invitation.objects.filter(
        status__in=open_statuses, treatment__followups_stopped_at__isnull=True
    )

    expired = live.filter(expires_at__lte=now)
    summary["expired"] = expired.count()
    if not dry_run:
        expired.update(status=Invitation.Status.EXPIRED)

    due = live.filter(due_at__lte=now, expires_at__gt=now).select_related("treatment__application")
    for invitation in due.iterator(chunk_size=500):
        wanted = [(SendLog.Kind.INVITATION, invitation.due_at)]
        for kind, days in REMINDERS:
            at = invitation.due_at + datetime.timedelta(days=days)
            if invitation.status == Invitation.Status.SENT and at <= now:
                wanted.append((kind, at))
        for kind, intended in wanted:
            counter = "invitations" if kind == SendLog.Kind.INVITATION else "reminders"
            if dry_run:
                if not SendLog.objects.filter(handled, invitation=invitation, kind=kind).exists():
                    summary[counter] += 1
                continue
            with transaction.atomic():
                log = _queue(invitation, kind, intended)
            if log is not None:
                summary[counter] += 1
                summary["retried"] += log.attempts > 0
    return summary


# --- patient's side --------------------------------------------------------------------------


def questions_for(invitation: Invitation) -> list[Question]:
    return list(
        Question.objects.filter(
            instrument__in=invitation.time_point.instruments.filter(is_active=True)
        )
        .select_related("instrument")
        .order_by("instrument__is_adverse_event_set", "instrument__name", "sort_order", "pk")
    )


@transaction.atomic
def response_submit(
    *, invitation: Invitation, answers: dict[str, Any], now: datetime.datetime | None = None
) -> Response:
    """Store a patient's answers; a reported adverse event alerts the treating clinician."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status not in (Invitation.Status.SCHEDULED, Invitation.Status.SENT):
        raise ValidationError("This questionnaire can no longer be answered.")
    questions = questions_for(invitation)
    improved = None
    for question in questions:
        value = answers.get(question.key)
        if question.improved_values and value is not None:
            improved = value in question.improved_values
    try:
        response = Response(
            invitation=invitation,
            treatment_id=invitation.treatment_id,
            time_point_id=invitation.time_point_id,
            protocol_id=invitation.protocol_id,
            condition_id=invitation.condition_id,
            submitted_at=now,
            improved=improved,
        )
        _seal(response, "answers_ciphertext", answers)
        response.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError("These answers were already received.") from exc
    Score.objects.bulk_create(
        Score(
            response=response,
            protocol_id=invitation.protocol_id,
            time_point_id=invitation.time_point_id,
            key=question.key,
            value=answers[question.key],
        )
        for question in questions
        if question.allowed_values() is not None and isinstance(answers.get(question.key), int)
    )
    invitation.status = Invitation.Status.RESPONDED
    invitation.save(update_fields=["status"])
    reported = answers.get("ae_any") is True
    if reported:
        adverse_event_report(
            treatment=invitation.treatment,
            description=str(answers.get("ae_description", "")),
            response=response,
            time_point=invitation.time_point,
            now=now,
        )
    return response


@transaction.atomic
def followups_stop(*, treatment: Treatment, now: datetime.datetime | None = None) -> int:
    """The patient stops follow-ups: no more invitations or reminders. Returns how many stopped."""
    now = now or timezone.now()
    if treatment.followups_stopped_at is None:
        treatment.followups_stopped_at = now
        treatment.save(update_fields=["followups_stopped_at"])
    audit.record(action="followups.stopped_by_patient", obj=treatment)
    return Invitation.objects.filter(
        treatment=treatment, status__in=[Invitation.Status.SCHEDULED, Invitation.Status.SENT]
    ).update(status=Invitation.Status.STOPPED)


# --- adverse events --------------------------------------------------------------------------


def adverse_event_report(
    *,
    treatment: Treatment,
    description: str,
    response: Response | None = None,
    time_point: TimePoint | None = None,
    now: datetime.datetime | None = None,
) -> AdverseEvent:
    """Record an adverse event and alert the treating clinician once the row is committed."""
    from .tasks import alert_adverse_event

    event = AdverseEvent(
        treatment=treatment,
        response=response,
        protocol_id=treatment.protocol_id,
        condition_id=treatment.condition_id,
        time_point=time_point,
        reported_at=now or timezone.now(),
    )
    _seal(event, "description_ciphertext", description)
    event.save(force_insert=True)
    audit.record(action="adverse_event.reported", obj=event)
    enqueue_after_commit(alert_adverse_event, event.pk)
    return event


def adverse_event_read(
    *, event: AdverseEvent, user: Any, request: HttpRequest | None = None
) -> dict[str, Any]:
    """The event's description and action, decrypted for a clinician (audited)."""
    if not can_read_health_data(user):
        raise PermissionDenied
    audit.record(actor=user, action="adverse_event.read", obj=event, request=request)
    return {
        "description": _open(event, "description_ciphertext"),
        "action": _open(event, "action_ciphertext"),
    }


@transaction.atomic
def adverse_event_acknowledge(
    *, event: AdverseEvent, user: Any, grade: int, action: str, request: HttpRequest | None = None
) -> AdverseEvent:
    if not can_read_health_data(user):
        raise PermissionDenied
    if grade not in AdverseEvent.Grade.values:
        raise ValidationError({"grade": "Choose a grade from 1 to 5."})
    if not action.strip():
        raise ValidationError({"action": "Say what was done about this event."})
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if not event.is_open:
        raise ValidationError("This event has already been acknowledged.")
    event.status = AdverseEvent.Status.ACKNOWLEDGED
    event.grade = grade
    _seal(event, "action_ciphertext", action.strip())
    event.acknowledged_by = user
    event.acknowledged_at = timezone.now()
    event.save()
    audit.record(
        actor=user,
        action="adverse_event.acknowledged",
        obj=event,
        request=request,
        details={"grade": grade},
    )
    return event


def escalate_unacknowledged(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Escalate events nobody acknowledged within 24 hours to every clinician. Re-runnable."""
    from .tasks import escalate_adverse_event

    now = now or timezone.now()
    stale = AdverseEvent.objects.filter(
        status=AdverseEvent.Status.REPORTED, reported_at__lte=now - ESCALATE_AFTER
    )
    ids = list(stale.values_list("pk", flat=True))
    if dry_run:
        return len(ids)
    for pk in ids:
        with transaction.atomic():
            updated = AdverseEvent.objects.filter(
                pk=pk, status=AdverseEvent.Status.REPORTED
            ).update(status=AdverseEvent.Status.ESCALATED, escalated_at=now)
            if updated:
                audit.record(action="adverse_event.escalated", obj=AdverseEvent(pk=pk))
                enqueue_after_commit(escalate_adverse_event, pk)
    return len(ids)
