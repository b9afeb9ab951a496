"""Review reminders: e-mail a page's medical reviewer 30 days before its review is due.

One reminder per page and due date (``ReviewReminder``); when the due date moves after a
review, the next one is reminded again. The reminder is recorded only after the mail server
accepted it, so a failed send is retried on the next run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import MedicalReviewMixin, ReviewReminder
from .review import pages_due_for_review

REMIND_DAYS = 30


@dataclass
class ReminderRun:
    sent: list = field(default_factory=list)
    no_address: list = field(default_factory=list)
    failed: list = field(default_factory=list)


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
    today = today or timezone.localdate()
    run = ReminderRun()
    for page in pages_due_for_review(within_days=REMIND_DAYS, today=today):
        if ReviewReminder.objects.filter(page=page, due_date=page.next_review_due).exists():
            continue
        address = reviewer_address(page)
        if not address:
            run.no_address.append(page)
            continue
        if dry_run:
            run.sent.append(page)
            continue
        reviewer = page.medical_reviewer.name if page.medical_reviewer else "Hello"
        when = "was due" if page.next_review_due < today else "is due"
        try:
            send_mail(
                subject=f"Medical review due {page.next_review_due:%d %B %Y}: {page.title}",
                message=(
                    f"{reviewer},\n\nThe medical review of “{page.title}” {when} on "
                    f"{page.next_review_due:%d %B %Y}.\n\nPlease check the page against current "
                    "evidence, then update “last reviewed” and “next review due” and submit it "
                    "to Medical review.\n\n"
                    f"Edit the page: {settings.WAGTAILADMIN_BASE_URL}/admin/pages/{page.pk}/edit/\n"
                ),
                from_email=None,
                recipient_list=[address],
            )
        except OSError:
            run.failed.append(page)
            continue
        ReviewReminder.objects.get_or_create(page=page, due_date=page.next_review_due)
        run.sent.append(page)
    return run
