"""Export one applicant's data (JSON + files, zip) by reference, e.g. for a subject access request.

Why: applicants may ask for a copy of everything held about them. The export is audited.
``--dry-run`` checks the reference and that everything decrypts, and writes no file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.applications.models import Application
from clinicsite.applications.services import application_export


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("reference")
        parser.add_argument("--output", help="Zip file to write (default: <reference>.zip)")
        parser.add_argument("--dry-run", action="store_true")

    def handle(
        self, *args: Any, reference: str, output: str | None, dry_run: bool, **options: Any
    ) -> None:
        application = Application.objects.filter(reference=reference.strip().upper()).first()
        if application is None:
            raise CommandError(f"No application with reference {reference!r}.")
        data = application_export(application=application, actor=None)
        if dry_run:
            self.stdout.write(f"Would write {len(data)} bytes for {application.reference}")
            return
        path = Path(output or f"{application.reference}.zip")
        path.write_bytes(data)
        path.chmod(0o600)
        self.stdout.write(f"Wrote {path}")
