"""``csp_nonce_scripts``: stamp the inline scripts of Wagtail's own templates (core/csp.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from clinicsite.core.csp import stamp_scripts

register = template.Library()


@register.filter(is_safe=True)
def csp_nonce_scripts(html: str) -> SafeString:
    """Only for trusted template output (a ``{{ block.super }}`` of Wagtail's templates)."""
    return stamp_scripts(html)
