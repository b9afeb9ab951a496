"""Testimonial consent lifecycle: warn editors before consent lapses, unpublish when it has.

A patient's consent to publish is re-confirmed every 12 months. Thirty days before it lapses
the editors (and the page's owner) are e-mailed once; on the day it lapses the story is
unpublished and the unpublication is written to the audit log. Both steps are idempotent
(``StoryConsentNotice`` records what was done for each expiry date), so the job can run as
often as the scheduler likes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from clinicsite.accounts.roles import EDITOR
from clinicsite.core.audit import record

from .models import CONSENT_VALID_MONTHS, PatientStoryPage, StoryConsentNotice, add_months

WARN_DAYS = 30


@dataclass
class ConsentRun:
    warned: list[PatientStoryPage] = field(default_factory=list)
    unpublished: list[PatientStoryPage] = field(default_factory=list)


def stories_consent_due(
    *, within_days: int = WARN_DAYS, today: datetime.date | None = None
) -> list[PatientStoryPage]:
    """Live stories whose consent lapses within ``within_days`` (or has lapsed), soonest first."""
    today = today or timezone.localdate()
    confirmed_before = add_months(
        today + datetime.timedelta(days=within_days), -CONSENT_VALID_MONTHS
    )
    return list(
        PatientStoryPage.objects.live()
        .filter(consent_confirmed_on__lte=confirmed_before)
        .order_by("consent_confirmed_on", "title")
    )


def _editor_addresses(story: PatientStoryPage) -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=EDITOR).exclude(email="")
    addresses = {user.email for user in users}
    if story.owner_id and story.owner.email and story.owner.is_active:
        addresses.add(story.owner.email)
    return sorted(addresses)


def _warn(story: PatientStoryPage, expires: datetime.date) -> None:
    edit_url = f"{settings.WAGTAILADMIN_BASE_URL}/admin/pages/{story.pk}/edit/"
    send_mail(
        subject=f"Patient story consent lapses on {expires:%d %B %Y}",
        message=(
            f"The patient's consent for the story “{story.title}” was last confirmed on "
            f"{story.consent_confirmed_on:%d %B %Y} and lapses on {expires:%d %B %Y}.\n\n"
            "Please re-confirm it with the patient and record the new date on the page. "
            "If it is not re-confirmed, the story will be unpublished automatically on that "
            f"day.\n\nEdit the story: {edit_url}\n"
        ),
        from_email=None,
        recipient_list=_editor_addresses(story),
    )


def story_consent_run(*, today: datetime.date | None = None, dry_run: bool = False) -> ConsentRun:
    """Warn about stories lapsing within 30 days; unpublish lapsed ones. Idempotent."""
    today = today or timezone.localdate()
    run = ConsentRun()
    for story in stories_consent_due(today=today):
        expires = story.consent_expires_on
        if expires <= today:
            if dry_run:
                run.unpublished.append(story)
                continue
            with transaction.atomic():
                story.unpublish(user=None, log_action=True)
                StoryConsentNotice.objects.get_or_create(
                    page=story, expires_on=expires, kind=StoryConsentNotice.Kind.UNPUBLISHED
                )
                record(
                    actor=None,
                    action="content.story.consent_lapsed_unpublished",
                    obj=story,
                    details={"consent_confirmed_on": story.consent_confirmed_on.isoformat()},
                )
            run.unpublished.append(story)
            continue
        already = StoryConsentNotice.objects.filter(
            page=story, expires_on=expires, kind=StoryConsentNotice.Kind.WARNING
        ).exists()
        if already or not _editor_addresses(story):
            continue
        if not dry_run:
            # Sent first, recorded second: a warning counts once the mail server has it.
            _warn(story, expires)
            StoryConsentNotice.objects.get_or_create(
                page=story, expires_on=expires, kind=StoryConsentNotice.Kind.WARNING
            )
        run.warned.append(story)
    return run
