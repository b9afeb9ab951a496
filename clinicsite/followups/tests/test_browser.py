"""A patient answers a follow-up questionnaire on a phone, from the link in a real e-mail."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SETUP = """
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
    username="browser-doc", defaults={"email": "browser-doc@clinic.example"})
doc.groups.add(Group.objects.get(name="Clinician"))
now = timezone.now()
application = Application(
    full_name="Browser Patient", email="browser-patient@example.com", phone="+44 1632 960 222",
    country="United Kingdom", condition_id=protocol.condition_id, protocol=protocol,
    screening_outcome=ScreeningOutcome.ELIGIBLE,
    privacy_notice_version="test", consent_at=now, status=Application.Status.ACCEPTED)
encrypted.seal(application, "answers_ciphertext", b"{}")
application.save()
services.treatment_record(
    application=application, protocol=protocol, time_zone="UTC", clinician=doc,
    treated_on=(now - datetime.timedelta(days=15)).date(), now=now - datetime.timedelta(days=15))
"""


def test_patient_answers_on_a_phone_and_an_adverse_event_reaches_the_clinician(
    page: Page, live_site, smtp_server
):
    smtp_server.clear()
    live_site.manage("shell", "-c", SETUP)
    live_site.manage("send_followups")  # queues the invitation ...
    live_site.manage("db_worker", "--batch", "--no-startup-delay")  # ... the worker sends it
    (invitation,) = smtp_server.wait_for("browser-patient@example.com")
    body = invitation.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/followup/\S+/(?=\s)", body).group(0)
    assert "stop/" not in link

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you doing?")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_label("Much improved", exact=True).check()
    pain = page.get_by_role("group", name="On average, how bad was your pain?")
    pain.get_by_label("3", exact=True).check()
    tired = page.get_by_role("group", name="On average, how tired have you felt?")
    tired.get_by_label("5", exact=True).check()
    wellbeing = page.get_by_role("group", name="Overall, how would you rate your wellbeing?")
    wellbeing.get_by_label("6", exact=True).check()
    problems = page.get_by_role("group", name=re.compile("any new or worse health problem"))
    problems.get_by_label("Yes").check()
    # Sending without describing it: a specific error, nothing lost.
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Tell us briefly what happened").first).to_be_visible()
    expect(page.get_by_label("Much improved", exact=True)).to_be_checked()
    description = page.get_by_label(re.compile("If yes: what happened"))
    description.fill("Itchy rash on both arms since Tuesday.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("A clinician has been alerted")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    live_site.manage("db_worker", "--batch", "--no-startup-delay")
    (alert,) = smtp_server.wait_for("browser-doc@clinic.example")
    text = alert.get_body(preferencelist=("plain",)).get_content()
    assert "/admin/followups/adverse-events/" in text
    assert "rash" not in text.lower()
    assert "rash" not in alert["Subject"].lower()
