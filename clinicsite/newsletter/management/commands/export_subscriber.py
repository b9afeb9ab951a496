"""Print everything the mailing list holds about one address as JSON (a right-of-access
request). The export is written to the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.newsletter.models import Subscriber
from clinicsite.newsletter.services.subscribers import subscriber_export


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        subscriber = Subscriber.objects.filter(email__iexact=email.strip()).first()
        if subscriber is None:
            raise CommandError("No subscriber has that address.")
        data = subscriber_export(subscriber=subscriber)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
