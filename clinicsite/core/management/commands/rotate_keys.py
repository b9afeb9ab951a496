"""Re-seal every stored health-data ciphertext under the newest FIELD_ENCRYPTION_KEYS key,
bound to the row and column it is stored in.

Why: after adding a new key at the front of FIELD_ENCRYPTION_KEYS, old data stays readable
(every key decrypts) but is still under the old key. Run this, then the old key can be
removed. It also binds tokens written before binding existed (see ``core/crypto.py``), after
which FIELD_ENCRYPTION_ALLOW_UNBOUND can be switched off. A token sealed for another place
stops it (it is never re-bound where it was moved to). Rows are re-sealed in batches
(``--batch-size``), each batch one transaction and one UPDATE. ``--dry-run`` opens everything
(proving the keys work and every value is in its place) and changes nothing. It covers every
column and file the apps registered in ``clinicsite.core.encrypted``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.core.encrypted import DEFAULT_BATCH_SIZE, UnreadableCiphertext, rotate_all


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(
        self,
        *args: Any,
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            counts = rotate_all(dry_run=dry_run, batch_size=batch_size)
        except UnreadableCiphertext as exc:
            done = "nothing was changed" if dry_run else "the batches before it were re-sealed"
            raise CommandError(
                f"Some data cannot be decrypted in its place ({exc}); {done}. If no configured "
                "key decrypts it, restore the missing key to FIELD_ENCRYPTION_KEYS and run "
                "again; if it was sealed for another place, it was copied there: investigate."
            ) from exc
        verb = "Would re-seal" if dry_run else "Re-sealed"
        for label, (count, unbound) in counts.items():
            extra = f" ({unbound} of them not bound before)" if unbound else ""
            self.stdout.write(f"{verb} {count} {label}{extra}")
