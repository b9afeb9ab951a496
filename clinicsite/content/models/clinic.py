"""The clinic's profile page: accreditation, location and the approvals of every protocol."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from clinicsite.clinic.models import ClinicSettings, TreatmentProtocol

from ..blocks import RICH_TEXT_FEATURES, BaseStreamBlock
from .base import BasePage


def clinic_json_ld(request: HttpRequest) -> dict[str, Any]:
    clinic = ClinicSettings.for_request(request)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": clinic.name,
        "url": request.build_absolute_uri("/"),
        "address": clinic.postal_address_ld(),
    }
    if clinic.phone:
        data["telephone"] = clinic.phone
    if clinic.email:
        data["email"] = clinic.email
    return data


class Accreditation(Orderable):
    page = ParentalKey(
        "content.ClinicPage", related_name="accreditations", on_delete=models.CASCADE
    )
    name = models.CharField(max_length=200, help_text="What is accredited or licensed.")
    issuer = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    url = models.URLField("public register entry", blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("issuer"),
        FieldRowPanel([FieldPanel("reference"), FieldPanel("valid_until")]),
        FieldPanel("url"),
    ]


class ClinicPage(BasePage):
    introduction = models.TextField()
    body = StreamField(BaseStreamBlock(), blank=True)
    location = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True, help_text="How to get there; link out to maps."
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("body"),
        FieldPanel("location"),
        InlinePanel("accreditations", heading="Accreditation and licences", label="Accreditation"),
    ]

    parent_page_types = ["content.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["protocols"] = TreatmentProtocol.objects.filter(is_active=True).select_related(
            "condition"
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return clinic_json_ld(request)
