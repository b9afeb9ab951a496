"""Treatments, their follow-up plan, survey invitations, responses and adverse events.

What is stored in clear and why: the numeric answers to scale questions (needed to compute
outcome statistics in the database) on rows that carry no name or contact detail; the PGIC
answer and whether it counts as improved. Free text, clinical notes, adverse-event
descriptions and the full answer set are Fernet ciphertext, read only through services, which
audit each read.
"""

from __future__ import annotations

import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel

from clinicsite.applications.models import Application
from clinicsite.clinic.models import Condition, TreatmentProtocol

from .schedule import DEFAULT_TIME_POINTS, TimePointSpec


def new_nonce() -> str:
    """32 hex characters; changing it invalidates every link already sent for an invitation."""
    return secrets.token_hex(16)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone such as Europe/London or America/New_York.")


# --- Instruments (questionnaires as data) -----------------------------------------------------


class Instrument(ClusterableModel):
    """A questionnaire: its questions, answer scales and which answers count as improvement."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, help_text="Shown to patients above the questions.")
    is_adverse_event_set = models.BooleanField(
        default=False,
        help_text="Answers 'yes' to its first yes/no question report an adverse event.",
    )
    is_active = models.BooleanField(default=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("is_adverse_event_set"), FieldPanel("is_active")]),
        InlinePanel("questions", heading="Questions", label="Question"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class AnswerType(models.TextChoices):
        SCALE = "scale", "Number on a scale"
        CHOICE = "choice", "One of a list"
        YES_NO = "yes_no", "Yes or no"
        TEXT = "text", "Free text"

    instrument = ParentalKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    sort_order = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(max_length=40, help_text="Stable name used in statistics, e.g. 'pain'.")
    text = models.CharField(max_length=300)
    answer_type = models.CharField(max_length=10, choices=AnswerType.choices)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    min_label = models.CharField(max_length=80, blank=True)
    max_label = models.CharField(max_length=80, blank=True)
    choices = models.JSONField(
        default=list, blank=True, help_text='For lists: [[1, "Very much improved"], [2, "…"]]'
    )
    improved_values = models.JSONField(
        default=list, blank=True, help_text="Answers that count as 'improved' (PGIC: [1, 2])."
    )
    required = models.BooleanField(default=True)

    panels = [
        FieldRowPanel([FieldPanel("key"), FieldPanel("answer_type"), FieldPanel("required")]),
        FieldPanel("text"),
        FieldRowPanel(
            [
                FieldPanel("scale_min"),
                FieldPanel("scale_max"),
                FieldPanel("min_label"),
                FieldPanel("max_label"),
            ]
        ),
        FieldPanel("choices"),
        FieldPanel("improved_values"),
    ]

    class Meta:
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="unique_question_key")
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        bounds = (self.scale_min, self.scale_max)
        if self.answer_type == self.AnswerType.SCALE and (None in bounds or bounds[0] >= bounds[1]):
            raise ValidationError("A scale needs a minimum below its maximum.")
        if self.answer_type == self.AnswerType.CHOICE and not self.choices:
            raise ValidationError({"choices": "List the answers to choose from."})

    def allowed_values(self) -> list[int] | None:
        if self.answer_type == self.AnswerType.SCALE:
            return list(range(self.scale_min, self.scale_max + 1))
        if self.answer_type == self.AnswerType.CHOICE:
            return [int(value) for value, _label in self.choices]
        return None


# --- Schedule --------------------------------------------------------------------------------


class TimePoint(models.Model):
    """A follow-up time point of a protocol (default: 2 weeks, 2, 6 and 12 months)."""

    protocol = models.ForeignKey(
        TreatmentProtocol, on_delete=models.CASCADE, related_name="time_points"
    )
    label = models.CharField(max_length=40)
    months = models.PositiveSmallIntegerField(default=0)
    days = models.PositiveSmallIntegerField(default=0)
    instruments = models.ManyToManyField(Instrument, related_name="+")

    panels = [
        FieldPanel("protocol"),
        FieldPanel("label"),
        FieldRowPanel([FieldPanel("months"), FieldPanel("days")]),
        FieldPanel("instruments"),
    ]

    class Meta:
        ordering = ["protocol", "months", "days"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "months", "days"], name="unique_time_point")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.name}: {self.label}"

    @property
    def spec(self) -> TimePointSpec:
        return TimePointSpec(self.label, months=self.months, days=self.days)

    @property
    def offset_days(self) -> float:
        return self.months * 30.4375 + self.days


def default_time_point_specs() -> tuple[TimePointSpec, ...]:
    return DEFAULT_TIME_POINTS


# --- Treatments ------------------------------------------------------------------------------


class Treatment(models.Model):
    """A treatment given to an accepted applicant; creates the follow-up plan."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="treatment"
    )
    protocol = models.ForeignKey(
        TreatmentProtocol, on_delete=models.PROTECT, related_name="treatments"
    )
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    treated_on = models.DateField()
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    treating_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatments"
    )
    notes_ciphertext = models.BinaryField(editable=False)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    followups_stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-treated_on", "-pk"]
        indexes = [models.Index(fields=["protocol", "treated_on"])]

    def __str__(self) -> str:
        return f"Treatment {self.pk} ({self.application.reference})"


