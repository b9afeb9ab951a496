"""The clinic's own facts that pages, applications and outcomes all refer to."""

from __future__ import annotations

from django.db import models

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.search import index


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


class TreatmentProtocol(models.Model):
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
