"""Start scheduled digests that are due and finish any that a lost worker left half-sent.

Run it every minute or so (cron or a systemd timer). Workers normally do this work as soon as
a digest is scheduled; this command is the safety net, and safe to run at any time: the
per-recipient send log means nothing is sent twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinicsite.newsletter.services.delivery import run_due


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, send nothing.")

    def handle(self, *args: Any, dry_run: bool, verbosity: int, **options: Any) -> None:
        summary = run_due(dry_run=dry_run)
        if verbosity:
            prefix = "Would start" if dry_run else "Started"
            self.stdout.write(
                f"{prefix} {summary['started']} digest(s); sent {summary['sent']}, "
                f"refused {summary['failed']}; {summary['pending']} still pending."
            )
