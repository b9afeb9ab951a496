"""Background mail about applications. Mails carry links only, never health data."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from clinicsite.core import crypto
from clinicsite.core.mail import mail_task
from clinicsite.core.urls import absolute_url

from .models import Application, ApplicationDraft
from .signing import resume_url, status_url


@mail_task
def notify_intake(application_id: int) -> int:
    """Tell the intake group a new application arrived: a link to the queue, nothing else."""
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=["Intake coordinator", "Clinician"])
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients or not Application.objects.filter(pk=application_id).exists():
        return 0
    link = absolute_url(reverse("applications_review:detail", args=[application_id]))
    body = render_to_string("applications/email/new_application.txt", {"link": link})
    return send_mail("New application to review", body, None, recipients)


@mail_task
def send_decision_email(application_id: int) -> int:
    """Tell the applicant a decision was made: only the signed status link."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        return 0
    body = render_to_string(
        "applications/email/decision.txt",
        {"link": status_url(application), "reference": application.reference},
    )
    return send_mail("An update on your application", body, None, [application.email])


@mail_task
def send_resume_link(draft_id: str, sealed_address: str) -> int:
    """The applicant's "continue later" link: the e-mail holds the link and nothing else.

    The address arrives encrypted (``seal_address``): task arguments are stored in the task
    table, and a draft is otherwise identified by nothing in clear.
    """
    draft = ApplicationDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        return 0
    address = crypto.unseal(sealed_address.encode(), _address_context(draft_id)).decode()
    body = render_to_string(
        "applications/email/resume.txt",
        {"link": resume_url(draft_id, draft.link_version), "days": settings.APPLICATION_DRAFT_DAYS},
    )
    return send_mail("Continue your application", body, None, [address])


def _address_context(draft_id: object) -> str:
    return f"applications.send_resume_link:address:{draft_id}"


def seal_address(address: str, draft_id: object) -> str:
    """``address`` encrypted for this draft's link only, as ``send_resume_link`` takes it."""
    return crypto.seal(address.encode(), _address_context(draft_id)).decode()
