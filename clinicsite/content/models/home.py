"""The home page."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from ..blocks import BaseStreamBlock
from .articles import ArticlePage
from .base import IMAGE_MODEL, BasePage, lazily
from .clinic import clinic_json_ld
from .conditions import ConditionPage
from .stories import PatientStoryPage, current_stories


class HomePage(BasePage):
    hero_heading = models.CharField(max_length=200)
    hero_text = models.TextField(blank=True)
    hero_image = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BaseStreamBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("hero_heading"), FieldPanel("hero_text"), FieldPanel("hero_image")],
            heading="Hero",
        ),
        FieldPanel("body"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["latest_articles"] = lazily(
            lambda: ArticlePage.cards().order_by("-date_published")[:3]
        )
        context["conditions"] = lazily(lambda: ConditionPage.cards().order_by("title"))
        context["stories"] = lazily(
            lambda: current_stories(
                PatientStoryPage.cards().select_related("condition").order_by("-first_published_at")
            )[:3]
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return clinic_json_ld(request)
