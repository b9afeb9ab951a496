"""The append-only audit log: who did what to which object, when and from where.

Every read of health data, every export, decryption, change and decision is written here with
``record``. Nothing in the app can edit or delete an entry (``AuditEntry`` refuses updates
and deletes, including bulk ones). ``details`` must never hold health data: record *that*
something was read or changed, not what it said.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditEntry

__all__ = ["AuditEntry", "client_ip", "record"]


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as the app server saw it (set by nginx via X-Forwarded-For)."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = forwarded.split(",")[-1].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return address or None


def record(
    *,
    actor: Any = None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry to the audit log and return it."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.get_username() if authenticated else "anonymous",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        details=details or {},
    )
