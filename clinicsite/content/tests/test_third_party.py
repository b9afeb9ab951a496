"""No page of the demo site makes the browser contact another origin.

The crawl starts from the sitemap, adds the search, newsletter and application pages, and
follows every same-origin link it finds. For every page it checks each HTML attribute, inline
script and style, every stylesheet's url()/@import, every script file, and the
Content-Security-Policy header.
"""

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from .origins import csp_problems, foreign, html_problems, text_asset_problems

OWN = "https://clinic.example"
PAGE = OWN + "/articles/"


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://cdn.example/x.png" alt="">',
        '<img src="//cdn.example/x.png" alt="">',
        '<link rel="stylesheet" href="https://fonts.example/css">',
        '<link rel="preconnect" href="https://fonts.example">',
        '<script src="https://analytics.example/a.js"></script>',
        '<img srcset="/a.png 1x, https://x.example/b.png 2x" alt="">',
        '<video poster="https://x.example/p.jpg"></video>',
        '<form action="https://forms.example/submit"></form>',
        '<div style="background:url(/a.png)"></div>',
        '<iframe src="https://video.example/embed/1"></iframe>',
        '<img data-src="https://lazy.example/i.png" alt="">',
        '<meta property="og:image" content="https://other.example/og.png">',
        "<script>fetch('/x')</script>",
        '<button onclick="go()">Go</button>',
        "<style>body{background:url(https://x.example/bg.png)}</style>",
        '<use href="https://sprites.example/s.svg#i"></use>',
    ],
)
def test_the_checker_catches_every_kind_of_third_party_reference(html):
    problems, _, _ = html_problems(html, PAGE, OWN)
    assert problems


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://doi.org/10.1186/ar4520">Source</a>',
        '<img src="/media/images/x.png" srcset="/a.png 1x, /b.png 2x" alt="">',
        '<img src="data:image/png;base64,AAAA" alt="">',
        '<link rel="canonical" href="https://clinic.example/articles/">',
        '<script type="application/ld+json">{"@context": "https://schema.org"}</script>',
        '<a href="mailto:hello@clinic.example">Mail</a><a href="tel:+441632960000">Call</a>',
        '<svg xmlns="http://www.w3.org/2000/svg"><use href="#icon"></use></svg>',
        '<form action="/search/" method="get"></form>',
    ],
)
def test_the_checker_allows_links_out_and_own_resources(html):
    assert html_problems(html, PAGE, OWN)[0] == []


def test_stylesheet_scripts_and_csp_checks():
    css = "a{background:url('/static/a.png')} @import 'https://fonts.example/f.css';"
    assert text_asset_problems(css, OWN + "/static/site.css", OWN, css=True) == [
        "https://clinic.example/static/site.css names https://fonts.example"
    ]
    assert text_asset_problems("fetch('//api.example/x')", OWN + "/a.js", OWN, css=False)
    assert csp_problems("default-src 'self'; img-src 'self' data:", OWN) == []
    assert csp_problems("default-src 'self' https://cdn.example", OWN) == [
        "CSP default-src allows https://cdn.example"
    ]
    assert csp_problems("script-src *", OWN)
    assert csp_problems("", OWN) == ["no Content-Security-Policy header"]
    assert not foreign("/x", PAGE, OWN)


# --- The crawl ------------------------------------------------------------------------------

OPEN_SURVEY = """
import datetime
from django.utils import timezone
from clinicsite.followups.models import Invitation
from clinicsite.followups.services import invitation_url
now = timezone.now()
invitation = Invitation.objects.order_by("pk").first()
Invitation.objects.filter(pk=invitation.pk).update(
    status="sent", due_at=now - datetime.timedelta(days=1),
    expires_at=now + datetime.timedelta(days=20))
print(invitation_url(invitation))
"""
NEWSLETTER_LINKS = """
from clinicsite.newsletter.mail import confirm_url, preferences_url, unsubscribe_url
from clinicsite.newsletter.models import Subscriber
subscriber, _ = Subscriber.objects.get_or_create(
    email="crawl-reader@example.org", defaults={"language": "en", "status": "pending"})
print(confirm_url(subscriber), preferences_url(subscriber), unsubscribe_url(subscriber))
"""
SKIP_PREFIXES = ("/admin/", "/documents/", "/media/", "/static/", "/feeds/", "/healthz")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sitemap_pages(base):
    status, _, body = fetch(base + "/sitemap.xml")
    assert status == 200
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.fromstring(body).findall("sm:url/sm:loc", ns)]


@pytest.mark.browser
def test_no_page_names_a_third_party_origin(live_site):
    own = live_site.url
    start = sitemap_pages(own)
    assert len(start) >= 8, start  # home, indexes, article, conditions, stories, about
    assert all(urlsplit(url).netloc == urlsplit(own).netloc for url in start)
    # Pages outside the sitemap: search, 404, the application, the outcomes page, a
    # patient's follow-up questionnaire and the newsletter's pages (reached by signed links).
    survey = live_site.manage("shell", "-c", OPEN_SURVEY).split()[-1]
    newsletter = live_site.manage("shell", "-c", NEWSLETTER_LINKS).split()[-3:]
    extra = [own + "/search/?q=lupus", own + "/no-such-page/", own + "/apply/",
             own + "/outcomes/", survey, survey + "stop/", own + "/newsletter/",
             *newsletter]  # fmt: skip
    assert all(fetch(url)[0] in (200, 404) for url in extra)

    queue = deque(start + extra)
    seen: set[str] = set()
    assets: dict[str, bool] = {}
    problems: dict[str, list[str]] = {}
    while queue and len(seen) < 300:
        url = queue.popleft().split("#")[0]
        if url in seen:
            continue
        seen.add(url)
        status, headers, body = fetch(url)
        if "text/html" not in headers.get("Content-Type", ""):
            continue
        assert status in (200, 404), (url, status)
        found = csp_problems(headers.get("Content-Security-Policy", ""), own)
        found += [f"report-only CSP {p}" for p in csp_problems(
            headers.get("Content-Security-Policy-Report-Only", "default-src 'self'"), own
        )]  # fmt: skip
        html = body.decode()
        page_problems, stylesheets, scripts = html_problems(html, url, own)
        found += page_problems
        for asset in stylesheets + scripts:
            if not foreign(asset, url, own):
                assets[urljoin(url, asset)] = asset in stylesheets
        if found:
            problems[url] = found
        for link in _same_origin_links(html, url, own):
            if link not in seen:
                queue.append(link)

    assert len(seen) >= len(start) + len(extra)
    for asset_url, is_css in assets.items():
        status, _, body = fetch(asset_url)
        assert status == 200, asset_url
        found = text_asset_problems(body.decode(), asset_url, own, css=is_css)
        if found:
            problems[asset_url] = found
    assert any(url.endswith(".css") for url in assets)  # the stylesheet really was checked
    assert problems == {}


def _same_origin_links(html, url, own):
    from html.parser import HTMLParser

    links = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href") if tag == "a" else None
            target = urljoin(url, href or "").split("#")[0]
            path = urlsplit(target).path
            if href and target.startswith(own + "/") and not path.startswith(SKIP_PREFIXES):
                links.append(target)

    Links().feed(html)
    return links
