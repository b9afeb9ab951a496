"""Access logs without credentials: the signed links' tokens never reach a log line.

The resume, status, follow-up, newsletter and password-reset links carry a bearer token in
their path: whoever reads it can use the link. Gunicorn's access log records the request line,
the path, the query string and the referer (a page opened from such a link sends its address
as ``Referer`` to the same site, ``Referrer-Policy: same-origin``), so each of them is masked
here before it is written. A token can also travel inside a query string (``?next=`` with the
link, percent-encoded), so the masking looks for the routes anywhere in a value, in plain and
in percent-encoded form.

``TOKEN_ROUTES`` is the one list of token-bearing routes, written as in the URLconf;
``core/tests/test_accesslog.py`` fails when the URLconf gains a ``<token>`` route it lacks.
This module imports nothing from Django: gunicorn's master process loads it before the app.
The nginx sample (``docs/operations.md``, ``bin/nginx-front``) masks the same routes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

__all__ = ["MASK", "TOKEN_ROUTES", "MaskTokensFilter", "MaskingLogger", "mask"]

MASK = "<token>"

# Every route whose path carries a credential, with its mount prefix (clinicsite/urls.py).
TOKEN_ROUTES = (
    "/apply/resume/<token>/",
    "/apply/status/<token>/",
    "/followup/<token>/",
    "/followup/<token>/stop/",
    "/newsletter/confirm/<token>/",
    "/newsletter/unsubscribe/<token>/",
    "/newsletter/preferences/<token>/",
    "/admin/password_reset/confirm/<uidb64>/<token>/",
)

_SLASH = r"(?:/|%2[Ff])"
# One path segment: anything up to a delimiter, in plain or percent-encoded form.
_SEGMENT = r"(?:(?!%2[Ff]|%3[Ff]|%26|%23)[^/?#&\s\"'])+"


def _route_regex(route: str) -> str:
    """A regex for a route's path up to its ``<token>``; other parameters match one segment."""
    head = route.partition("<token>")[0]
    parts = [_SEGMENT if part.startswith("<") else re.escape(part) for part in head.split("/")]
    return _SLASH.join(parts)


def _compile() -> re.Pattern[str]:
    heads = sorted({_route_regex(route) for route in TOKEN_ROUTES}, key=len, reverse=True)
    return re.compile(rf"(?P<head>(?:{'|'.join(heads)}))(?P<token>{_SEGMENT})")


_TOKEN = _compile()
# No view reads one today, but a ``token=`` query parameter is masked all the same.
_QUERY_TOKEN = re.compile(r"(?P<head>(?:^|[?&;]|%3[Ff]|%26)token(?:=|%3[Dd]))(?:(?!%26)[^&\s\"'])+")


def mask(value: Any) -> Any:
    """``value`` with every token of a token-bearing route replaced by ``<token>``.

    Non-strings (sizes, times) come back unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    value = _TOKEN.sub(lambda m: m.group("head") + MASK, value)
    return _QUERY_TOKEN.sub(lambda m: m.group("head") + MASK, value)


class MaskingLogger(Logger):
    """Gunicorn's logger with every access-log atom masked (``--logger-class``).

    Masks all atoms rather than a chosen few, so a custom ``--access-logformat`` naming
    ``{referer}i``, ``{raw_uri}e`` or ``%(U)s`` cannot bring a token back.
    """

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        found = super().atoms(resp, req, environ, request_time)
        return {key: mask(value) for key, value in found.items()}


class MaskTokensFilter(logging.Filter):
    """The same masking for the application's own log (``settings.LOGGING``).

    Django reports a server error as "Internal Server Error: <path>", which on a link's page
    would carry its token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: mask(arg) for key, arg in record.args.items()}
        return True
