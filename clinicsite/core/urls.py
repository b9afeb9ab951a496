"""Absolute links for mail and other places that have no request (not a URLconf)."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (from ``reverse`` or ``Page.url``) on the site's public address.

    Links in e-mails are built in background tasks and management commands, where there is no
    request; and where there is one, its Host header is the client's to choose, so a link
    derived from it could point a patient at someone else's site. ``WAGTAILADMIN_BASE_URL`` is
    the one configured address (Wagtail uses it for its own notification mails too).
    """
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
