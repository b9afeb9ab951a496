"""Give the demo list a few clearly fictional subscribers and a draft digest.

Addresses are under ``demo.invalid`` (a domain that can never receive mail) and each has a
consent history as a real sign-up would leave it. Idempotent: existing demo subscribers and
the draft are left as they are.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinicsite.clinic.models import Condition
from clinicsite.newsletter import consent
from clinicsite.newsletter.models import ConsentEvent, Digest, Subscriber

DEMO = [
    # (address, language, topics, status, days ago)
    ("reader.one@demo.invalid", "en", ["lupus"], Subscriber.Status.CONFIRMED, 40),
    ("reader.two@demo.invalid", "es", [], Subscriber.Status.CONFIRMED, 25),
    ("reader.three@demo.invalid", "en", ["multiple-sclerosis"], Subscriber.Status.PENDING, 2),
    ("reader.four@demo.invalid", "en", [], Subscriber.Status.UNSUBSCRIBED, 90),
]


class Command(BaseCommand):
    help = "Load fictional newsletter subscribers and a draft digest (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        created = 0
        for email, language, topics, status, days in DEMO:
            at = now - datetime.timedelta(days=days)
            subscriber, new = Subscriber.objects.get_or_create(
                email=email, defaults={"language": language, "status": status, "created_at": at}
            )
            if not new:
                continue
            created += 1
            subscriber.topics.set(Condition.objects.filter(slug__in=topics))
            ledger = [(ConsentEvent.Kind.SIGNUP, ConsentEvent.Method.WEB_FORM, at)]
            if status != Subscriber.Status.PENDING:
                confirmed = at + datetime.timedelta(minutes=7)
                subscriber.confirmed_at = confirmed
                ledger.append(
                    (ConsentEvent.Kind.CONFIRMED, ConsentEvent.Method.EMAIL_LINK, confirmed)
                )
            if status == Subscriber.Status.UNSUBSCRIBED:
                left = at + datetime.timedelta(days=30)
                subscriber.unsubscribed_at = left
                ledger.append((ConsentEvent.Kind.UNSUBSCRIBED, ConsentEvent.Method.ONE_CLICK, left))
            subscriber.save()
            for kind, method, when in ledger:
                ConsentEvent.objects.create(
                    subscriber=subscriber, kind=kind, method=method, at=when,
                    wording_version=consent.CURRENT if kind != "unsubscribed" else "",
                    source="/" if kind == "signup" else "",
                )  # fmt: skip
        Digest.objects.get_or_create(
            subject="New from the clinic (demo draft)",
            defaults={
                "introduction": "Articles and stories published since the last digest.",
                "mode": Digest.Mode.SINCE_LAST,
            },
        )
        if options.get("verbosity", 1):
            self.stdout.write(f"Demo newsletter: {created} subscriber(s) added.")
