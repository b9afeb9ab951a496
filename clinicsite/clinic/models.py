"""The clinic's own facts that pages, applications and outcomes all refer to."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Site
from wagtail.search import index

from clinicsite.core.pagecache import remember


class Condition(index.Indexed, models.Model):
    """A condition the clinic treats or studies (e.g. lupus); stable key for applications."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.CharField(max_length=300, blank=True, help_text="One plain sentence.")

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("summary")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TreatmentProtocol(ClusterableModel):
    """A written treatment protocol and the ethics approval it runs under."""

    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="protocols")
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="What the treatment involves, in plain words.")
    approval_body = models.CharField(
        max_length=200, blank=True, help_text="Ethics committee / IRB that approved the protocol."
    )
    approval_reference = models.CharField(max_length=100, blank=True)
    approval_date = models.DateField(null=True, blank=True)
    trial_registration = models.CharField(
        max_length=40, blank=True, help_text="Registry identifier, e.g. NCT01234567, if registered."
    )
    trial_registry_url = models.URLField(
        "trial registry entry", blank=True, help_text="Link to the public registry record."
    )
    evidence_summary = models.TextField(
        "what the evidence says",
        blank=True,
        help_text="Plain words: what studies have and have not shown for this treatment.",
    )
    alternatives = models.TextField(
        blank=True, help_text="Other options, including standard treatment and doing nothing."
    )
    cost = models.TextField(
        blank=True, help_text="What the patient pays, what it includes and what it does not."
    )
    is_active = models.BooleanField(default=True, help_text="Offered to new applicants.")

    panels = [
        FieldPanel("condition"),
        FieldPanel("name"),
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("approval_body"),
                FieldPanel("approval_reference"),
                FieldPanel("approval_date"),
                FieldPanel("trial_registration"),
                FieldPanel("trial_registry_url"),
            ],
            heading="Approval",
        ),
        MultiFieldPanel(
            [FieldPanel("evidence_summary"), FieldPanel("alternatives"), FieldPanel("cost")],
            heading="Questions to ask before treatment",
            help_text="Shown to patients on condition pages and before they apply.",
        ),
        FieldPanel("is_active"),
        InlinePanel("criteria", heading="Screening criteria", label="Criterion"),
    ]

    class Meta:
        ordering = ["condition__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition", "name"], name="unique_protocol_per_condition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.condition})"

    @property
    def is_approved(self) -> bool:
        return bool(self.approval_body and self.approval_reference)


class Answer(models.TextChoices):
    """The answers the application form collects that screening criteria may read.

    Listed here (not in ``applications``) because clinicians write criteria against them and
    ``clinic`` sits below ``applications`` in the dependency order. ``age`` and
    ``years_since_diagnosis`` are derived from the date of birth and year of diagnosis.
    """

    AGE = "age", "Age in years (from date of birth)"
    YEARS_SINCE_DIAGNOSIS = "years_since_diagnosis", "Years since diagnosis"
    DIAGNOSIS_CONFIRMED = "diagnosis_confirmed", "Diagnosis confirmed by a specialist (yes/no)"
    CANCER_LAST_5_YEARS = "cancer_last_5_years", "Cancer in the last 5 years (yes/no)"
    PREGNANT = "pregnant", "Pregnant or planning pregnancy (yes/no)"
    ACTIVE_INFECTION = "active_infection", "Active infection (yes/no)"
    OTHER_CONDITIONS = "other_conditions", "Other serious conditions (yes/no)"
    FLARES_LAST_YEAR = "flares_last_year", "Lupus: flares in the last 12 months (number)"
    KIDNEY_INVOLVEMENT = "kidney_involvement", "Lupus: kidney involvement (yes/no)"
    RELAPSES_LAST_2_YEARS = "relapses_last_2_years", "MS: relapses in the last 2 years (number)"
    WALKS_UNAIDED = "walks_unaided", "MS: walks 100 m without aid (yes/no)"


