"""Background work for follow-up. Mail carries links only, never health data."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from django_tasks import task

from clinicsite.core.mail import mail_task
from clinicsite.core.urls import absolute_url

from .models import AdverseEvent


def _event_link(event_id: int) -> str:
    return absolute_url(reverse("followups_admin:adverse_event", args=[event_id]))


def _release(log_id: int) -> None:
    from .services import message_release

    message_release(log_id)


@mail_task(on_give_up=_release)
def send_followup_message(log_id: int) -> bool:
    """One invitation or reminder (``SendLog`` row ``log_id``): the signed links, nothing else.

    The job (``send_due``) queued it with the row it claimed; a message the mail server
    refused, or that could not be retried here, is queued again by the job's next run.
    """
    from .services import message_send

    return message_send(log_id)


@mail_task
def alert_adverse_event(event_id: int) -> int:
    """Tell the treating clinician at once that a patient reported an adverse event."""
    event = (
        AdverseEvent.objects.select_related("treatment__treating_clinician")
        .filter(pk=event_id)
        .first()
    )
    if event is None or not event.treatment.treating_clinician.email:
        return 0
    body = render_to_string("followups/email/adverse_event.txt", {"link": _event_link(event_id)})
    return send_mail(
        "Adverse event reported: please review",
        body,
        None,
        [event.treatment.treating_clinician.email],
    )


@mail_task
def escalate_adverse_event(event_id: int) -> int:
    """An event nobody acknowledged for 24 hours goes to every clinician."""
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name="Clinician")
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    body = render_to_string(
        "followups/email/adverse_event.txt", {"link": _event_link(event_id), "escalated": True}
    )
    return send_mail("Unacknowledged adverse event (24 hours)", body, None, recipients)


@task()
def run_followups() -> dict[str, int]:
    """The periodic job: queue due invitations and reminders, escalate stale adverse events."""
    from .services import escalate_unacknowledged, send_due

    summary = send_due()
    summary["escalated"] = escalate_unacknowledged()
    return summary
