"""The patient's side: answer a follow-up questionnaire, or stop follow-ups, from a signed link.

No account is needed; the link is the credential. Pages never show earlier answers, and page
titles and URLs carry nothing about the patient's health.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import services
from .forms import SurveyForm
from .models import Invitation


def _invalid(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "followups/link_invalid.html", status=400)


def _load(token: str) -> Invitation | None:
    try:
        return services.invitation_from_token(token)
    except (signing.BadSignature, Invitation.DoesNotExist, KeyError, TypeError):
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _load(token)
    if invitation is None:
        return _invalid(request)
    if invitation.status == Invitation.Status.RESPONDED:
        return TemplateResponse(request, "followups/thanks.html", {"already": True})
    closed = invitation.status in (Invitation.Status.EXPIRED, Invitation.Status.STOPPED)
    if closed or invitation.expires_at <= timezone.now() or invitation.due_at > timezone.now():
        return TemplateResponse(
            request, "followups/closed.html", {"invitation": invitation}, status=410
        )
    questions = services.questions_for(invitation)
    form = SurveyForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.response_submit(invitation=invitation, answers=form.answers())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            reported = response.treatment.adverse_events.filter(response=response).exists()
            return TemplateResponse(request, "followups/thanks.html", {"reported": reported})
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "followups/survey.html",
        {"form": form, "invitation": invitation, "token": token},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _load(token)
    if invitation is None:
        return _invalid(request)
    if request.method == "POST":
        services.followups_stop(treatment=invitation.treatment)
        return TemplateResponse(request, "followups/stopped.html")
    return TemplateResponse(request, "followups/stop.html", {"token": token})
