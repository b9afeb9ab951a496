"""Review reminders: e-mail a page's medical reviewer 30 days before its review is due.

One reminder per page and due date (``ReviewReminder``); when the due date moves after a
review, the next one is reminded again. The daily job records the reminder and queues its mail
task in one transaction, so a re-run never repeats it; the task retries while the mail server is
unreachable, and a reminder it gave up on is forgotten, so the next run queues it again.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinicsite.core.mail import enqueue_after_commit
from clinicsite.core.urls import absolute_url

from .models import ArticlePage, ConditionPage, MedicalReviewMixin, ReviewReminder
from .review import pages_due_for_review

REMIND_DAYS = 30
logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    queued: list = field(default_factory=list)
    no_address: list = field(default_factory=list)


def reviewer_address(page: MedicalReviewMixin) -> str:
    """The reviewer's address, or the page owner's when the reviewer has none."""
    if page.medical_reviewer and page.medical_reviewer.email:
        return page.medical_reviewer.email
    if page.owner_id and page.owner.is_active and page.owner.email:
        return page.owner.email
    return ""


def review_reminders_send(
    *, today: datetime.date | None = None, dry_run: bool = False
) -> ReminderRun:
    """Queue a reminder for every live page due for review within 30 days, once per due date."""
    from .tasks import send_review_reminder

    today = today or timezone.localdate()
    run = ReminderRun()
    for page in pages_due_for_review(within_days=REMIND_DAYS, today=today):
        if ReviewReminder.objects.filter(page=page, due_date=page.next_review_due).exists():
            continue
        if not reviewer_address(page):
            run.no_address.append(page)
            continue
        if dry_run:
            run.queued.append(page)
            continue
        with transaction.atomic():
            reminder, created = ReviewReminder.objects.get_or_create(
                page=page, due_date=page.next_review_due
            )
            if created:  # else an overlapping run has just queued it
                enqueue_after_commit(send_review_reminder, reminder.pk)
        if created:
            run.queued.append(page)
    return run


def _page(reminder: ReviewReminder) -> MedicalReviewMixin | None:
    for model in (ArticlePage, ConditionPage):
        page = model.objects.live().select_related("medical_reviewer", "owner")
        if found := page.filter(pk=reminder.page_id).first():
            return found
    return None


def reminder_send(reminder_id: int) -> bool:
    """Send one queued reminder and mark it sent (what ``tasks.send_review_reminder`` runs).

    A reminder made moot while it waited (page reviewed, unpublished or left without an
    address) is dropped instead.
    """
    reminder = ReviewReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).first()
    if reminder is None:
        return False
    page = _page(reminder)
    address = reviewer_address(page) if page is not None else ""
    if page is None or page.next_review_due != reminder.due_date or not address:
        reminder.delete()
        return False
    reviewer = page.medical_reviewer.name if page.medical_reviewer else "Hello"
    when = "was due" if page.next_review_due < timezone.localdate() else "is due"
    edit_url = absolute_url(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    send_mail(
        subject=f"Medical review due {page.next_review_due:%d %B %Y}: {page.title}",
        message=(
            f"{reviewer},\n\nThe medical review of “{page.title}” {when} on "
            f"{page.next_review_due:%d %B %Y}.\n\nPlease check the page against current "
            "evidence, then update “last reviewed” and “next review due” and submit it "
            "to Medical review.\n\n"
            f"Edit the page: {edit_url}\n"
        ),
        from_email=None,
        recipient_list=[address],
    )
    ReviewReminder.objects.filter(pk=reminder_id).update(sent_at=timezone.now())
    return True


def reminder_forget(reminder_id: int) -> None:
    """The task gave up: forget the reminder, so the next daily run queues it again."""
    ReviewReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).delete()
    logger.warning("review reminder %s not sent; the next run queues it again", reminder_id)
