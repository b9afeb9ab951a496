"""An auditor's walk: use the signed links in Chromium through nginx and gunicorn as
``bin/nginx-front`` and ``bin/serve-demo`` run them, then grep both real access logs.

The resume link (from a real e-mail after "Save and continue later"), a status link, a
newsletter confirmation (signed up and confirmed in the browser) and a follow-up questionnaire
link are opened, and a sign-in page is asked with ``next=`` carrying the resume link. Pages at
those addresses load their styles and scripts with the address as ``Referer``
(``Referrer-Policy: same-origin``), and the confirmation is posted from one.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from clinicsite.conftest import require
from clinicsite.core.tests.beside import free_port, serving

pytestmark = pytest.mark.browser

PATIENT = "log-patient@example.com"
APPLICANT = "log-applicant@example.org"
READER = "log-reader@example.org"

FOLLOWUP = f"""
import datetime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from clinicsite.applications.models import Application, ScreeningOutcome
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import encrypted
from clinicsite.followups import services

protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
doc, _ = get_user_model().objects.get_or_create(
    username="log-doc", defaults={{"email": "log-doc@clinic.example"}})
doc.groups.add(Group.objects.get(name="Clinician"))
now = timezone.now()
application = Application(
    full_name="Log Patient", email="{PATIENT}", phone="+44 1632 960 333",
    country="United Kingdom", condition_id=protocol.condition_id, protocol=protocol,
    screening_outcome=ScreeningOutcome.ELIGIBLE,
    privacy_notice_version="test", consent_at=now, status=Application.Status.ACCEPTED)
encrypted.seal(application, "answers_ciphertext", b"{{}}")
application.save()
services.treatment_record(
    application=application, protocol=protocol, time_zone="UTC", clinician=doc,
    treated_on=(now - datetime.timedelta(days=15)).date(), now=now - datetime.timedelta(days=15))
"""

STATUS_LINK = """
from clinicsite.applications.models import Application
from clinicsite.applications.signing import status_url
print(status_url(Application.objects.exclude(email="").latest("pk")))
"""


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def on(front: str, link: str) -> str:
    """The e-mailed link, pointed at the nginx in front (mail names the live site's port)."""
    return re.sub(r"^http://127\.0\.0\.1:\d+", front, link)


def token_of(link: str, prefix: str) -> str:
    return re.search(rf"{re.escape(prefix)}([^/]+)/", link).group(1)


def walk(page: Page, live_site, smtp_server, front: str) -> dict[str, str]:
    """Use every kind of signed link as its owner would; return the tokens seen."""
    tokens = {}
    # An applicant saves a draft and comes back by the e-mailed link.
    page.goto(front + "/apply/")
    page.get_by_role("link", name="Start your application").click()
    page.get_by_label("Full name", exact=True).fill("Lena Logreader")
    page.get_by_label("E-mail address", exact=True).fill(APPLICANT)
    page.get_by_label("Telephone number", exact=True).fill("+44 7700 900123")
    page.get_by_label("Country you live in", exact=True).fill("Ireland")
    page.get_by_label("Date of birth", exact=True).fill("21/03/1980")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your condition")
    page.get_by_role("button", name="Save and continue later").click()
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We have sent you a link")
    mail = smtp_server.first(lambda m: m["To"] == APPLICANT, timeout=60)
    resume = on(front, re.search(r"(http://\S+/apply/resume/\S+/)", text_of(mail)).group(1))
    tokens["resume"] = token_of(resume, "/apply/resume/")
    page.context.clear_cookies()
    page.goto(resume)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("^(Your condition|Continue your application)$"))
    if heading.inner_text() == "Continue your application":  # the link asks who you are first
        page.get_by_label("Your date of birth").fill("21/03/1980")
        page.get_by_role("button", name="Continue", exact=True).click()
    expect(heading).to_have_text("Your condition")
    page.goto(front + "/admin/login/?next=" + quote(resume.removeprefix(front), safe=""))

    # The status page of an application, by its signed link.
    status = on(front, live_site.manage("shell", "-c", STATUS_LINK).strip().splitlines()[-1])
    tokens["status"] = token_of(status, "/apply/status/")
    page.goto(status)
    expect(page.locator("dd.status")).to_be_visible()

    # A reader signs up and confirms from the e-mail.
    page.goto(front + "/articles/can-stem-cells-help-lupus/")
    box = page.get_by_role("complementary", name="New articles by e-mail")
    box.get_by_label("E-mail address").fill(READER)
    page.wait_for_timeout(2100)  # people take longer than the bots' minimum fill time
    box.get_by_role("button", name="Subscribe").click()
    expect(box.get_by_role("status")).to_contain_text("check your inbox")
    mail = smtp_server.first(lambda m: READER in m["X-Envelope-To"], timeout=60)
    confirm = on(front, re.search(r"(http://\S+/newsletter/confirm/\S+/)", text_of(mail)).group(1))
    tokens["confirm"] = token_of(confirm, "/newsletter/confirm/")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")

    # A patient opens the follow-up questionnaire from the invitation.
    live_site.manage("shell", "-c", FOLLOWUP)
    live_site.manage("send_followups")  # queued; the worker bin/serve-demo runs sends it
    mail = smtp_server.first(lambda m: PATIENT in m["X-Envelope-To"], timeout=60)
    survey = on(front, re.search(r"http://\S+/followup/\S+/(?=\s)", text_of(mail)).group(0))
    tokens["followup"] = token_of(survey, "/followup/")
    page.goto(survey)
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you doing?")
    return tokens


def test_signed_links_tokens_never_reach_the_access_logs(
    page: Page, live_site, smtp_server, tmp_path
):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    require(Path(nginx).exists(), "nginx not installed (apt-get install nginx)")
    app_port, front_port = free_port(), free_port()
    app = f"http://127.0.0.1:{app_port}"
    front = f"http://127.0.0.1:{front_port}"
    app_log, front_log = tmp_path / "serve-demo.log", tmp_path / "nginx-access.log"
    app_env = {**live_site.env, "PORT": str(app_port), "PY": sys.executable}
    front_env = {**os.environ, "ACCESS_LOG": str(front_log)}
    front_cmd = ["bin/nginx-front", str(tmp_path / "nginx"), str(front_port), str(app_port),
                 live_site.env["MEDIA_ROOT"]]  # fmt: skip
    with (
        serving(["bin/serve-demo"], app_env, app_log, f"{app}/healthz"),
        serving(front_cmd, front_env, tmp_path / "nginx.out", f"{front}/healthz"),
    ):
        tokens = walk(page, live_site, smtp_server, front)

    logs = {"gunicorn": app_log.read_text(), "nginx": front_log.read_text()}
    for name, log in logs.items():
        for link, token in tokens.items():
            assert token not in log, f"the {link} token is in the {name} log"
            assert quote(token, safe="") not in log, f"the {link} token is in the {name} log"
        for masked in ("/apply/resume/<token>/", "/apply/status/<token>/",
                       "/newsletter/confirm/<token>/", "/followup/<token>/"):  # fmt: skip
            assert f"GET {masked} " in log, f"{masked} not logged by {name}"
        assert "POST /newsletter/confirm/<token>/ " in log
        # the confirmation was posted from its own page: the referer is masked too
        assert f'"{front}/newsletter/confirm/<token>/"' in log, name
    assert "GET /admin/login/?next=%2Fapply%2Fresume%2F<token>%2F " in logs["gunicorn"]
    assert "GET /admin/login/?<query> " in logs["nginx"]
