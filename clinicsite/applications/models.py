"""Applications from prospective patients, their medical records and clinicians' notes.

What is stored in clear and why: contact details (the intake coordinator must reach the
applicant), the condition and protocol (to route and filter the review queue without
decrypting), the screening outcome and the ids of the deciding criteria (the coordinator sees
them; they say which rule applied, not the answer given). Everything the applicant said about
their health, every uploaded file and every clinician's note is Fernet ciphertext
(``clinicsite.core.crypto``) and is only written and read through ``services`` (reads are
audited).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinicsite.clinic.models import Condition, TreatmentProtocol

# No 0/O, 1/I/L, U: a reference read over the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    """ "HC-" + 8 random characters (~39 bits): unguessable, and short enough to read aloud."""
    return "HC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_stored_name() -> str:
    return secrets.token_hex(16)


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible (clinician to confirm)"
    NEEDS_REVIEW = "needs_review", "Needs clinician review"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class InvalidTransition(Exception):
    """A status change the state machine does not allow."""


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    # Allowed status changes; every change goes through services.application_* and is audited.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.IN_REVIEW}),
        Status.IN_REVIEW: frozenset({Status.ACCEPTED, Status.DECLINED}),
        Status.ACCEPTED: frozenset(),
        Status.DECLINED: frozenset(),
    }

    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    full_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40)
    country = models.CharField(max_length=100)

    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(
        TreatmentProtocol, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers_ciphertext = models.BinaryField(editable=False)
    from_draft = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The draft this was sent from, so its resume link can say it was sent.",
    )

    screening_outcome = models.CharField(max_length=20, choices=ScreeningOutcome.choices)
    screening_criteria = models.JSONField(
        default=list, blank=True, help_text="Ids of the criteria that decided the screening."
    )
    screening_overridden = models.BooleanField(default=False)

    privacy_notice_version = models.CharField(max_length=20)
    consent_at = models.DateTimeField()

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The review queue lists newest first, whole or filtered by one of these columns: each
        # filter has an index in that order, so a page is read off the index instead of
        # sorting every matching row (bench/review_queue.py).
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["status", "-created_at", "-id"], name="application_queue_status"),
            models.Index(
                fields=["condition", "-created_at", "-id"], name="application_queue_condition"
            ),
            models.Index(
                fields=["protocol", "-created_at", "-id"], name="application_queue_protocol"
            ),
            models.Index(
                fields=["screening_outcome", "-created_at", "-id"],
                name="application_queue_screening",
            ),
        ]
        permissions = [
            ("view_health_data", "Can read applicants' health data, records and notes"),
            ("decide_application", "Can accept or decline applications"),
            ("export_application", "Can export and erase an applicant's data"),
        ]

    def __str__(self) -> str:
        return self.reference

    def can_transition(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.status, frozenset())

    @property
    def is_decided(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.DECLINED)


class ApplicationDraft(models.Model):
    """An application being filled in: the answers so far, encrypted, found by a random id.

    The id lives in the applicant's session (and in the signed resume link); nothing else
    identifies a draft, and drafts are deleted when submitted or when they expire.

    A resume link opens the draft only after the date of birth given in it is typed again
    (``services.draft_check_birth_date``). ``failed_checks`` counts wrong answers for the
    draft, whoever sends them and from wherever; at ``RESUME_ATTEMPTS`` every link to it is
    dead. ``link_version`` is signed into each link: a new link, asked for from the browser
    that holds the draft, unlocks it and kills the older links.
    """

    RESUME_ATTEMPTS = 5

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_ciphertext = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    failed_checks = models.PositiveSmallIntegerField(default=0, editable=False)
    link_version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"draft {self.pk}"

    @property
    def is_locked(self) -> bool:
        """Too many wrong dates of birth: no resume link opens this draft any more."""
        return self.failed_checks >= self.RESUME_ATTEMPTS

    @property
    def checks_left(self) -> int:
        return max(self.RESUME_ATTEMPTS - self.failed_checks, 0)


class MedicalRecord(models.Model):
    """An uploaded file, encrypted, kept under PRIVATE_MEDIA_ROOT (never under a public URL)."""

    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="records"
    )
    draft = models.ForeignKey(
        ApplicationDraft, null=True, blank=True, on_delete=models.CASCADE, related_name="records"
    )
    stored_name = models.CharField(max_length=64, unique=True, default=new_stored_name)
    name_ciphertext = models.BinaryField(help_text="The original file name, encrypted.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"record {self.pk} ({self.content_type})"

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
            self.content_type, "bin"
        )


class ClinicianNote(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        DECISION = "decision", "Decision reason"
        OVERRIDE = "override", "Screening override reason"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    # What the body is sealed for (core/encrypted.py): known before the INSERT, unlike the pk.
    seal_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body_ciphertext = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author_label}"
