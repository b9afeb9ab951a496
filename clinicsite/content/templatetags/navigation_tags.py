"""Site navigation and per-page structured data, computed once per request."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from wagtail.models import Site

from clinicsite.core.templatetags.clinic_tags import jsonld

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_items(context: dict[str, Any]) -> list[dict[str, str]]:
    """Top-level pages marked 'show in menus', with ``aria-current`` for the section shown."""
    request = context.get("request")
    if request is None:
        return []
    pages = getattr(request, "_menu_pages", None)
    if pages is None:
        site = Site.find_for_request(request)
        pages = list(site.root_page.get_children().live().public().in_menu()) if site else []
        request._menu_pages = pages
    current = context.get("page")
    current_path = getattr(current, "url_path", None)
    items = []
    for menu_page in pages:
        state = ""
        if current_path == menu_page.url_path:
            state = "page"
        elif current_path and current_path.startswith(menu_page.url_path):
            state = "true"
        items.append(
            {"title": menu_page.title, "url": menu_page.get_url(request), "current": state}
        )
    return items


@register.simple_tag(takes_context=True)
def page_json_ld(context: dict[str, Any]) -> SafeString | str:
    """The page's schema.org JSON-LD, if its model describes itself."""
    page = context.get("page")
    request = context.get("request")
    build = getattr(page, "json_ld", None)
    if build is None or request is None:
        return ""
    data = build(request)
    return jsonld(data) if data else ""
