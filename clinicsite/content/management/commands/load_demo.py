"""Load the demo clinic: pages, people, conditions, protocols and fictional patient stories.

The content is data: the YAML files in ``clinicsite/content/demo/``, read by its
``loader``. Idempotent: every object is found by a stable key and updated in place, so
running it again refreshes the demo without duplicating anything. All people are fictional.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from clinicsite.content.demo.loader import DATA_DIR, DemoDataError, load


class Command(BaseCommand):
    help = "Load (or refresh) the demo clinic's content. Safe to run repeatedly."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help="Folder of demo data files (default: the one in clinicsite/content/demo/).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            load(options["data_dir"])
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        # Other apps' demo data (e.g. follow-up history), by command name: content never
        # imports the apps that hold health data.
        for command in settings.DEMO_LOADERS:
            call_command(command, verbosity=options["verbosity"])
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
