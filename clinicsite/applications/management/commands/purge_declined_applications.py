"""Erase declined applications older than APPLICATION_RETENTION_DAYS (run daily by cron/timer).

Why: the privacy notice promises that declined applications are kept only for the retention
period. Each erasure is audited (by reference only). ``--dry-run`` lists what would go.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from clinicsite.applications.models import Application
from clinicsite.applications.services import application_erase


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List only; erase nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        cutoff = timezone.now() - datetime.timedelta(days=settings.APPLICATION_RETENTION_DAYS)
        due = Application.objects.filter(
            status=Application.Status.DECLINED, decided_at__lt=cutoff
        ).order_by("pk")
        count = 0
        for application in due.iterator():
            if not dry_run:
                application_erase(
                    application=application, actor=None, reason="retention period ended"
                )
            count += 1
            self.stdout.write(f"{'Would erase' if dry_run else 'Erased'} {application.reference}")
        self.stdout.write(
            f"{count} declined application(s) past {settings.APPLICATION_RETENTION_DAYS} days"
        )
