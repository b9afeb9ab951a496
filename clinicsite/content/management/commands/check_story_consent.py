"""Warn editors 30 days before a patient story's consent lapses; unpublish lapsed stories.

Patients re-confirm consent every 12 months. Run daily; idempotent. --dry-run lists only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinicsite.content.stories import story_consent_run


class Command(BaseCommand):
    help = "Warn about, and unpublish, patient stories whose consent lapses."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = story_consent_run(dry_run=dry_run)
        prefix = "Would " if dry_run else ""
        for story in run.warned:
            self.stdout.write(f"{prefix}warn: {story.title} (lapses {story.consent_expires_on})")
        for story in run.unpublished:
            self.stdout.write(f"{prefix}unpublish: {story.title}")
        self.stdout.write(
            f"{len(run.warned)} warned, {len(run.unpublished)} unpublished"
            f"{' (dry run)' if dry_run else ''}."
        )
