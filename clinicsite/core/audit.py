"""Append-only audit log: who did what to which object, for actions the clinic must account for.

Minimal version written for the evidence feature (medical-review overrides, lapsed-consent
unpublishing). Keep ``record``'s keyword-only signature stable: other features call it too.
``details`` holds identifiers and reasons, never health data.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditEntry


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` may be None for the system (commands, scheduled tasks)."""
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor.get_username()[:150] if actor is not None else "",
        action=action[:100],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
    )
