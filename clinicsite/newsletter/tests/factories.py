"""Builders for newsletter tests."""

from __future__ import annotations

import itertools

from django.utils import timezone

from clinicsite.newsletter.models import Digest, Subscriber

_numbers = itertools.count(1)


def subscriber(status: str = Subscriber.Status.CONFIRMED, **fields) -> Subscriber:
    n = next(_numbers)
    defaults = {"email": f"reader{n}@example.org", "language": "en", "status": status}
    if status == Subscriber.Status.CONFIRMED:
        defaults["confirmed_at"] = timezone.now()
    return Subscriber.objects.create(**{**defaults, **fields})


def digest(**fields) -> Digest:
    defaults = {"subject": "New from the clinic", "introduction": "Hello.", "mode": "since_last"}
    return Digest.objects.create(**{**defaults, **fields})
