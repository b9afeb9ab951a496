"""Security headers on every response; a CSP whose script-src never allows inline code.

The admin's inline scripts run because they carry the response's nonce (core/csp.py); the
browser test ``test_admin_csp_browser.py`` shows that the admin works under that policy.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.conf import settings

from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.widgets import AdminDateInput, AdminDateTimeInput, AdminTimeInput
from wagtail.models import Page
from wagtail.snippets.widgets import AdminSnippetChooser

import pytest

from clinicsite.content.models import ArticlePage, Person
from clinicsite.core.csp import nonces_from, stamp_scripts

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json)([^>]*)>"
)
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_no_inline_script_allowed(response, where: str) -> None:
    """No directive that governs scripts may allow inline code or eval."""
    policy = directives(response)
    for name in ("script-src", "script-src-elem", "script-src-attr", "default-src"):
        values = policy.get(name, [])
        assert "'unsafe-inline'" not in values, (where, name, values)
        assert "'unsafe-eval'" not in values, (where, name, values)
        assert "'unsafe-hashes'" not in values, (where, name, values)
    assert "script-src" in policy, where


def assert_common_headers(response) -> None:
    policy = response["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, feature
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    ["/", "/articles/can-stem-cells-help-lupus/", "/apply/", "/newsletter/", "/healthz",
     "/no-such-page/", "/admin/login/", "/admin/"],
)  # fmt: skip
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    assert_common_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert_no_inline_script_allowed(response, path)


def test_static_files_carry_them_too(client):
    response = client.get("/static/js/apply.js")
    assert response.status_code == 200
    assert_common_headers(response)


def test_a_cached_page_keeps_its_headers(client):
    client.get("/")
    response = client.get("/")
    assert response["X-Page-Cache"] == "hit"
    assert_common_headers(response)
    assert directives(response)["script-src"] == ["'self'"]


def test_no_cookie_is_readable_by_script(client):
    response = client.get("/apply/about/")
    assert settings.CSRF_COOKIE_NAME in response.cookies
    for cookie in response.cookies.values():
        assert cookie["httponly"], cookie.key


def test_every_public_page_has_the_strict_policy_and_no_nonce(client):
    pages = Page.objects.live().public().filter(depth__gt=1).specific()
    assert pages.count() >= 10
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], page.url
        assert policy["style-src"] == ["'self'"], page.url
        assert b"nonce" not in response.content, page.url
        assert not INLINE_SCRIPT.search(response.content.decode()), page.url


def test_the_settings_never_allow_inline_script():
    for setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        policy = (getattr(settings, setting, None) or {}).get("DIRECTIVES", {})
        for name in ("script-src", "script-src-elem", "script-src-attr", "default-src"):
            assert "'unsafe-inline'" not in policy.get(name, []), (setting, name)


def _nonce(response) -> str:
    nonces = [v for v in directives(response)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, directives(response)["script-src"]
    return nonces[0][len("'nonce-") : -1]


@pytest.mark.parametrize("path", ["/admin/pages/{article}/edit/", "/admin/users/", "/admin/pages/"])
def test_admin_inline_scripts_run_only_by_the_responses_nonce(admin_client, path):
    path = path.format(article=ArticlePage.objects.live().first().pk)
    response = admin_client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"][0] == "'self'"
    assert_no_inline_script_allowed(response, path)
    nonce = _nonce(response)
    scripts = INLINE_SCRIPT.findall(response.content.decode())
    assert scripts, "this page has Wagtail's inline widget scripts"
    for attrs in scripts:
        assert f'nonce="{nonce}"' in attrs, attrs
    assert _nonce(admin_client.get(path)) != nonce  # a new one for every response


def test_the_sign_in_page_keeps_the_strict_policy(client):
    response = client.get("/admin/login/")
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]  # no inline script, so no nonce either
    assert policy["style-src"] == ["'self'"]  # no rich-text editor before signing in


def test_admin_styles_allow_inline_for_the_rich_text_editor_only_in_the_admin(admin_client):
    admin = directives(admin_client.get("/admin/"))
    assert admin["style-src"] == ["'self'", "'unsafe-inline'"]
    assert admin["img-src"] == ["'self'", "data:", "blob:"]
    assert admin["frame-src"] == ["'self'"]  # the editor's preview panel
    assert admin["frame-ancestors"] == ["'none'"]
    assert "http" not in admin_client.get("/admin/")["Content-Security-Policy"]


class _FormData(HTMLParser):
    """The fields of the page editor's form as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.data.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value") or ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def test_a_preview_keeps_the_public_policy_and_may_be_framed_by_the_editor(admin_client):
    index = Page.objects.get(url_path="/home/stories/")  # no StreamField: the form is all HTML
    parser = _FormData()
    parser.feed(admin_client.get(f"/admin/pages/{index.pk}/edit/").content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    # as the preview panel does: POST the form (stored in the session), then GET the preview
    stored = admin_client.post(f"/admin/pages/{index.pk}/edit/preview/", data)
    assert stored.json()["is_valid"], stored.content
    response = admin_client.get(f"/admin/pages/{index.pk}/edit/preview/?in_preview_panel=true")
    assert response.status_code == 200
    assert index.title.encode() in response.content
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]


@pytest.mark.parametrize(
    "widget",
    [AdminDateInput(), AdminTimeInput(), AdminDateTimeInput(), DateRangePickerWidget(),
     AdminSnippetChooser(Person)],
)  # fmt: skip
def test_wagtail_widgets_stamp_their_scripts_only_during_an_admin_request(widget):
    outside = widget.render("field", None, attrs={"id": "id_field"})
    assert "<script>" in outside
    assert "nonce" not in outside
    with nonces_from(lambda: "n0nce"):
        inside = widget.render("field", None, attrs={"id": "id_field"})
    assert "<script>" not in inside
    assert inside.count('<script nonce="n0nce">') == outside.count("<script>")


def test_markup_from_data_is_never_stamped(admin_client):
    evil = Person.objects.create(name="<script>alert(1)</script>", job_title="x")
    article = ArticlePage.objects.live().first()
    article.author = evil
    article.save_revision()
    response = admin_client.get(f"/admin/pages/{article.pk}/edit/")
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.content
    assert b">alert(1)</script>" not in response.content
    assert stamp_scripts("<script>x</script>") == "<script>x</script>"  # outside any request
