"""``{% newsletter_box %}``: the sign-up box for content pages (cache-safe: no cookies)."""

from __future__ import annotations

from typing import Any

from django import template

from ..views import signup_context

register = template.Library()


@register.inclusion_tag("newsletter/includes/signup_box.html", takes_context=True)
def newsletter_box(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    return signup_context(source=request.path if request is not None else "")
