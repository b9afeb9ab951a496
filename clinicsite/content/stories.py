"""Testimonial consent lifecycle: warn editors before consent lapses, unpublish when it has.

A patient's consent to publish is re-confirmed every 12 months. Thirty days before it lapses
the editors (and the page's owner) are e-mailed once; on the day it lapses the story is
unpublished and the unpublication is written to the audit log. Both steps are idempotent
(``StoryConsentNotice`` records what was done for each expiry date), so the job can run as
often as the scheduler likes. A warning is recorded in the transaction that queues its mail
task; the task retries while the mail server is unreachable, and a warning it gave up on is
forgotten, so the next run queues it again.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinicsite.accounts.roles import EDITOR
from clinicsite.core.audit import record
from clinicsite.core.mail import enqueue_after_commit
from clinicsite.core.urls import absolute_url

from .models import CONSENT_VALID_MONTHS, PatientStoryPage, StoryConsentNotice, add_months

WARN_DAYS = 30
logger = logging.getLogger(__name__)


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


def warning_send(notice_id: int) -> bool:
    """Send one queued consent warning (what ``tasks.send_story_consent_warning`` runs).

    A warning made moot while it waited (consent re-confirmed, story unpublished, no editor
    with an address left) is dropped instead.
    """
    warning = StoryConsentNotice.objects.filter(pk=notice_id, kind=StoryConsentNotice.Kind.WARNING)
    notice = warning.first()
    if notice is None:
        return False
    story = PatientStoryPage.objects.live().filter(pk=notice.page_id).first()
    addresses = _editor_addresses(story) if story is not None else []
    if story is None or story.consent_expires_on != notice.expires_on or not addresses:
        notice.delete()
        return False
    expires = notice.expires_on
    edit_url = absolute_url(reverse("wagtailadmin_pages:edit", args=[story.pk]))
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
        recipient_list=addresses,
    )
    return True


def warning_forget(notice_id: int) -> None:
    """The task gave up: forget the warning, so the next run queues it again."""
    StoryConsentNotice.objects.filter(pk=notice_id, kind=StoryConsentNotice.Kind.WARNING).delete()
    logger.warning("story consent warning %s not sent; the next run queues it again", notice_id)


def story_consent_run(*, today: datetime.date | None = None, dry_run: bool = False) -> ConsentRun:
    """Warn about stories lapsing within 30 days (queued mail); unpublish lapsed ones.
    Idempotent."""
    from .tasks import send_story_consent_warning

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
            # Recorded and queued in one transaction: a re-run never warns twice.
            with transaction.atomic():
                notice, created = StoryConsentNotice.objects.get_or_create(
                    page=story, expires_on=expires, kind=StoryConsentNotice.Kind.WARNING
                )
                if created:
                    enqueue_after_commit(send_story_consent_warning, notice.pk)
            if not created:  # an overlapping run has just queued it
                continue
        run.warned.append(story)
    return run
