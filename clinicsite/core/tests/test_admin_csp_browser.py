"""The Wagtail admin works in Chromium under its real policy: no inline script runs unless it
carries the response's nonce, and nothing the admin needs is refused.

Chromium reports every refused script, style, image or frame as a ``securitypolicyviolation``
event; the page collects them from the first byte (an init script) and each visit must end
with none, except the one listed below.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from clinicsite.accounts.testing import enrol_in_browser

pytestmark = pytest.mark.browser

PASSWORD = "csp-admin-password-for-tests-only"
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import Page
from clinicsite.applications.models import Application
from clinicsite.followups.models import AdverseEvent
from clinicsite.newsletter.models import Digest, Subscriber
from clinicsite.content.models import Person
from clinicsite.core.models import ClinicImage
from clinicsite.clinic.models import TreatmentProtocol
user, _ = get_user_model().objects.get_or_create(username="csp-admin", email="csp@clinic.example")
user.is_superuser = True
user.set_password("{PASSWORD}")
user.save()
user.groups.add(Group.objects.get(name="Administrator"))
TOTPDevice.objects.filter(user=user).delete()  # each test enrols afresh
print(json.dumps({{
    "article": Page.objects.get(url_path="/home/articles/can-stem-cells-help-lupus/").pk,
    "story": Page.objects.get(url_path="/home/stories/amaras-story/").pk,
    "articles": Page.objects.get(url_path="/home/articles/").pk,
    "application": Application.objects.latest("pk").pk,
    "event": AdverseEvent.objects.first().pk,
    "subscriber": Subscriber.objects.first().pk,
    "digest": Digest.objects.first().pk,
    "person": Person.objects.first().pk,
    "image": ClinicImage.objects.first().pk,
    "protocol": TreatmentProtocol.objects.first().pk,
}}))
"""

COLLECT = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  {directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile || ""}));
"""

# Jcrop (the focal-point tool on the image edit page) probes for touch support by setting an
# ``ontouchstart="return;"`` attribute on a scratch element. The policy refuses that handler
# (inline code); the probe then reports "no touch events", which is true on a desktop, and the
# tool works (dragging a focal point is checked below).
TOLERATED = [{"directive": "script-src-attr", "source_suffix": "jquery.Jcrop.min.js"}]

PATHS = [
    "/admin/",
    "/admin/pages/",
    "/admin/pages/{articles}/",
    "/admin/pages/{article}/edit/",
    "/admin/pages/{story}/edit/",
    "/admin/pages/add/content/articlepage/{articles}/",
    "/admin/pages/{article}/history/",
    "/admin/snippets/",
    "/admin/snippets/content/person/",
    "/admin/snippets/content/person/edit/{person}/",
    "/admin/snippets/clinic/treatmentprotocol/edit/{protocol}/",
    "/admin/images/",
    "/admin/images/{image}/",
    "/admin/images/multiple/add/",
    "/admin/documents/",
    "/admin/applications/",
    "/admin/applications/{application}/",
    "/admin/followups/adverse-events/",
    "/admin/followups/adverse-events/{event}/",
    "/admin/outcomes/",
    "/admin/newsletter/subscribers/",
    "/admin/newsletter/subscribers/inspect/{subscriber}/",
    "/admin/newsletter/digests/",
    "/admin/newsletter/digests/new/",
    "/admin/newsletter/digests/inspect/{digest}/",
    "/admin/audit/",
    "/admin/users/",
    "/admin/groups/",
    "/admin/reports/site-history/",
    "/admin/workflows/list/",
]


def violations(page: Page) -> list[dict]:
    found = page.evaluate("window.cspViolations")
    return [
        v
        for v in found
        if not any(
            v["directive"] == t["directive"] and v["source"].endswith(t["source_suffix"])
            for t in TOLERATED
        )
    ]


@pytest.fixture
def admin_page(page: Page, live_site):
    ids = json.loads(live_site.manage("shell", "-c", SETUP).strip().splitlines()[-1])
    page.context.add_init_script(COLLECT)
    page.goto(live_site.url + "/admin/login/")
    assert violations(page) == []
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/second-factor/\?next="))  # a superuser
    code = live_site.manage("issue_second_factor", "csp-admin").strip()
    page.goto(live_site.url + "/admin/second-factor/?next=/admin/applications/")
    enrol_in_browser(page, code)
    expect(page).to_have_url(re.compile(r"/admin/applications/$"))
    return page, ids


def test_admin_pages_run_under_the_policy_without_violations(admin_page, live_site):
    page, ids = admin_page
    refused = {}
    for path in PATHS:
        url = live_site.url + path.format(**ids)
        response = page.goto(url)
        assert response.status == 200, (path, response.status)
        assert page.url == url, f"{path} redirected to {page.url}"
        page.wait_for_load_state("networkidle")
        if found := violations(page):
            refused[path] = found
    assert refused == {}


def test_the_admins_scripts_work(admin_page, live_site):
    """Widgets whose inline scripts carry the nonce come alive; the preview panel is framed."""
    page, ids = admin_page
    page.goto(f"{live_site.url}/admin/snippets/clinic/treatmentprotocol/edit/{ids['protocol']}/")
    page.locator("#id_approval_date").click()  # initDateChooser(…)
    expect(page.locator(".xdsoft_datetimepicker").first).to_be_visible()
    page.keyboard.press("Escape")
    total = page.locator("#id_criteria-TOTAL_FORMS")
    before = int(total.input_value())
    page.locator("#id_criteria-ADD").click()  # new InlinePanel(…)
    expect(total).to_have_value(str(before + 1))
    page.locator("#id_condition-chooser .w-dropdown__toggle").click()  # new SnippetChooser(…)
    page.get_by_role("button", name=re.compile("Choose another", re.I)).first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Choose condition")).to_be_visible()
    assert violations(page) == []

    page.goto(f"{live_site.url}/admin/pages/{ids['story']}/edit/")
    page.get_by_role("button", name=re.compile("preview", re.I)).first.click()
    preview = page.frame_locator("iframe[id*=preview], .preview-panel iframe, iframe").first
    expect(preview.get_by_role("heading", level=1)).to_contain_text("Amara")
    assert violations(page) == []

    page.goto(f"{live_site.url}/admin/images/{ids['image']}/")
    box = page.locator(".jcrop-holder, .focal-point-chooser").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    expect(page.locator("input[name=focal_point_width]")).not_to_have_value("")
    assert violations(page) == []
