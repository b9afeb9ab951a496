"""CSP nonces for the Wagtail admin's own inline scripts (admin responses only).

Wagtail 8 still writes a few small inline ``<script>`` elements: chooser widgets
(``new ImageChooser(…)``), date and time pickers (``initDateChooser(…)``) and inline panels
(``new InlinePanel(…)``). Rather than allow every inline script with ``'unsafe-inline'``, admin
responses carry a per-request nonce (django-csp's ``request.csp_nonce``) and only the code that
writes those scripts adds it, at render time: the widgets' ``render`` (patched in
``CoreConfig.ready``) and the panel templates (``core/templates/wagtailadmin/panels/``, which
wrap Wagtail's own block in the ``csp_nonce_scripts`` filter). A script injected through data
(which Django escapes anyway) never gets the nonce, so the browser refuses it.

Widgets are rendered without a request, so the admin middleware publishes the current
request's nonce in a context variable while the request is handled. Public pages never set it:
their HTML, cached for every visitor, holds no nonce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

_nonce: ContextVar[Callable[[], str] | None] = ContextVar("admin_csp_nonce", default=None)


@contextmanager
def nonces_from(get_nonce: Callable[[], str]) -> Iterator[None]:
    """Let admin code rendered while this block runs stamp its scripts with the nonce."""
    token = _nonce.set(get_nonce)
    try:
        yield
    finally:
        _nonce.reset(token)


def current_nonce() -> str:
    """The nonce of the admin request being rendered, or "" outside one (no nonce at all)."""
    get_nonce = _nonce.get()
    return get_nonce() if get_nonce is not None else ""


def stamp_scripts(html: str) -> SafeString:
    """Add the request's nonce to the bare ``<script>`` tags of trusted, Wagtail-rendered HTML.

    Only for output of Wagtail's own templates and widgets: any data in it has been escaped,
    so every literal ``<script>`` tag in it was written by Wagtail. Outside an admin request
    the HTML is returned unchanged.
    """
    nonce = current_nonce()
    if nonce:
        html = html.replace("<script>", str(format_html('<script nonce="{}">', nonce)))
    return mark_safe(html)  # noqa: S308 - Wagtail's own, already escaped output


# Wagtail's chooser widgets (``new ImageChooser(…)``, ``new SnippetChooser(…)``…) all append
# their script in ``BaseChooser.render``. The date/time pickers write theirs in a template;
# date-range filters render them as sub-widgets (the template only, never ``render``), so the
# template itself is wrapped.
_PICKERS = ("AdminDateInput", "AdminTimeInput", "AdminDateTimeInput")
STAMPED_TEMPLATE = "core/admin_csp/stamped_widget.html"


def patch_wagtail_widgets() -> None:
    """Make those widgets stamp their scripts with the nonce (idempotent; run from ``ready``).

    A Wagtail upgrade that adds another inline script leaves it unstamped: the browser blocks
    it and the admin CSP browser test (``core/tests/test_admin_csp_browser.py``) fails.
    """
    from wagtail.admin.widgets import datetime
    from wagtail.admin.widgets.chooser import BaseChooser as chooser

    if not getattr(chooser.render, "stamps_csp_nonce", False):
        original = chooser.render

        def render(self: Any, *args: Any, **kwargs: Any) -> SafeString:
            return stamp_scripts(str(original(self, *args, **kwargs)))

        render.stamps_csp_nonce = True  # type: ignore[attr-defined]
        chooser.render = render

    for name in _PICKERS:
        picker = getattr(datetime, name)
        if picker.template_name != STAMPED_TEMPLATE:
            picker.wagtail_template_name = picker.template_name
            picker.template_name = STAMPED_TEMPLATE
            picker.get_context = _with_wagtail_template(picker.get_context)


def _with_wagtail_template(get_context: Callable[..., dict]) -> Callable[..., dict]:
    """The stamped template includes the widget's own Wagtail template, named in its context."""

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> dict:
        context = get_context(self, *args, **kwargs)
        context["widget"]["wagtail_template_name"] = self.wagtail_template_name
        return context

    return wrapped
