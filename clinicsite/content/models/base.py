"""What every public page shares: Open Graph, JSON-LD, listing cards and the clinic's details."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from wagtail.admin.panels import FieldPanel
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.query import PageQuerySet

from clinicsite.clinic.models import ClinicSettings

from .routing import RoutingMixin

IMAGE_MODEL = "core.ClinicImage"


def lazily(build: Callable[[], Iterable[Any]]) -> Any:
    """A list that is built the first time a template uses it.

    Listings sit inside ``{% remember %}`` fragments: while the fragment is remembered, its
    queryset is never built or run.
    """
    return SimpleLazyObject(lambda: list(build()))


# What content/includes/page_card.html shows of any page; page types add their summary field.
CARD_FIELDS = ("title", "url_path", "search_description", "listing_image")
CARD_RENDITION = "fill-480x270"  # keep in step with page_card.html

# What a link to a page shows: its title and address.
LINK_FIELDS = ("title", "url_path")


class BasePage(RoutingMixin, Page):
    """Open Graph and JSON-LD for every public page; subclasses say what they are about."""

    listing_image = models.ForeignKey(
        IMAGE_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown in listings and when the page is shared.",
    )

    promote_panels = [*Page.promote_panels, FieldPanel("listing_image")]

    # Fields a card of this page type shows besides CARD_FIELDS (its summary, its meta line);
    # anything else a card reads would cost a query per card.
    card_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def cards(cls) -> PageQuerySet:
        """Live, public pages of this type for a listing: only the columns a card shows, with
        the listing image and its card rendition read for all cards at once, so a listing
        costs the same few queries however many pages it shows."""
        renditions = (
            get_image_model().get_rendition_model().objects.filter(filter_spec=CARD_RENDITION)
        )
        return (
            cls.objects.live()
            .public()
            .only(*CARD_FIELDS, *cls.card_fields)
            .select_related("listing_image")
            .prefetch_related(models.Prefetch("listing_image__renditions", queryset=renditions))
        )

    @property
    def summary_text(self) -> str:
        """One or two sentences for listings, meta descriptions and Open Graph."""
        return self.search_description or getattr(self, "introduction", "")

    @property
    def og_type(self) -> str:
        return "website"

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return None

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["clinic"] = ClinicSettings.for_request(request)
        # Listings of stories depend on the date (consent lapses): remembered parts vary on it.
        context["today"] = timezone.localdate()
        return context
