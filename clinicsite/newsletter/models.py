"""The mailing list: subscribers, their consent ledger, digests and the per-recipient send log.

Nothing here is health data. A subscriber's chosen topics (conditions) hint at an interest, not
a diagnosis, and are kept only to choose what to send; staff in the Marketing role see them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

from clinicsite.clinic.models import Condition


def new_key() -> str:
    """Random part of a subscriber's links; replaced on erasure, so old links stop working."""
    return secrets.token_urlsafe(16)


class InvalidTransition(Exception):
    """A subscriber or digest status change the state machine does not allow."""


def has_line_break(value: str) -> bool:
    """True if ``value`` would break a mail header: CR, LF or any other line boundary."""
    return len(f"{value}x".splitlines()) > 1


def validate_single_line(value: str) -> None:
    """A subject becomes the Subject header; a line break there cannot be sent (and would
    let whoever wrote it add headers), so it is refused when the digest is saved."""
    if has_line_break(value):
        raise ValidationError("The subject must be a single line, without line breaks.")


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    # Allowed status changes (services/subscribers.py checks them). Leaving is possible from any
    # state; coming back from "unsubscribed" goes through "pending", i.e. a new opt-in.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.CONFIRMED, Status.UNSUBSCRIBED}),
        Status.CONFIRMED: frozenset({Status.UNSUBSCRIBED}),
        Status.UNSUBSCRIBED: frozenset({Status.PENDING}),
    }

    email = models.EmailField(max_length=254, help_text="Normalised: domain in lower case.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(max_length=8, choices=settings.NEWSLETTER_LANGUAGES)
    topics = models.ManyToManyField(Condition, blank=True, related_name="+")
    key = models.CharField(max_length=32, default=new_key, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Counts confirmation links so a link mailed before an unsubscribe cannot re-subscribe.
    opt_in_round = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="newsletter_subscriber_email_ci_unique")
        ]
        indexes = [models.Index(fields=["status", "language"])]
        permissions = [
            ("export_subscriber", "Can export subscribers (CSV) and one subscriber's data"),
            ("erase_subscriber", "Can erase a subscriber's data"),
        ]

    def __str__(self) -> str:
        return self.email

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class ConsentEvent(models.Model):
    """One line of a subscriber's consent ledger: what they were shown and did, when, where."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", "Signed up (confirmation sent)"
        SIGNUP_REPEATED = "signup_repeated", "Signed up again"
        CONFIRMED = "confirmed", "Confirmed by e-mail link"
        PREFERENCES = "preferences", "Changed preferences"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class Method(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        EMAIL_LINK = "email_link", "Link in an e-mail"
        ONE_CLICK = "one_click", "One-click unsubscribe (List-Unsubscribe-Post)"
        STAFF = "staff", "Staff in the admin"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(max_length=12, choices=Method.choices)
    at = models.DateTimeField(default=timezone.now)
    wording_version = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Page the form was on.")
    ip_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="Only kept when the clinic turns it on."
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class Digest(ClusterableModel):
    """A message to confirmed subscribers listing pages: chosen ones, or everything new."""

    class Mode(models.TextChoices):
        SINCE_LAST = "since_last", "Everything published since the last digest"
        CHOSEN = "chosen", "The pages I choose"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.SCHEDULED}),
        Status.SCHEDULED: frozenset({Status.SENDING, Status.DRAFT, Status.CANCELLED}),
        Status.SENDING: frozenset({Status.SENT}),
        Status.SENT: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    subject = models.CharField(max_length=150, validators=[validate_single_line])
    introduction = models.TextField(blank=True, max_length=2000)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.SINCE_LAST)
    language = models.CharField(
        max_length=8,
        choices=settings.NEWSLETTER_LANGUAGES,
        default=settings.NEWSLETTER_LANGUAGES[0][0],
        help_text="Goes to subscribers who chose this language.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Frozen when sending starts, so every recipient gets the same list.
    page_ids = models.JSONField(default=list, blank=True, editable=False)

    panels = [
        FieldPanel("subject"),
        FieldPanel("introduction"),
        FieldRowPanel([FieldPanel("mode"), FieldPanel("language")]),
        MultiFieldPanel(
            [InlinePanel("items", label="Page")],
            heading="Chosen pages",
            help_text="Used when the digest lists the pages you choose.",
        ),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("send_digest", "Can schedule and send digests")]

    def __str__(self) -> str:
        return self.subject

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def check_sendable(self) -> None:
        """Refuse to send a digest whose subject was stored before it was validated."""
        if has_line_break(self.subject):
            raise InvalidTransition("The subject has a line break: edit the digest first.")


class DigestItem(Orderable):
    digest = ParentalKey(Digest, on_delete=models.CASCADE, related_name="items")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("page")]


class Delivery(models.Model):
    """The send log: one row per digest and recipient, so nobody gets a digest twice.

    A worker claims a batch (``queued``: certainly unsent) and marks each row ``sent`` in its
    own commit right after the mail server accepted it. If the worker dies, its claims are
    released after ``NEWSLETTER_CLAIM_TIMEOUT_SECONDS``; only the one message that was in
    flight can have reached the server already, and it is sent again with the same
    Message-ID rather than skipped.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        QUEUED = "queued", "Claimed by a worker"
        SENT = "sent", "Sent"
        FAILED = "failed", "Refused by the mail server"
        SKIPPED = "skipped", "Skipped: left the list before it was sent"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "subscriber"], name="newsletter_delivery_once_per_recipient"
            )
        ]
        indexes = [models.Index(fields=["digest", "status"]), models.Index(fields=["claim"])]

    def __str__(self) -> str:
        return f"{self.digest_id}/{self.subscriber_id}: {self.status}"


@register_setting(icon="mail")
class NewsletterSettings(BaseGenericSetting):
    """Choices the clinic makes about its list."""

    record_ip_address = models.BooleanField(
        default=False,
        help_text=(
            "Keep the sender's IP address with each consent record. Off by default: the "
            "wording version, time and page already prove consent, and less data is safer."
        ),
    )

    panels = [FieldPanel("record_ip_address")]

    class Meta:
        verbose_name = "newsletter settings"
