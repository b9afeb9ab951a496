"""The public site and the editor's admin, driven in Debian's Chromium against gunicorn."""

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from clinicsite.conftest import EDITOR_PASSWORD

pytestmark = pytest.mark.browser

ARTICLE = "/articles/can-stem-cells-help-lupus/"
AXE_PAGES = ["/", ARTICLE, "/stories/amaras-story/", "/conditions/lupus/", "/about/"]


@pytest.fixture
def same_origin_only(page: Page, live_site):
    """Record every request the page makes; the test fails if any leaves the site's origin."""
    origin = urlsplit(live_site.url).netloc
    foreign: list[str] = []

    def check(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != origin:
            foreign.append(request.url)

    page.on("request", check)
    yield
    assert foreign == [], f"requests to other origins: {foreign}"


@pytest.mark.parametrize("viewport", [(1280, 800), (375, 740)], ids=["desktop", "phone"])
def test_reader_journey(page: Page, live_site, same_origin_only, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_site.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    expect(page).to_have_url(re.compile(r"/articles/$"))
    page.get_by_role("link", name="Can stem cells help lupus?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Can stem cells help lupus?")

    about = page.get_by_role("region", name="About the author")
    about.scroll_into_view_if_needed()
    expect(about).to_be_visible()
    expect(about).to_contain_text("Dr Miriam Okafor")
    expect(page.get_by_text("Medically reviewed by")).to_be_visible()
    expect(page.get_by_text("Next review due")).to_be_visible()
    references = page.get_by_role("region", name="References").get_by_role("listitem")
    expect(references).to_have_count(5)
    # no sideways scrolling, even on a 375 px phone
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patient stories").click()
    page.get_by_role("link", name="Amara's story: living with lupus").click()
    expect(page.get_by_text("Fictional patient (demo content).")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("2 weeks after treatment"))).to_be_visible()
    page.get_by_role("link", name="Systemic lupus erythematosus", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Lupus (systemic lupus erythematosus)"
    )
    expect(page.get_by_role("heading", name="Protocols we offer")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]

    # images come as renditions with srcset, explicit size and lazy loading below the fold
    page.goto(live_site.url + "/stories/amaras-story/")
    image = page.locator("main .timeline img").first
    assert image.get_attribute("srcset")
    assert image.get_attribute("width")
    assert image.get_attribute("loading") == "lazy"


def test_keyboard_only_navigation(page: Page, live_site):
    page.goto(live_site.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused link must show a focus ring"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto(live_site.url + "/")
    for _ in range(10):  # skip link, brand, then the menu
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Articles":
            break
    else:
        pytest.fail("the Articles link cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/articles/$"))

    # search by keyboard: focus the field, type, press Enter
    page.get_by_label("Search the site").focus()
    page.keyboard.type("lupus")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=lupus"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")


@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_accessibility_violations(page: Page, live_site, path):
    page.goto(live_site.url + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_friendly_404(page: Page, live_site):
    response = page.goto(live_site.url + "/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can’t find that page")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()


def test_editor_changes_the_article_and_it_is_published_after_medical_review(page: Page, live_site):
    page.goto(live_site.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    article_id = live_site.manage(
        "shell", "-c",
        "from clinicsite.content.models import ArticlePage;"
        "print(ArticlePage.objects.get(slug='can-stem-cells-help-lupus').pk)",
    ).split()[-1]  # fmt: skip
    page.goto(f"{live_site.url}/admin/pages/{article_id}/edit/")
    expect(
        page.get_by_role("heading", name=re.compile("Can stem cells help lupus"))
    ).to_be_visible()

    lede = page.get_by_label(re.compile("^Lede"))
    lede.fill("An editor's updated summary of the lupus studies.")
    # Editors publish articles through the Medical review workflow, which checks the evidence.
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Submit to Medical review").click()
    expect(page.locator(".messages li.error")).to_have_count(0)

    page.goto(live_site.url + ARTICLE)
    expect(page.locator(".lede").first).to_have_text(
        "An editor's updated summary of the lupus studies."
    )
