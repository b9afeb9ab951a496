"""Patient stories: dated progress updates, the consent and disclosure rules a testimonial
must meet, and the outcome figures of every treated patient beside it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from clinicsite.clinic.models import Condition, TreatmentProtocol
from clinicsite.core.pagecache import remember
from clinicsite.core.storage import PrivateStorage
from clinicsite.outcomes.selectors import card_for

from ..blocks import BaseStreamBlock
from .base import IMAGE_MODEL, LINK_FIELDS, BasePage, lazily

CONSENT_VALID_MONTHS = 12


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def current_stories(queryset: models.QuerySet) -> models.QuerySet:
    """Stories whose consent is still confirmed (the lapse job may not have run yet today)."""
    today = timezone.localdate()
    return queryset.filter(consent_confirmed_on__gt=add_months(today, -CONSENT_VALID_MONTHS))


class MaterialConnection(models.TextChoices):
    """What the patient got from the clinic: readers must know (FTC 16 CFR 255.5)."""

    NONE = "none", "None"
    PAID = "paid", "Paid for the testimonial"
    DISCOUNTED = "discounted", "Discounted treatment"
    FREE = "free", "Free treatment"


class StorySelection(models.TextChoices):
    EVERY_PATIENT = "every_patient", "Every patient treated in the period was invited"
    RANDOM = "random", "Chosen at random among patients who agreed"
    VOLUNTEERED = "volunteered", "The patient offered to share their story"
    CLINIC_CHOSE = "clinic_chose", "Chosen by the clinic"
    OTHER = "other", "Other"


def release_storage() -> PrivateStorage:
    return PrivateStorage("releases", url_name="story_release")


def release_upload_to(instance: Any, filename: str) -> str:
    return timezone.now().strftime("%Y/%m/") + filename


RELEASE_MAX_MB = 10


def validate_release_size(file: Any) -> None:
    if file.size > RELEASE_MAX_MB * 1024 * 1024:
        raise ValidationError(f"The file is too large: the limit is {RELEASE_MAX_MB} MB.")


def time_since(start: datetime.date, end: datetime.date) -> str:
    """Say how long after ``start`` the date ``end`` is, the way a patient would ("2 months")."""
    days = (end - start).days
    if days < 0:
        raise ValueError("end comes before start")
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 56:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    months = round(days / 30.4375)
    if months < 24:
        return "1 month" if months == 1 else f"{months} months"
    years = round(days / 365.25)
    return f"{years} years"


class StoryIndexPage(BasePage):
    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.PatientStoryPage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = current_stories(
            PatientStoryPage.cards()
            .child_of(self)
            .select_related("condition")
            .order_by("-first_published_at")
        )
        return context


class ProgressUpdate(Orderable):
    """A dated update in a patient's own words, with a photo or a video."""

    page = ParentalKey("content.PatientStoryPage", related_name="updates", on_delete=models.CASCADE)
    date = models.DateField()
    quote = models.TextField(max_length=1200, help_text="What the patient said, in their words.")
    note = models.TextField(blank=True, max_length=1200, help_text="Context from the clinic.")
    photo = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    video = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("date"),
        FieldPanel("quote"),
        FieldPanel("note"),
        FieldRowPanel([FieldPanel("photo"), FieldPanel("video")]),
    ]

    class Meta(Orderable.Meta):
        ordering = ["date", "sort_order"]

    @property
    def time_since_treatment(self) -> str:
        treated = self.page.treatment_date
        if treated is None or self.date < treated:
            return ""
        return time_since(treated, self.date)


