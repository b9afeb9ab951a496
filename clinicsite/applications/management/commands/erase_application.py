"""Erase one applicant's data by reference (right to erasure). Audited by reference only.

``--dry-run`` says what would be erased and erases nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.applications.models import Application
from clinicsite.applications.services import application_erase


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("reference")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, reference: str, dry_run: bool, **options: Any) -> None:
        application = Application.objects.filter(reference=reference.strip().upper()).first()
        if application is None:
            raise CommandError(f"No application with reference {reference!r}.")
        files = application.records.count()
        if dry_run:
            self.stdout.write(f"Would erase {application.reference} and {files} file(s)")
            return
        application_erase(application=application, actor=None, reason="erasure request")
        self.stdout.write(f"Erased {application.reference} and {files} file(s)")
