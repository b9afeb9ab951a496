"""Restore a backup made by ``manage.py backup`` into the database named by DATABASE_URL.

Why it refuses so much: a restore is run rarely and under stress. Before anything is changed
it checks that a configured FIELD_ENCRYPTION_KEYS key is one the backup was made with, that
the manifest's HMAC and every file's checksum match, and that the database and both file roots
are empty (``--force`` replaces them). Afterwards it runs ``migrate`` and decrypts every
encrypted value and file, as ``rotate_keys --dry-run`` does. Stop the site's web and worker
processes first. ``--check`` runs only the checks that change nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.core.backup import BackupError, check_backup, restore_backup


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", type=Path, help="A clinicsite-<time> backup directory.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database or files that hold data."
        )
        parser.add_argument(
            "--check", action="store_true", help="Check keys and checksums only; change nothing."
        )

    def handle(
        self, *args: Any, backup: Path, force: bool, check: bool, verbosity: int = 1, **options: Any
    ) -> None:
        def log(message: str) -> None:
            if verbosity >= 1:
                self.stdout.write(message)

        try:
            if check:
                manifest = check_backup(backup)
                files = len(manifest["files"])
                log(f"{backup}: backup of {manifest['created_at']} ({manifest['engine']}) is "
                    f"intact ({files} files) and a configured key matches.")  # fmt: skip
                return
            counts = restore_backup(backup, force=force, log=log)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(
            f"{count} {label}" + (f" ({unbound} not yet bound: run rotate_keys)" if unbound else "")
            for label, (count, unbound) in counts.items()
        )
        log(f"Restored {backup}. Decrypted with the configured keys: {summary}.")
