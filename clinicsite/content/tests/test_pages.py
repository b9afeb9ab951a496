"""Every page type renders what a reader needs, with sound metadata and bounded queries."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from wagtail.models import Site

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicsite.content.models import ArticlePage

pytestmark = pytest.mark.django_db

PAGES = {
    "home": "/",
    "article_index": "/articles/",
    "article": "/articles/can-stem-cells-help-lupus/",
    "condition_index": "/conditions/",
    "condition": "/conditions/lupus/",
    "story_index": "/stories/",
    "story": "/stories/amaras-story/",
    "clinic": "/about/",
}


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.json_ld = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_endtag(self, tag):
        self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(json.loads(data))


def parse(response):
    collector = Collector()
    collector.feed(response.content.decode())
    return collector


@pytest.fixture
def site_host():
    site = Site.objects.get(is_default_site=True)
    return {"HTTP_HOST": f"{site.hostname}:{site.port}" if site.port != 80 else site.hostname}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_page_type_renders_with_landmarks_and_metadata(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = parse(response)
    tags = [t for t, _ in html.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in tags
    assert tags.count("h1") == 1
    meta = {
        a.get("property") or a.get("name"): a.get("content") for t, a in html.tags if t == "meta"
    }
    assert meta["description"]
    assert meta["og:title"]
    assert meta["og:url"]
    links = {a.get("rel"): a.get("href") for t, a in html.tags if t == "link"}
    assert links["canonical"].endswith(path)
    # nothing on the page comes from another origin
    for tag, attrs in html.tags:
        for name in ("src", "srcset", "poster"):
            if attrs.get(name):
                assert not re.search(r"(^|[\s,])(https?:)?//", attrs[name]), (tag, attrs)
    assert b"Quayside Row" in response.content  # the postal address in the footer


def test_article_shows_author_reviewer_dates_and_references(client):
    response = client.get(PAGES["article"])
    content = response.content.decode()
    assert "About the author" in content
    assert "Dr Miriam Okafor" in content
    assert "MD, MRCP (Rheumatology)" in content
    assert "Medically reviewed by" in content
    assert "Dr Tomas Lindqvist" in content
    assert "Page last reviewed" in content
    assert "Next review due" in content
    assert 'href="https://doi.org/10.1136/annrheumdis-2017-211073"' in content
    assert content.count('<li id="ref-') == 5
    assert 'loading="lazy"' not in content.split("<main")[1].split("</header>")[0]


def test_article_json_ld_describes_a_reviewed_medical_page(client):
    html = parse(client.get(PAGES["article"]))
    (data,) = html.json_ld
    assert data["@type"] == "MedicalWebPage"
    assert data["author"]["@type"] == "Physician"
    assert data["reviewedBy"]["name"] == "Dr Tomas Lindqvist"
    assert len(data["citation"]) == 5


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "MedicalClinic"),
        ("/about/", "MedicalClinic"),
        ("/conditions/lupus/", "MedicalWebPage"),
    ],
)
def test_json_ld_types(client, path, kind):
    (data,) = parse(client.get(path)).json_ld
    assert data["@type"] == kind


def test_json_ld_cannot_break_out_of_its_script_tag(client):
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    article.lede = "</script><script>alert(1)</script>"
    article.save_revision().publish()
    content = client.get(PAGES["article"]).content.decode()
    assert "<script>alert(1)" not in content
    assert "\\u003C/script\\u003E" in content


def test_story_is_marked_fictional_with_dated_updates(client):
    content = client.get(PAGES["story"]).content.decode()
    assert "Fictional patient (demo content)" in content
    for label in (
        "2 weeks after treatment",
        "2 months after treatment",
        "5 months after treatment",
    ):
        assert label in content
    assert "not evidence that a treatment works" in content


def test_condition_lists_protocols_with_their_approval(client):
    content = client.get(PAGES["condition"]).content.decode()
    assert "MSC-L1" in content
    assert "DREC-2025-014" in content
    assert "Can stem cells help lupus?" in content  # related article


def test_clinic_page_lists_accreditation_and_approvals(client):
    content = client.get(PAGES["clinic"]).content.decode()
    assert "Demo Care Regulator" in content
    assert "DREC-2025-022" in content


def test_article_render_query_count_is_bounded(client, django_assert_max_num_queries):
    client.get(PAGES["article"])  # warm the site-root cache
    with django_assert_max_num_queries(20):
        assert client.get(PAGES["article"]).status_code == 200


def test_article_page_weight_is_small(client):
    from django.contrib.staticfiles import finders

    html = client.get(PAGES["article"]).content
    css = sum(Path(finders.find(p)).stat().st_size for p in ["css/site.css"])
    assert len(html) + css < 100 * 1024


def test_navigation_marks_the_current_section(client):
    content = client.get(PAGES["article"]).content.decode()
    assert '<a href="/articles/" aria-current="true">Articles</a>' in content


def test_sitemap_lists_every_live_page(client, site_host):
    content = client.get("/sitemap.xml", **site_host).content.decode()
    for path in PAGES.values():
        assert f"{path}</loc>" in content


def test_robots_points_to_the_sitemap(client):
    content = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in content
    assert "Sitemap: http://testserver/sitemap.xml" in content


@pytest.mark.parametrize("feed", ["/feeds/articles.atom", "/feeds/articles.rss"])
def test_feeds_list_articles(client, feed):
    response = client.get(feed)
    assert response.status_code == 200
    assert b"Can stem cells help lupus?" in response.content


def test_unknown_pages_get_the_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"find that page" in response.content
    assert b'href="/articles/"' in response.content  # navigation still works


def test_search_finds_the_lupus_article(client):
    content = client.get("/search/", {"q": "lupus"}).content.decode()
    assert "Can stem cells help lupus?" in content


@pytest.mark.parametrize(
    "query", ["<script>alert(1)</script>", "' OR 1=1 --", "\x00\u202e", "ﷺ" * 50]
)
def test_search_survives_hostile_input(client, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_overlong_search_gets_a_clear_error_and_keeps_the_text(client):
    query = "lupus " * 50
    response = client.get("/search/", {"q": query})
    assert response.status_code == 400
    content = response.content.decode()
    assert "shorten your search to 200 characters" in content
    assert 'aria-invalid="true"' in content
    assert query.strip()[:50] in content


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=60))
def test_search_never_fails_whatever_is_typed(client, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
