"""Signed, expiring links for applicants: resume a draft, check an application's status."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from clinicsite.core.urls import absolute_url

RESUME_SALT = "applications.resume"
STATUS_SALT = "applications.status"


def resume_token(draft_id: str, version: int = 0) -> str:
    """A link to the draft, valid while the draft's ``link_version`` is still ``version``."""
    return signing.TimestampSigner(salt=RESUME_SALT).sign(f"{draft_id}:{version}")


def resume_url(draft_id: str, version: int = 0) -> str:
    return absolute_url(reverse("applications:resume", args=[resume_token(draft_id, version)]))


def read_resume_token(token: str) -> tuple[str, int]:
    """The draft id and link version; raises ``signing.BadSignature`` (or
    ``SignatureExpired``). Links signed before versions existed read as version 0."""
    value = signing.TimestampSigner(salt=RESUME_SALT).unsign(
        token, max_age=datetime.timedelta(days=settings.APPLICATION_DRAFT_DAYS)
    )
    draft_id, _sep, version = value.partition(":")
    return draft_id, int(version) if version.isdigit() else 0


def status_token(reference: str) -> str:
    return signing.TimestampSigner(salt=STATUS_SALT).sign(reference)


def status_url(application: object) -> str:
    return absolute_url(reverse("applications:status", args=[status_token(application.reference)]))


def read_status_token(token: str) -> str:
    return signing.TimestampSigner(salt=STATUS_SALT).unsign(
        token, max_age=datetime.timedelta(days=settings.APPLICATION_STATUS_LINK_DAYS)
    )