class PatientStoryPage(BasePage):
    patient_display_name = models.CharField(
        max_length=100,
        help_text="The name the patient agreed to be shown under (may be a first name).",
    )
    is_fictional = models.BooleanField(
        "fictional (demo)",
        default=False,
        help_text="Shown on the page: this patient does not exist.",
    )
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="stories")
    protocol = models.ForeignKey(
        TreatmentProtocol,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
        help_text="The protocol they were treated on; its outcome figures show beside the story.",
    )
    treatment_date = models.DateField()
    publishing_consent_date = models.DateField(
        "publishing consent recorded on",
        help_text="When the patient's signed consent to publish this story was recorded.",
    )
    release_document = models.FileField(
        "signed release",
        upload_to=release_upload_to,
        storage=release_storage,
        blank=True,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"]), validate_release_size],
        help_text="The patient's signed release (PDF or scan). Private: only staff with "
        "permission can open it; it has no public address.",
    )
    consent_confirmed_on = models.DateField(
        "consent last confirmed on",
        help_text="Consent must be re-confirmed with the patient every 12 months; the story is "
        "unpublished automatically when it lapses.",
    )
    statement_date = models.DateField(
        "date of the statement", help_text="When the patient said or wrote what is quoted."
    )
    material_connection = models.CharField(
        max_length=20,
        choices=MaterialConnection.choices,
        help_text="Anything of value the patient received from the clinic. Shown on the page.",
    )
    material_connection_details = models.CharField(
        max_length=300, blank=True, help_text="e.g. 'Treatment at half price (£X saved)'."
    )
    selection_method = models.CharField(
        "how the patient was chosen", max_length=20, choices=StorySelection.choices
    )
    selection_details = models.CharField(max_length=300, blank=True)
    summary = models.TextField(help_text="One or two sentences for listings.")
    body = StreamField(BaseStreamBlock(), blank=True)

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("patient_display_name"),
                FieldPanel("is_fictional"),
                FieldPanel("condition"),
                FieldPanel("protocol"),
                FieldPanel("treatment_date"),
            ],
            heading="Patient",
        ),
        MultiFieldPanel(
            [
                FieldPanel("release_document"),
                FieldRowPanel(
                    [FieldPanel("publishing_consent_date"), FieldPanel("consent_confirmed_on")]
                ),
                FieldPanel("statement_date"),
                FieldRowPanel(
                    [FieldPanel("material_connection"), FieldPanel("material_connection_details")]
                ),
                FieldRowPanel([FieldPanel("selection_method"), FieldPanel("selection_details")]),
            ],
            heading="Consent and disclosure",
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("updates", heading="Progress updates", label="Update"),
    ]

    parent_page_types = ["content.StoryIndexPage"]
    subpage_types: list[str] = []
    serve_select_related = ("condition",)  # the facts in the header
    card_fields = ("summary", "condition")

    class Meta:
        permissions = [("view_testimonial_release", "Can open signed testimonial releases")]

    def clean(self) -> None:
        super().clean()
        today = timezone.localdate()
        errors = {}
        if self.treatment_date and self.treatment_date > today:
            errors["treatment_date"] = "The treatment date cannot be in the future."
        for name in ("consent_confirmed_on", "statement_date", "publishing_consent_date"):
            value = getattr(self, name)
            if value and value > today:
                errors[name] = "This date cannot be in the future."
        if (
            self.consent_confirmed_on
            and self.publishing_consent_date
            and self.consent_confirmed_on < self.publishing_consent_date
        ):
            errors["consent_confirmed_on"] = "Confirmation cannot come before the original consent."
        if not self.is_fictional and not self.release_document:
            errors["release_document"] = (
                "Upload the patient's signed release before this story can be saved."
            )
        if self.material_connection != MaterialConnection.NONE and not (
            self.material_connection_details.strip()
        ):
            errors["material_connection_details"] = (
                "Say what the patient received, e.g. 'Treatment free of charge'."
            )
        if self.selection_method == StorySelection.OTHER and not self.selection_details.strip():
            errors["selection_details"] = "Describe how the patient was chosen."
        if errors:
            raise ValidationError(errors)

    @property
    def summary_text(self) -> str:
        return self.search_description or self.summary

    @property
    def consent_expires_on(self) -> datetime.date | None:
        if self.consent_confirmed_on is None:
            return None
        return add_months(self.consent_confirmed_on, CONSENT_VALID_MONTHS)

    @property
    def consent_lapsed(self) -> bool:
        expires = self.consent_expires_on
        return expires is not None and expires <= timezone.localdate()

    @property
    def material_connection_text(self) -> str:
        if self.material_connection == MaterialConnection.NONE:
            return "None: the patient was not paid and received no discount or free treatment."
        label = MaterialConnection(self.material_connection).label
        details = self.material_connection_details.strip()
        return f"{label}: {details}" if details else label

    @property
    def selection_text(self) -> str:
        label = StorySelection(self.selection_method).label if self.selection_method else ""
        details = self.selection_details.strip()
        return f"{label}. {details}" if label and details else label or details

    def save_revision(self, *args: Any, **kwargs: Any) -> Any:
        # A live page's edits go only into a revision (the form saves with commit=False), and
        # a FileField writes its upload on model save: store the release now, or it is lost.
        release = self.release_document
        if release and not release._committed:
            release.save(release.name, release.file, save=False)
        return super().save_revision(*args, **kwargs)

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Belt and braces: the scheduled job unpublishes lapsed stories; until it runs, a
        # story whose consent has lapsed is not shown to anyone.
        if self.consent_lapsed:
            raise Http404("This story is not available.")
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .conditions import ConditionPage  # condition pages list stories: import here

        context = super().get_context(request, *args, **kwargs)
        context["progress_updates"] = lazily(self._progress_updates)
        context["outcome_card"] = card_for(
            condition_id=self.condition_id, protocol_id=self.protocol_id
        )
        # The condition's page is linked from every story about it; publishing it bumps the
        # generation.
        context["condition_page"] = remember(
            f"condition-page-link:{self.condition_id}",
            lambda: (
                ConditionPage.objects.live()
                .public()
                .filter(condition_id=self.condition_id)
                .only(*LINK_FIELDS)
                .first()
            ),
        )
        return context

    def _progress_updates(self) -> list[ProgressUpdate]:
        updates = list(self.updates.select_related("photo", "video"))
        for update in updates:
            update.page = self  # avoid a query per update for treatment_date
        return updates
