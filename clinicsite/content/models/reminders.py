"""What the scheduled jobs have already done, so that a re-run never repeats it: review
reminders queued (``content.reminders``) and story-consent notices (``content.stories``)."""

from __future__ import annotations

from django.db import models

from wagtail.models import Page


class ReviewReminder(models.Model):
    """A reminder queued for a page's reviewer for one review due date (so it is sent once);
    ``sent_at`` is set when the mail server accepted it."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "due_date"], name="one_reminder_per_due_date")
        ]

    def __str__(self) -> str:
        return f"Review reminder for page {self.page_id}, due {self.due_date}"


class StoryConsentNotice(models.Model):
    """A consent warning queued, or an unpublication done, for one consent expiry date."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Editors warned"
        UNPUBLISHED = "unpublished", "Story unpublished"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "expires_on", "kind"], name="one_consent_notice_per_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: page {self.page_id}, consent expiring {self.expires_on}"
