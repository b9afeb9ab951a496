"""Condition pages: what a condition is, its standard of care, the evidence and the clinic's
protocols for it (kept as clinic data), with related articles and stories."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.functional import cached_property

from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from clinicsite.clinic.models import Condition, TreatmentProtocol
from clinicsite.clinic.questions import protocol_questions

from ..blocks import BaseStreamBlock
from ..panels import EvidenceCheckPanel
from .articles import ArticlePage
from .base import BasePage, lazily
from .medical_review import MedicalReviewMixin
from .stories import PatientStoryPage, current_stories


class ConditionIndexPage(BasePage):
    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ConditionPage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["condition_pages"] = ConditionPage.cards().child_of(self).order_by("title")
        return context


class ConditionPage(MedicalReviewMixin, BasePage):
    condition = models.OneToOneField(Condition, on_delete=models.PROTECT, related_name="page")
    summary = models.TextField(help_text="What the condition is, in two or three plain sentences.")
    overview = StreamField(BaseStreamBlock(), blank=True)
    standard_of_care = StreamField(BaseStreamBlock(), blank=True)
    evidence = StreamField(BaseStreamBlock(), blank=True, verbose_name="what the evidence says")

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("overview"),
        index.SearchField("evidence"),
    ]

    content_panels = [
        EvidenceCheckPanel(heading="Evidence check"),
        *Page.content_panels,
        FieldPanel("condition"),
        FieldPanel("summary"),
        FieldPanel("overview"),
        FieldPanel("standard_of_care"),
        FieldPanel("evidence"),
    ]
    settings_panels = [*MedicalReviewMixin.review_panels, *Page.settings_panels]

    parent_page_types = ["content.ConditionIndexPage"]
    subpage_types: list[str] = []
    serve_select_related = ("medical_reviewer",)  # review dates
    card_fields = ("summary",)

    def clean(self) -> None:
        super().clean()
        self.clean_review_dates()

    @property
    def summary_text(self) -> str:
        return self.search_description or self.summary

    @cached_property
    def protocols(self) -> list[TreatmentProtocol]:
        """Protocols offered for this condition: kept as clinic data, not page text."""
        return list(
            TreatmentProtocol.objects.filter(condition_id=self.condition_id, is_active=True)
        )

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        evidence_url = "#evidence-heading" if self.evidence else ""
        context["protocol_questions"] = lazily(
            lambda: [
                (protocol, protocol_questions(protocol, evidence_url=evidence_url))
                for protocol in self.protocols
            ]
        )
        context["articles"] = lazily(
            lambda: (
                ArticlePage.cards().filter(related_conditions=self).order_by("-date_published")[:6]
            )
        )
        context["stories"] = lazily(
            lambda: current_stories(
                PatientStoryPage.cards()
                .filter(condition_id=self.condition_id)
                .order_by("-first_published_at")
            )[:3]
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "name": self.title,
            "url": self.get_full_url(request),
            "about": {"@type": "MedicalCondition", "name": self.condition.name},
            "description": self.summary,
        }
        if self.medical_reviewer:
            data["reviewedBy"] = self.medical_reviewer.json_ld()
        if self.last_reviewed:
            data["lastReviewed"] = self.last_reviewed.isoformat()
        return data
