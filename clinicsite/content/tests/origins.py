"""Find every reference to another origin in a page's HTML, CSS and headers.

Used by the third-party crawl. Links out (``<a href>``, ``<area href>``, ``<blockquote
cite>``) are allowed: following a link is the reader's choice. Anything the browser would
fetch or execute by itself must come from the site's own origin.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Attributes whose value a reader chooses to follow, never loaded by the browser itself.
LINK_ATTRIBUTES = {("a", "href"), ("area", "href"), ("blockquote", "cite"), ("q", "cite")}
# Script types that are data, not code (JSON-LD names schema.org and DOIs as identifiers).
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
_URL_RE = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>()]+", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")
_ALLOWED_SCHEMES = {"data", "mailto", "tel", "blob", "about"}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign(url: str, base: str, own: str) -> bool:
    """True when ``url`` (relative to ``base``) points at an origin other than ``own``."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in _ALLOWED_SCHEMES:
        return False
    return origin(urljoin(base, url)) != own


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: list[tuple[str, str, str]] = []
        self.inline_scripts: list[str] = []
        self.style_blocks: list[str] = []
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            self.attributes.append((tag, name, value))
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            elif values.get("type", "").lower() not in DATA_SCRIPT_TYPES:
                self._in = "script"
        elif tag == "style":
            self._in = "style"
        elif tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            self.stylesheets.append(values.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.inline_scripts.append(data)
        elif self._in == "style":
            self.style_blocks.append(data)


def html_problems(html: str, page_url: str, own: str) -> tuple[list[str], list[str], list[str]]:
    """Problems in one page, plus the stylesheets and scripts it loads (to check them too)."""
    collector = _Collector()
    collector.feed(html)
    problems = []
    for tag, name, value in collector.attributes:
        if name == "style":
            problems.append(f"<{tag} style=...> inline style attribute (CSP forbids it)")
            problems += [
                f"<{tag} style> url({u})" for u in css_urls(value) if foreign(u, page_url, own)
            ]
            continue
        if name.startswith("on"):
            problems.append(f"<{tag} {name}=...> inline event handler")
        if (tag, name) in LINK_ATTRIBUTES or name == "xmlns" or name.startswith("xmlns:"):
            continue  # links out, and XML namespace names (identifiers, never fetched)
        candidates = (
            [value] if name in {"src", "href", "action", "poster", "data", "formaction"} else []
        )
        if name == "srcset" or name == "imagesrcset":
            candidates = [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]
        candidates += _URL_RE.findall(value)
        for url in candidates:
            if url and foreign(url, page_url, own):
                problems.append(
                    f"<{tag} {name}={value[:120]!r}> names {origin(urljoin(page_url, url))}"
                )
    for script in collector.inline_scripts:
        if script.strip():
            problems.append(f"inline <script>: {script.strip()[:80]!r} (CSP forbids it)")
    for block in collector.style_blocks:
        problems += [f"<style> url({u})" for u in css_urls(block) if foreign(u, page_url, own)]
    return problems, collector.stylesheets, collector.scripts


def css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL_RE.findall(css)]


def text_asset_problems(text: str, asset_url: str, own: str, *, css: bool) -> list[str]:
    """Origins named in a stylesheet's url()/@import, or anywhere in a script."""
    urls = css_urls(text) if css else _URL_RE.findall(text)
    return [
        f"{asset_url} names {origin(urljoin(asset_url, u))}"
        for u in urls
        if foreign(u, asset_url, own)
    ]


def csp_problems(policy: str, own: str) -> list[str]:
    """Every source in the policy must be a keyword, a nonce/hash, data:/blob: or our origin."""
    if not policy.strip():
        return ["no Content-Security-Policy header"]
    problems = []
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *sources = directive.split()
        for source in sources:
            if source.startswith("'") or source in {"data:", "blob:"}:
                continue
            if name in {"report-uri", "report-to"} and not foreign(source, own + "/", own):
                continue
            if source == "*" or foreign(
                source if "//" in source else f"//{source}", own + "/", own
            ):
                problems.append(f"CSP {name} allows {source}")
    return problems
