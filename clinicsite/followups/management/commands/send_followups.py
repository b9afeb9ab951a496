"""Queue follow-up invitations and reminders that are due (the task worker sends them), expire
stale ones, and escalate adverse events nobody acknowledged within 24 hours.

Run it periodically (e.g. every 15 minutes from cron or a systemd timer); it is idempotent, so
a re-run or an overlap never queues a message twice, and one the worker gave up on is queued
again. ``--dry-run`` reports without queueing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clinicsite.followups.services import escalate_unacknowledged, send_due


class Command(BaseCommand):
    help = "Queue due follow-up invitations and reminders; escalate unacknowledged adverse events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would be queued.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        summary = send_due(dry_run=dry_run)
        summary["escalated"] = escalate_unacknowledged(dry_run=dry_run)
        if options["verbosity"] >= 1:
            prefix = "Would queue" if dry_run else "Queued"
            self.stdout.write(
                f"{prefix}: {summary['invitations']} invitations, "
                f"{summary['reminders']} reminders ({summary['retried']} after a failed attempt); "
                f"expired {summary['expired']}; escalated {summary['escalated']}."
            )