class Invitation(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        RESPONDED = "responded", "Responded"
        EXPIRED = "expired", "Expired"
        STOPPED = "stopped", "Stopped by the patient"

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="invitations")
    time_point = models.ForeignKey(TimePoint, on_delete=models.PROTECT, related_name="invitations")
    protocol = models.ForeignKey(TreatmentProtocol, on_delete=models.PROTECT, related_name="+")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["treatment", "time_point"], name="one_invitation_per_point"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["protocol", "time_point", "due_at"]),
            # Outcome statistics count the invitations due per time point from this index
            # alone (SQLite read every row for due_at: 0.6 s at 400,000 invitations).
            models.Index(fields=["time_point", "due_at"], name="invitation_due_by_point"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.time_point.label})"


class SendLog(models.Model):
    """One row per message an invitation should get: claimed before sending, so a re-run or a
    crash never sends the same message twice; records intended and actual send times.

    ``queued_at`` is set in the transaction that queues the sending task and cleared if the
    task gives up, so the job queues each message once and a failed one again on its next run.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER_3 = "reminder_3", "Reminder after 3 days"
        REMINDER_7 = "reminder_7", "Reminder after 7 days"

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="sends")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    intended_at = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["intended_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="one_send_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for invitation {self.invitation_id}"


class Response(models.Model):
    """A patient's answers at one time point (denormalised keys for fast statistics)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="responses")
    time_point = models.ForeignKey(TimePoint, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(TreatmentProtocol, on_delete=models.PROTECT, related_name="+")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    improved = models.BooleanField(null=True, help_text="PGIC 'much' or 'very much improved'.")
    answers_ciphertext = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["condition", "protocol", "time_point", "improved"]),
            # Responders and the improved among them per time point, from this index alone.
            models.Index(fields=["time_point", "improved"], name="response_improved_by_point"),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk}"


class Score(models.Model):
    """A numeric answer to a scale or list question, for trajectories and statistics."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="scores")
    protocol = models.ForeignKey(TreatmentProtocol, on_delete=models.PROTECT, related_name="+")
    time_point = models.ForeignKey(TimePoint, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=40)
    value = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["protocol", "key", "time_point"])]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class AdverseEvent(models.Model):
    """A reported harm. It alerts the treating clinician at once and cannot be dismissed without
    a grade and a record of what was done; unacknowledged events escalate after 24 hours."""

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        ESCALATED = "escalated", "Escalated to all clinicians"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    class Grade(models.IntegerChoices):
        MILD = 1, "1 – mild"
        MODERATE = 2, "2 – moderate"
        SEVERE = 3, "3 – severe"
        LIFE_THREATENING = 4, "4 – life-threatening"
        DEATH = 5, "5 – death"

    treatment = models.ForeignKey(
        Treatment, on_delete=models.PROTECT, related_name="adverse_events"
    )
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    protocol = models.ForeignKey(TreatmentProtocol, on_delete=models.PROTECT, related_name="+")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    time_point = models.ForeignKey(
        TimePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    # What the texts are sealed for (core/encrypted.py): known before the INSERT, unlike the pk.
    seal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description_ciphertext = models.BinaryField(editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED)
    escalated_at = models.DateTimeField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)
    action_ciphertext = models.BinaryField(null=True, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "reported_at"]),
            models.Index(fields=["protocol", "grade"]),
        ]

    def __str__(self) -> str:
        return f"Adverse event {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.ACKNOWLEDGED
