"""E-mail each medical reviewer 30 days before a page's review is due (run daily).

Idempotent: one reminder per page and due date, queued for the task worker to send (a reminder
it could not send is queued again by the next run). Use --dry-run to see who would be reminded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinicsite.content.reminders import review_reminders_send


class Command(BaseCommand):
    help = "Queue medical review reminders for pages due within 30 days."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = review_reminders_send(dry_run=dry_run)
        verb = "Would remind" if dry_run else "Reminding"
        for page in run.queued:
            self.stdout.write(f"{verb}: {page.title} (due {page.next_review_due:%Y-%m-%d})")
        for page in run.no_address:
            self.stderr.write(f"No e-mail address for the reviewer of: {page.title}")
        self.stdout.write(
            f"{len(run.queued)} reminder(s) {'to queue (dry run)' if dry_run else 'queued'}."
        )
