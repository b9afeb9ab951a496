"""Template helpers shared by every public page."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from wagtail.models import Site

from ..pagecache import remember

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data: Any) -> SafeString:
    """Render a dict as a schema.org JSON-LD block, escaped so it cannot close the tag."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308


class RememberNode(template.Node):
    def __init__(self, nodelist: template.NodeList, parts: list[Any]) -> None:
        self.nodelist = nodelist
        self.parts = parts

    def render(self, context: template.Context) -> SafeString:
        request = context.get("request")
        # Only a page being served live (Wagtail's serve() says so): previews show drafts.
        if request is None or getattr(request, "is_preview", True):
            return self.nodelist.render(context)
        site = Site.find_for_request(request)
        parts = [str(site.pk if site else ""), *(str(p.resolve(context)) for p in self.parts)]
        key = "fragment:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
        return mark_safe(remember(key, lambda: self.nodelist.render(context)))  # noqa: S308


@register.tag("remember")
def remember_tag(parser: template.base.Parser, token: template.base.Token) -> RememberNode:
    """``{% remember "name" value… %}…{% endremember %}``: the enclosed HTML, rendered once
    per cache generation for the site and the values given, when a page is served live.

    For parts of public pages that cost a lot to render and are the same for every visitor:
    every value the part shows must either bump the generation when it changes (pages on
    publishing, people, images, clinic facts: see ``core.signals``) or be among the values.
    """
    parts = token.split_contents()[1:]
    if not parts:
        raise template.TemplateSyntaxError("'remember' needs a fragment name")
    nodelist = parser.parse(("endremember",))
    parser.delete_first_token()
    return RememberNode(nodelist, [parser.compile_filter(part) for part in parts])
