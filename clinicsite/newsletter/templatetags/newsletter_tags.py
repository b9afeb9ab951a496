"""``{% newsletter_box %}``: the sign-up box for content pages (cache-safe: no cookies).

Rendering the form's fields costs more than the rest of an article together, yet the box is
the same on every render of a page except for its signed form token (the time it was shown).
So the box is rendered once per page and cache generation (the topics are conditions, whose
changes bump it) with a placeholder, and each render swaps in a fresh token.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from clinicsite.core.pagecache import remember

from ..tokens import form_token
from ..views import signup_context

register = template.Library()

BOX_TEMPLATE = "newsletter/includes/signup_box.html"
# Letters only, so it comes out of autoescaping unchanged; tokens need no escaping either.
TOKEN_PLACEHOLDER = "newsletterFormTokenPlaceholder"  # noqa: S105 (not a secret)


def _render_box(source: str) -> str:
    html = render_to_string(BOX_TEMPLATE, signup_context(source=source, token=TOKEN_PLACEHOLDER))
    if html.count(TOKEN_PLACEHOLDER) != 1:
        raise ValueError(f"{BOX_TEMPLATE} must show the form token exactly once")
    return html


@register.simple_tag(takes_context=True)
def newsletter_box(context: dict[str, Any]) -> SafeString:
    request = context.get("request")
    source = request.path if request is not None else ""
    key = "newsletter-box:" + hashlib.sha256(source.encode()).hexdigest()
    html = remember(key, lambda: _render_box(source))
    return mark_safe(html.replace(TOKEN_PLACEHOLDER, form_token()))  # noqa: S308
