"""An editor in a real browser: Medical review sends back an uncited figure, accepts a claim."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from clinicsite.conftest import EDITOR_PASSWORD

from .factories import SEED

pytestmark = pytest.mark.browser

MAKE_DRAFT = """
from wagtail.rich_text import RichText
from clinicsite.content.tests.factories import COMPLETE_CLAIM, SEED, draft_article
body = {body}
page = draft_article(body=body, title={title!r}, slug={slug!r})
print(page.pk)
"""


def make_draft(live_site, slug, body):
    code = MAKE_DRAFT.format(body=body, title=slug.replace("-", " ").capitalize(), slug=slug)
    return int(live_site.manage("shell", "-c", code).strip().splitlines()[-1])


def log_in(page, live_site):
    page.goto(f"{live_site.url}/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def submit_for_review(page, live_site, page_id):
    page.goto(f"{live_site.url}/admin/pages/{page_id}/edit/")
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Submit to Medical review").click()


def test_uncited_figure_is_sent_back_and_a_complete_claim_is_published(page, live_site):
    rejected = make_draft(
        live_site, "browser-seed-sentence", "[('paragraph', RichText('<p>' + SEED + '</p>'))]"
    )
    accepted = make_draft(live_site, "browser-complete-claim", "[('claim', COMPLETE_CLAIM)]")
    log_in(page, live_site)

    submit_for_review(page, live_site, rejected)
    error = page.locator(".messages li.error")
    expect(error).to_contain_text("Medical review sent")
    expect(error).to_contain_text("Body, block 1 (paragraph)")
    expect(error).to_contain_text(SEED)
    assert page.request.get(f"{live_site.url}/articles/browser-seed-sentence/").status == 404

    submit_for_review(page, live_site, accepted)
    expect(page.locator(".messages li.error")).to_have_count(0)
    page.goto(f"{live_site.url}/articles/browser-complete-claim/")
    claim = page.locator("div.claim")
    expect(claim).to_contain_text(SEED)
    expect(claim).to_contain_text("Fair test: randomised, with a comparison group")
    expect(claim.get_by_role("link", name="Example and colleagues, 2020")).to_have_attribute(
        "href", "https://doi.org/10.1136/annrheumdis-2017-211073"
    )


@pytest.mark.parametrize(
    "path", ["/articles/can-stem-cells-help-lupus/", "/conditions/lupus/", "/stories/amaras-story/"]
)
def test_claims_questions_and_disclosures_are_accessible(page, live_site, path):
    page.goto(live_site.url + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
