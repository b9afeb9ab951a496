"""Send follow-up invitations and reminders that are due, expire stale ones, and escalate adverse
events nobody acknowledged within 24 hours.

Run it periodically (e.g. every 15 minutes from cron or a systemd timer); it is idempotent, so
a re-run or an overlap never sends a message twice. ``--dry-run`` reports without sending.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clinicsite.followups.services import escalate_unacknowledged, send_due


class Command(BaseCommand):
    help = "Send due follow-up invitations and reminders; escalate unacknowledged adverse events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would be sent.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        summary = send_due(dry_run=dry_run)
        summary["escalated"] = escalate_unacknowledged(dry_run=dry_run)
        if options["verbosity"] >= 1:
            prefix = "Would send" if dry_run else "Sent"
            self.stdout.write(
                f"{prefix}: {summary['invitations']} invitations, "
                f"{summary['reminders']} reminders; "
                f"expired {summary['expired']}; escalated {summary['escalated']}; "
                f"failed {summary['failed']} (retried next run)."
            )
