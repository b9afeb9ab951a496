"""Erase one subscriber (address, choices, consent ledger), e.g. on a request to be forgotten.

``--dry-run`` says what would go. The audit log records that a subscriber was erased, never
the address.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicsite.newsletter.models import Subscriber
from clinicsite.newsletter.services.subscribers import subscriber_erase


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, email: str, dry_run: bool, **options: Any) -> None:
        subscriber = Subscriber.objects.filter(email__iexact=email.strip()).first()
        if subscriber is None:
            raise CommandError("No subscriber has that address.")
        events = subscriber.events.count()
        if dry_run:
            self.stdout.write(
                f"Would erase subscriber {subscriber.pk} and {events} consent events."
            )
            return
        subscriber_erase(subscriber=subscriber)
        self.stdout.write(f"Erased subscriber and {events} consent events.")
