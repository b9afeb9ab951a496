"""An edit view left open does not keep a clinician signed in.

Wagtail's edit views ping the server every ten seconds (editing sessions). With the idle limit
at a few seconds, a verified clinician opens a page's edit view and leaves it: the pings go on,
the one past the limit is refused, and the next click lands on the sign-in page.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinicsite.accounts.testing import enrol_in_browser
from clinicsite.core.tests.beside import free_port, serving

pytestmark = pytest.mark.browser

LIMIT = 12  # seconds: past one ten-second ping, before the second
PASSWORD = "idle-clinician-password-for-tests-only"
SETUP = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import Page
user, _ = get_user_model().objects.get_or_create(username="idle-doc", email="idle@clinic.example")
user.set_password("{PASSWORD}")
user.save()
user.groups.add(*Group.objects.filter(name__in=["Clinician", "Editor"]))  # edits pages too
TOTPDevice.objects.filter(user=user).delete()
print(Page.objects.get(url_path="/home/articles/can-stem-cells-help-lupus/").pk)
"""


@pytest.fixture
def idle_site(live_site, tmp_path):
    """The live site's database and content, served with a short idle limit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**live_site.env, "HEALTH_DATA_IDLE_SECONDS": str(LIMIT), "WAGTAILADMIN_BASE_URL": url}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [gunicorn, "clinicsite.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--worker-class", "gthread", "--workers", "1", "--threads", "4"]  # fmt: skip
    with serving(command, env, tmp_path / "gunicorn.log", f"{url}/healthz"):
        yield url


def sign_in(page: Page, live_site, url: str) -> None:
    code = live_site.manage("issue_second_factor", "idle-doc").strip()
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill("idle-doc")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/second-factor/"))
    enrol_in_browser(page, code)
    expect(page).not_to_have_url(re.compile(r"/second-factor/"))


def test_an_edit_view_left_open_does_not_keep_the_session(page: Page, live_site, idle_site):
    article = live_site.manage("shell", "-c", SETUP).strip().splitlines()[-1]
    sign_in(page, live_site, idle_site)
    pings: list[int] = []
    page.on(
        "response",
        lambda r: pings.append(r.status) if "/admin/editing-sessions/ping/" in r.url else None,
    )
    edit = f"{idle_site}/admin/pages/{article}/edit/"
    page.goto(edit)
    expect(page.get_by_role("button", name=re.compile("Save draft", re.I)).first).to_be_visible()
    opened = time.monotonic()
    # Leave it: the pings run past the limit (one at about 10 s, the next at about 20 s).
    while time.monotonic() - opened < LIMIT + 11:
        page.wait_for_timeout(500)
    assert 200 in pings, pings  # the editor pinged while the session was alive
    assert pings[-1] == 401, pings  # the ping past the limit was refused, not counted
    page.reload()
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    expect(
        page.get_by_text(f"You were signed out after {LIMIT} seconds without activity.")
    ).to_be_visible()
    page.goto(edit)  # and the edit view stays closed
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
