"""Back up the database, MEDIA_ROOT and PRIVATE_MEDIA_ROOT into a new directory under DEST_DIR.

Why a command of its own: the engine, the database, the file roots and the key fingerprints
come from the settings, and the result must be something ``restore`` can check and refuse
(``clinicsite/core/backup/`` describes the format). Prints the new directory's path, so a
cron job can ship it off the machine. Safe while the site runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("destination", type=Path, help="Directory to create the backup in.")

    def handle(self, *args: Any, destination: Path, verbosity: int = 1, **options: Any) -> None:
        def log(message: str) -> None:
            if verbosity >= 2:
                self.stderr.write(message)

        try:
            path = create_backup(destination, log=log)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
