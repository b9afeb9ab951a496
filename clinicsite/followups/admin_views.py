"""Clinicians' follow-up screens in the Wagtail admin: record a treatment, handle adverse events.

All need the health-data permission and a TOTP-verified session (``accounts.access``);
every decryption is audited by the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from clinicsite.accounts.access import HEALTH, staff_view
from clinicsite.applications.models import Application
from clinicsite.core import audit

from . import services
from .forms import AcknowledgeForm, TreatmentForm
from .models import AdverseEvent


@never_cache
@staff_view(HEALTH, second_factor=True)
def adverse_events(request: HttpRequest) -> HttpResponse:
    events = list(
        AdverseEvent.objects.select_related("protocol", "treatment__application").order_by(
            "status", "-reported_at"
        )[:200]
    )
    # who saw which events were open (the list names applicants beside grades); no details
    audit.record(
        action="adverse_event.list_viewed",
        obj=AdverseEvent,
        request=request,
        details={"rows": len(events)},
    )
    return TemplateResponse(request, "followups/admin/adverse_events.html", {"events": events})


@never_cache
@staff_view(HEALTH, second_factor=True)
def adverse_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(
        AdverseEvent.objects.select_related("treatment__application", "protocol"), pk=pk
    )
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_acknowledge(
                event=event,
                user=request.user,
                grade=form.cleaned_data["grade"],
                action=form.cleaned_data["action"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Adverse event acknowledged and graded.")
            return redirect("followups_admin:adverse_events")
    details = services.adverse_event_read(event=event, user=request.user, request=request)
    return TemplateResponse(
        request,
        "followups/admin/adverse_event.html",
        {"event": event, "details": details, "form": form},
    )


@never_cache
@staff_view(HEALTH, second_factor=True)
def record_treatment(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.select_related("protocol"), pk=application_pk
    )
    form = TreatmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.treatment_record(
                application=application,
                protocol=application.protocol,
                treated_on=form.cleaned_data["treated_on"],
                time_zone=form.cleaned_data["time_zone"],
                clinician=request.user,
                notes=form.cleaned_data["notes"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Treatment recorded; follow-up surveys are scheduled.")
            return redirect("applications_review:detail", application.pk)
    return TemplateResponse(
        request,
        "followups/admin/record_treatment.html",
        {"application": application, "form": form},
        status=400 if request.method == "POST" else 200,
    )
