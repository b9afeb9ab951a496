"""The people behind the content: authors and medical reviewers, with their credentials."""

from __future__ import annotations

from typing import Any

from django.db import models

from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.fields import RichTextField
from wagtail.search import index

from ..blocks import RICH_TEXT_FEATURES

IMAGE_MODEL = "core.ClinicImage"


class Person(index.Indexed, models.Model):
    """An author or medical reviewer, with the credentials readers need to judge them."""

    name = models.CharField(max_length=150)
    job_title = models.CharField(
        "title", max_length=150, help_text="e.g. Consultant rheumatologist"
    )
    credentials = models.CharField(
        max_length=200, blank=True, help_text="Degrees and qualifications, e.g. MD, PhD, FRCP."
    )
    is_clinician = models.BooleanField(
        default=False, help_text="Holds a current clinical licence (required of medical reviewers)."
    )
    registration = models.CharField(
        "professional registration",
        max_length=150,
        blank=True,
        help_text="Licensing body and number, e.g. 'Medical Council no. 000000'.",
    )
    memberships = models.TextField(blank=True, help_text="Professional memberships, one per line.")
    email = models.EmailField(
        blank=True,
        help_text="Where review reminders go. Never shown on the site.",
    )
    bio = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    photo = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("job_title"),
        FieldPanel("credentials"),
        FieldRowPanel([FieldPanel("is_clinician"), FieldPanel("registration")]),
        FieldPanel("email"),
        FieldPanel("memberships"),
        FieldPanel("bio"),
        FieldPanel("photo"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    @property
    def membership_list(self) -> list[str]:
        return [line.strip() for line in self.memberships.splitlines() if line.strip()]

    def json_ld(self) -> dict[str, Any]:
        kind = "Physician" if self.is_clinician else "Person"
        data: dict[str, Any] = {"@type": kind, "name": self.name, "jobTitle": self.job_title}
        if self.credentials:
            data["honorificSuffix"] = self.credentials
        if self.membership_list:
            data["memberOf"] = [{"@type": "Organization", "name": m} for m in self.membership_list]
        return data
