"""Re-encrypt every stored health-data ciphertext under the newest FIELD_ENCRYPTION_KEYS key.

Why: after adding a new key at the front of FIELD_ENCRYPTION_KEYS, old data stays readable
(every key decrypts) but is still under the old key. Run this, then the old key can be
removed. ``--dry-run`` decrypts everything (proving the keys work) and changes nothing. It
covers every column and file the apps registered in ``clinicsite.core.encrypted``
(applications, drafts, notes, records, follow-up notes and answers, adverse events).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.core.encrypted import UnreadableCiphertext, rotate_all


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        try:
            counts = rotate_all(dry_run=dry_run)
        except UnreadableCiphertext as exc:
            done = "nothing was changed" if dry_run else "nothing after it was rotated"
            raise CommandError(
                f"Some data cannot be decrypted with any configured key ({exc}); {done}. "
                "Restore the missing key to FIELD_ENCRYPTION_KEYS and run again."
            ) from exc
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        for label, count in counts.items():
            self.stdout.write(f"{verb} {count} {label}")
