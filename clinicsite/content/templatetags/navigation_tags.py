"""Site navigation and per-page structured data.

The menu is the same for every visitor of a site, so its entries are kept for the whole page
cache generation (publishing, moving or unpublishing a page, or changing view restrictions,
starts a new one) rather than read from the database on every render.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from wagtail.models import Page, Site

from clinicsite.core.pagecache import remember
from clinicsite.core.templatetags.clinic_tags import jsonld

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_items(context: dict[str, Any]) -> list[dict[str, str]]:
    """Top-level pages marked 'show in menus', with ``aria-current`` for the section shown."""
    request = context.get("request")
    if request is None:
        return []
    site = Site.find_for_request(request)
    if site is None:
        return []
    entries = remember(f"menu:{site.pk}", lambda: _menu_entries(site, request))
    current_path = getattr(context.get("page"), "url_path", None)
    items = []
    for title, url_path, url in entries:
        state = ""
        if current_path == url_path:
            state = "page"
        elif current_path and current_path.startswith(url_path):
            state = "true"
        items.append({"title": title, "url": url, "current": state})
    return items


def _menu_entries(site: Site, request: Any) -> list[tuple[str, str, str]]:
    """(title, url_path, url) of the site's top-level pages marked 'show in menus'."""
    pages = (
        Page.objects.child_of(site.root_page)
        .live()
        .public()
        .in_menu()
        .order_by("path")
        .only("title", "url_path", "path", "depth")
    )
    return [(page.title, page.url_path, page.get_url(request)) for page in pages]


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
