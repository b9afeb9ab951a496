"""Sign-in throttling as a member of staff meets it in Chromium: wrong passwords get Wagtail's
error with the username kept, the fifth gets the lockout page, which says why and
until when, refuses even the right password, and is accessible."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "lockout-editor-password-for-tests"
CREATE = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
user, _ = get_user_model().objects.get_or_create(username="lockout-editor")
user.set_password("{PASSWORD}")
user.save()
user.groups.add(Group.objects.get(name="Editor"))
"""


def sign_in(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")  # the keyboard's way to submit


def test_wrong_passwords_lead_to_an_accessible_lockout_page(page, live_site):
    live_site.manage("shell", "-c", CREATE)
    page.goto(live_site.url + "/admin/login/")
    for attempt in range(4):
        sign_in(page, "lockout-editor", f"wrong password {attempt}")
        expect(page.get_by_text("Your username and password didn't match")).to_be_visible()
        expect(page.get_by_label("Username")).to_have_value("lockout-editor")

    sign_in(page, "lockout-editor", "wrong password 4")  # the fifth reaches the limit
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in blocked for 15 minutes")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-in attempts for “lockout-editor”")
    expect(alert).to_contain_text(re.compile(r"until \d\d:\d\d"))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_role("link", name="Back to sign in").click()
    sign_in(page, "lockout-editor", PASSWORD)  # the right one, too late
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in blocked for 15 minutes")
    page.goto(live_site.url + "/admin/")
    expect(page.get_by_label("Username")).to_be_visible()  # still not signed in
