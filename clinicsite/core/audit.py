"""The append-only audit log: who did what to which object, when and from where.

Every read of health data, every export, decryption, change and decision is written here with
``record``. Nothing in the app can edit or delete an entry (``AuditEntry`` refuses updates
and deletes, including bulk ones). ``details`` must never hold health data: record *that*
something was read or changed, not what it said.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from ipware import get_client_ip

from .models import AuditEntry, AuditSettings

__all__ = ["AuditEntry", "client_ip", "record"]


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, trusting exactly ``TRUSTED_PROXY_COUNT`` proxies in front of us.

    The one place every address comes from: django-axes (``AXES_CLIENT_IP_CALLABLE``), the
    rate limits, the newsletter's consent ledger and the audit log. Each trusted proxy
    (nginx's ``$proxy_add_x_forwarded_for``) appends the address it saw, so the client is the
    N-th entry from the right of X-Forwarded-For; whatever a client wrote to the left of that
    is ignored. With 0 proxies the header is ignored and the socket address is used.
    """
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        # django-ipware counts the proxies *listed* in the header; the one talking to us is
        # REMOTE_ADDR, not in it. Not strict: a longer (client-padded) chain is expected.
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address:
            return address
    return _valid_address(request.META.get("REMOTE_ADDR"))


def _valid_address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _storable(value: Any) -> Any:
    """``value`` without NUL characters, which PostgreSQL's jsonb cannot hold: a search
    containing NUL must still be recorded, not turn the request into a 500."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def record(
    *,
    actor: Any = None,
    action: str,
    obj: models.Model | type[models.Model] | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    sign_in: bool = False,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    Entries by staff keep the client address. Entries without a signed-in actor are the
    public's (applicants, patients, subscribers): their address is kept only if the clinic
    turned it on (``AuditSettings.record_public_ip_address``), as the newsletter does for
    consent. ``sign_in=True`` marks an attempt on a staff account (failed password, lockout),
    which keeps its address like the sign-in throttling does. ``obj`` may be a model class
    for a read of a list of them (the object type is kept, with no object id).
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    keep_ip = authenticated or sign_in
    if not keep_ip and request is not None:
        keep_ip = AuditSettings.load(request_or_site=request).record_public_ip_address
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_label=actor.get_username() if authenticated else "anonymous",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if isinstance(obj, models.Model) else "",
        ip_address=client_ip(request) if keep_ip else None,
        details=_storable(details or {}),
    )