class Criterion(models.Model):
    """One inclusion or exclusion rule of a protocol, read by the screening.

    The *condition* is ``<answer> <operator> <value>``. An inclusion criterion is passed when
    the condition holds; an exclusion criterion is failed when it holds. Values are written as
    text: a number, ``yes``/``no``, or a comma-separated list for "is one of".
    """

    class Kind(models.TextChoices):
        INCLUSION = "inclusion", "Inclusion (must be true)"
        EXCLUSION = "exclusion", "Exclusion (must not be true)"

    class Operator(models.TextChoices):
        EQ = "eq", "equals"
        NE = "ne", "does not equal"
        LT = "lt", "is less than"
        LTE = "lte", "is at most"
        GT = "gt", "is more than"
        GTE = "gte", "is at least"
        IN = "in", "is one of"

    protocol = ParentalKey(TreatmentProtocol, on_delete=models.CASCADE, related_name="criteria")
    sort_order = models.PositiveIntegerField(default=0, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INCLUSION)
    answer = models.CharField(max_length=40, choices=Answer.choices)
    operator = models.CharField(max_length=4, choices=Operator.choices, default=Operator.EQ)
    value = models.CharField(
        max_length=200, help_text="A number, yes / no, or a comma-separated list for 'is one of'."
    )
    explanation = models.CharField(
        max_length=300,
        help_text="Shown to the applicant when this criterion decides, in plain words "
        "(e.g. 'The protocol is open to people aged 18 to 70.').",
    )

    panels = [
        FieldPanel("kind"),
        FieldPanel("answer"),
        FieldPanel("operator"),
        FieldPanel("value"),
        FieldPanel("explanation"),
    ]

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.answer} {self.operator} {self.value}"

    def parsed_value(self) -> object:
        """The value as screening compares it: bool, float, tuple (for "in") or text."""
        if self.operator == self.Operator.IN:
            return tuple(parse_criterion_value(part) for part in self.value.split(",") if part)
        return parse_criterion_value(self.value)

    def clean(self) -> None:
        value = self.parsed_value()
        if self.operator in {"lt", "lte", "gt", "gte"} and not isinstance(value, float):
            raise ValidationError({"value": "This comparison needs a number."})


def parse_criterion_value(raw: str) -> object:
    """``yes``/``no`` → bool, numbers → float, anything else → stripped lower-case text."""
    text = raw.strip().lower()
    if text in {"yes", "true"}:
        return True
    if text in {"no", "false"}:
        return False
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


@register_setting(icon="site")
class ClinicSettings(BaseSiteSetting):
    """Who the clinic is and where: one place for the footer, contact blocks and JSON-LD."""

    name = models.CharField(max_length=200, default="Our clinic")
    street_address = models.CharField(max_length=200, blank=True)
    locality = models.CharField("town or city", max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [
                FieldPanel("street_address"),
                FieldPanel("locality"),
                FieldPanel("region"),
                FieldPanel("postal_code"),
                FieldPanel("country"),
            ],
            heading="Postal address",
        ),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("email"), FieldPanel("opening_hours")],
            heading="Contact",
        ),
    ]

    class Meta:
        verbose_name = "clinic details"

    @classmethod
    def for_request(cls, request: HttpRequest) -> Any:
        """The site's details, read once per page-cache generation rather than per request.

        Every page shows them (footer, JSON-LD) and saving them bumps the generation. The
        admin edits the row itself through ``for_site``, which still reads the database.
        """
        attr_name = cls.get_cache_attr_name()
        if hasattr(request, attr_name):
            return getattr(request, attr_name)
        site = Site.find_for_request(request)
        if site is None:
            return super().for_request(request)  # raises DoesNotExist, as Wagtail does
        details = remember(f"clinic-settings:{site.pk}", lambda: cls.for_site(site))
        details._request = request
        setattr(request, attr_name, details)
        return details

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(part for part in (self.locality, self.postal_code) if part)
        return [line for line in (self.street_address, town, self.region, self.country) if line]

    def postal_address_ld(self) -> dict[str, str]:
        """schema.org PostalAddress for JSON-LD."""
        return {
            "@type": "PostalAddress",
            "streetAddress": self.street_address,
            "addressLocality": self.locality,
            "addressRegion": self.region,
            "postalCode": self.postal_code,
            "addressCountry": self.country,
        }
