"""A reader signs up in Chromium, confirms from the real e-mail, leaves by the one-click header,
and no further digest reaches them."""

import re
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ARTICLE = "/articles/can-stem-cells-help-lupus/"

DIGEST = """
from wagtail.models import Page
from clinicsite.newsletter.services import digests
from clinicsite.newsletter.models import Digest, DigestItem, Subscriber
Subscriber.objects.get_or_create(
    email="control-reader@example.org",
    defaults={{"language": "en", "status": "confirmed"}})
digest = Digest.objects.create(subject="{subject}", mode="chosen")
DigestItem.objects.create(digest=digest, page=Page.objects.get(slug="can-stem-cells-help-lupus"))
digests.digest_schedule(digest=digest, when=None, actor=None)
"""


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def run_worker(live_site) -> None:
    live_site.manage("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay")


def test_sign_up_confirm_and_leave_by_one_click(page: Page, live_site, smtp_server):
    reader = "nina-reader@example.org"
    page.goto(live_site.url + ARTICLE)
    box = page.get_by_role("complementary", name="New articles by e-mail")
    box.scroll_into_view_if_needed()
    box.get_by_label("E-mail address").fill("nina-reader@example")
    box.get_by_label("Systemic lupus erythematosus").check()
    page.wait_for_timeout(2100)  # people take longer than the bots' minimum fill time
    box.get_by_role("button", name="Subscribe").click()
    expect(box.locator(".error-message")).to_contain_text("name@example.org")
    expect(box.get_by_label("E-mail address")).to_have_value("nina-reader@example")
    expect(box.get_by_label("E-mail address")).to_be_focused()
    box.get_by_label("E-mail address").fill(reader)
    box.get_by_role("button", name="Subscribe").click()
    expect(box.get_by_role("status")).to_contain_text("check your inbox")
    expect(box.get_by_label("Systemic lupus erythematosus")).to_be_checked()  # nothing lost

    run_worker(live_site)
    (confirmation,) = smtp_server.wait_for(reader)
    assert "confirm" in confirmation["Subject"].lower()
    link = re.search(r"(http://\S+/newsletter/confirm/\S+/)", text_of(confirmation)).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")

    live_site.manage("shell", "-c", DIGEST.format(subject="Digest one"))
    run_worker(live_site)
    _, first = smtp_server.wait_for(reader, count=2)
    assert first["Subject"] == "Digest one"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Can stem cells help lupus?" in first.get_body(("html",)).get_content()
    unsubscribe = str(first["List-Unsubscribe"]).strip().strip("<>")
    # what a mail provider does when the reader presses its "Unsubscribe" button (RFC 8058)
    request = urllib.request.Request(
        unsubscribe, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    live_site.manage("shell", "-c", DIGEST.format(subject="Digest two"))
    run_worker(live_site)
    smtp_server.first(
        lambda m: (
            "control-reader@example.org" in m["X-Envelope-To"] and m["Subject"] == "Digest two"
        )
    )
    assert [m["Subject"] for m in smtp_server.to(reader)] == [confirmation["Subject"], "Digest one"]


def test_sign_up_without_javascript_keeps_input(browser, live_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_site.url + "/newsletter/")
        page.get_by_label("E-mail address").fill("omar@example.org\u202e<script>")
        page.get_by_label("Language").select_option("es")
        page.wait_for_timeout(2100)
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        expect(page.locator("#newsletter-email_error")).to_contain_text("name@example.org")
        expect(page.get_by_label("E-mail address")).to_have_value("omar@example.org\u202e<script>")
        expect(page.get_by_label("Language")).to_have_value("es")
        page.get_by_label("E-mail address").fill("omar-nojs@example.org")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("status")).to_contain_text("check your inbox")
    finally:
        context.close()


def test_newsletter_pages_have_no_accessibility_violations(page: Page, live_site):
    page.goto(live_site.url + "/newsletter/")
    assert Axe().run(page).violations_count == 0
    # the server's error page (the form's script switched off by hand)
    page.evaluate(
        "document.querySelector('form[data-newsletter]').removeAttribute('data-newsletter')"
    )
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert Axe().run(page).violations_count == 0
    # the script's error state on a content page
    page.goto(live_site.url + "/conditions/lupus/")
    box = page.get_by_role("complementary", name="New articles by e-mail")
    box.get_by_label("E-mail address").fill("still-not-an-address")
    box.get_by_role("button", name="Subscribe").click()
    expect(box.locator(".error-message")).to_be_visible()
    assert Axe().run(page).violations_count == 0


def test_keyboard_only_sign_up_on_the_home_page(page: Page, live_site):
    page.goto(live_site.url + "/")
    email = page.get_by_role("complementary", name="New articles by e-mail").get_by_label(
        "E-mail address"
    )
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "email":
            break
    expect(email).to_be_focused()
    page.keyboard.type("kai-keys@example.org")
    page.wait_for_timeout(2100)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="check your inbox")).to_be_visible()
