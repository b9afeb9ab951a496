"""E-mail each medical reviewer 30 days before a page's review is due (run daily).

Idempotent: one reminder per page and due date. Use --dry-run to see who would be reminded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinicsite.content.reminders import review_reminders_send


class Command(BaseCommand):
    help = "Send medical review reminders for pages due within 30 days."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = review_reminders_send(dry_run=dry_run)
        verb = "Would remind" if dry_run else "Reminded"
        for page in run.sent:
            self.stdout.write(f"{verb}: {page.title} (due {page.next_review_due:%Y-%m-%d})")
        for page in run.no_address:
            self.stderr.write(f"No e-mail address for the reviewer of: {page.title}")
        for page in run.failed:
            self.stderr.write(f"Sending failed, will retry next run: {page.title}")
        self.stdout.write(f"{len(run.sent)} reminder(s){' (dry run)' if dry_run else ''}.")
