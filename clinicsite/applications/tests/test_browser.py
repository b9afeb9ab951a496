"""The whole journey in Chromium: keyboard-only application, e-mailed resume link, clinician
review with TOTP, decision e-mail at a real SMTP server."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from clinicsite.accounts.testing import enrol_in_browser

pytestmark = pytest.mark.browser

CLINICIAN_PASSWORD = "clinician-password-for-tests-only"
CREATE_CLINICIAN = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
user, _ = get_user_model().objects.get_or_create(username="clinician", email="clin@clinic.example")
user.set_password("{CLINICIAN_PASSWORD}")
user.save()
user.groups.add(Group.objects.get(name="Clinician"))
"""


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    handle = target.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {target} with Tab")


def type_into(page: Page, label: str, text: str) -> None:
    tab_to(page, page.get_by_label(label, exact=True))
    page.keyboard.type(text)


def choose(page: Page, group: str, option: str) -> None:
    """Tab into the radio group (it takes one Tab stop), Space, then arrow keys to the option."""
    radios = page.get_by_role("group", name=group).get_by_role("radio")
    target = page.get_by_role("group", name=group).get_by_role("radio", name=option, exact=True)
    checked = page.get_by_role("group", name=group).locator("input:checked")
    tab_to(page, checked if checked.count() else radios.first)
    page.keyboard.press("Space")
    for _ in range(radios.count()):
        if target.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_be_checked()


def press_button(page: Page, name: str) -> None:
    tab_to(page, page.get_by_role("button", name=name, exact=True))
    page.keyboard.press("Enter")


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def test_apply_resume_review_and_decide(page: Page, live_site, smtp_server, tmp_path):
    live_site.manage("shell", "-c", CREATE_CLINICIAN)
    page.goto(live_site.url + "/conditions/lupus/")
    cta = page.get_by_role("link", name=re.compile("Apply online"))
    tab_to(page, cta)
    page.keyboard.press("Enter")
    start = page.get_by_role("link", name="Start your application")
    tab_to(page, start)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.locator('[aria-current="step"]')).to_have_text("About you")
    type_into(page, "Full name", "Kim Keyboard")
    type_into(page, "E-mail address", "kim@example.org")
    type_into(page, "Telephone number", "+44 7700 900777")
    type_into(page, "Country you live in", "Ireland")
    type_into(page, "Date of birth", "31/02/1980")  # no such date
    press_button(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("Enter your date of birth as day/month/year")
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Kim Keyboard")
    tab_to(page, page.get_by_label("Date of birth", exact=True))
    page.keyboard.press("Control+A")
    page.keyboard.type("21/03/1980")
    press_button(page, "Continue")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your condition")
    choose(page, "Which condition do you have?", "Systemic lupus erythematosus")
    type_into(page, "Year you were diagnosed", "2012")
    choose(page, "Has a specialist confirmed the diagnosis?", "Yes")
    type_into(page, "Medicines you take now (optional)", "Hydroxychloroquine 200 mg")
    # save and continue later: the link arrives by e-mail
    press_button(page, "Save and continue later")
    expect(page.get_by_label("E-mail address")).to_have_value("kim@example.org")
    press_button(page, "Send me the link")
    expect(page.get_by_role("heading", level=1)).to_have_text("We have sent you a link")
    live_site.manage("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay")
    message = smtp_server.first(lambda m: m["To"] == "kim@example.org")
    body = body_of(message)
    assert "Hydroxychloroquine" not in body
    assert "lupus" not in body.lower()
    link = re.search(r"(http://\S+/apply/resume/\S+/)", body).group(1)

    page.context.clear_cookies()  # a new browser session: only the link brings the draft back
    page.goto(link)
    # the link alone opens nothing: it asks for the date of birth given on step 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Continue your application")
    expect(page.get_by_text("Hydroxychloroquine")).to_have_count(0)
    type_into(page, "Your date of birth", "22/03/1980")
    press_button(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("not the date of birth given")
    expect(page.get_by_label("Your date of birth")).to_have_attribute("aria-invalid", "true")
    tab_to(page, page.get_by_label("Your date of birth"))
    page.keyboard.press("Control+A")
    page.keyboard.type("21/03/1980")
    press_button(page, "Continue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your condition")
    expect(page.get_by_label("Medicines you take now (optional)")).to_have_value(
        "Hydroxychloroquine 200 mg"
    )
    choose(page, "Has a specialist confirmed the diagnosis?", "Yes")
    type_into(page, "How many flares have you had in the last 12 months?", "2")
    choose(page, "Has lupus affected your kidneys (lupus nephritis)?", "No")
    press_button(page, "Continue")

    expect(page.get_by_role("heading", level=1)).to_have_text("Health history")
    choose(page, "Have you had cancer in the last 5 years?", "No")
    choose(page, "Are you pregnant, or planning a pregnancy in the next 12 months?", "No")
    choose(page, "Do you have an infection now that is being treated?", "No")
    choose(page, "Do you have any other long-term health conditions?", "No")
    press_button(page, "Continue")

    expect(page.get_by_role("heading", level=1)).to_have_text("Medical records")
    letter = tmp_path / "clinic-letter.pdf"
    letter.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    tab_to(page, page.get_by_label("Add a file (optional)"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(letter))
    press_button(page, "Upload this file")
    expect(page.get_by_role("status")).to_have_text("Your file was added.")
    expect(page.get_by_text("clinic-letter.pdf")).to_be_visible()
    press_button(page, "Continue")

    expect(page.get_by_role("heading", level=1)).to_have_text("Consent")
    tab_to(page, page.get_by_label("I have read the privacy notice above"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label(re.compile("^I agree that the clinic may store")))
    page.keyboard.press("Space")
    press_button(page, "Continue to check your answers")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending")
    expect(page.get_by_text("Hydroxychloroquine 200 mg")).to_be_visible()
    press_button(page, "Send application")
    expect(page.get_by_role("heading", level=1)).to_have_text("Application received")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"HC-[A-Z0-9]{8}", reference)
    expect(page.get_by_text("Your answers meet the criteria our automatic check")).to_be_visible()
    assert "Hydroxychloroquine" not in page.title()

    # --- the clinician: password, then TOTP enrolment, then the review ---------------------
    live_site.manage("db_worker", "--batch")  # the intake notification
    smtp_server.wait_for("clin@clinic.example")
    enrolment_code = live_site.manage("issue_second_factor", "clinician").strip()
    page.context.clear_cookies()
    page.goto(live_site.url + "/admin/applications/")
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill(CLINICIAN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    # the password alone registers nothing: an administrator issued this enrolment code
    expect(page.locator(".otp-secret")).to_have_count(0)
    enrol_in_browser(page, enrolment_code)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_text("Hydroxychloroquine 200 mg")).to_be_visible()
    page.get_by_label("Assign to").select_option(label="clinician")
    page.get_by_role("button", name="Assign").click()
    page.get_by_label("Accept").check()
    page.get_by_label("Reason for the decision").fill("Meets the protocol; invite for consultation")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("dd.status")).to_have_text("Accepted")

    live_site.manage("db_worker", "--batch")
    decision = smtp_server.first(
        lambda m: m["To"] == "kim@example.org" and "update" in m["Subject"]
    )
    body = body_of(decision)
    assert "consultation" not in body
    assert "Accept" not in body
    status_link = re.search(r"(http://\S+/apply/status/\S+/)", body).group(1)
    page.goto(status_link)
    expect(page.locator("dd.status")).to_have_text("Accepted")
