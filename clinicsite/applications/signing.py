"""Signed, expiring links for applicants: resume a draft, check an application's status."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from clinicsite.core.urls import absolute_url

RESUME_SALT = "applications.resume"
STATUS_SALT = "applications.status"


def resume_token(draft_id: str) -> str:
    return signing.TimestampSigner(salt=RESUME_SALT).sign(str(draft_id))


def resume_url(draft_id: str) -> str:
    return absolute_url(reverse("applications:resume", args=[resume_token(draft_id)]))


def read_resume_token(token: str) -> str:
    """The draft id; raises ``signing.BadSignature`` (or ``SignatureExpired``)."""
    return signing.TimestampSigner(salt=RESUME_SALT).unsign(
        token, max_age=datetime.timedelta(days=settings.APPLICATION_DRAFT_DAYS)
    )


def status_token(reference: str) -> str:
    return signing.TimestampSigner(salt=STATUS_SALT).sign(reference)


def status_url(application: object) -> str:
    return absolute_url(reverse("applications:status", args=[status_token(application.reference)]))


def read_status_token(token: str) -> str:
    return signing.TimestampSigner(salt=STATUS_SALT).unsign(
        token, max_age=datetime.timedelta(days=settings.APPLICATION_STATUS_LINK_DAYS)
    )
