"""The applicant's form through Django's test client: steps, errors, uploads, links."""

import io
import re

from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from clinicsite.applications.models import Application, ApplicationDraft
from clinicsite.applications.signing import status_token

from .factories import png_bytes

pytestmark = pytest.mark.django_db

ABOUT = {
    "full_name": "Sam Patient",
    "email": "sam@example.org",
    "phone": "+44 7700 900456",
    "country": "United Kingdom",
    "date_of_birth": "14/02/1979",
}
CONDITION = {
    "condition": "lupus",
    "year_diagnosed": "2014",
    "diagnosis_confirmed": "yes",
    "treatments": "Hydroxychloroquine",
    "medicines": "Prednisolone 5 mg",
    "flares_last_year": "2",
    "kidney_involvement": "no",
}
HISTORY = {
    "cancer_last_5_years": "no",
    "pregnant": "no",
    "active_infection": "no",
    "other_conditions": "no",
}
CONSENT = {
    "privacy_notice_version": "2026-01",
    "privacy_notice_read": "on",
    "consent_health_data": "on",
}


def post(client, step, data, action="continue", **extra):
    return client.post(f"/apply/{step}/", {**data, "action": action}, **extra)


def fill_to_review(client, **changes):
    for step, data in (("about", ABOUT), ("condition", CONDITION), ("history", HISTORY)):
        response = post(client, step, {**data, **changes.get(step, {})})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert post(client, "records", {}).status_code == 302
    response = post(client, "consent", CONSENT)
    assert response["Location"] == "/apply/review/"


def test_start_page_and_cta_on_content_pages(client):
    response = client.get("/apply/")
    assert response.status_code == 200
    assert b"Are you a candidate?" in response.content
    for url in (
        "/conditions/lupus/",
        "/articles/can-stem-cells-help-lupus/",
        "/stories/amaras-story/",
    ):
        page = client.get(url)
        assert b'href="/apply/"' in page.content, url


def test_whole_form_to_received_page(client, django_capture_on_commit_callbacks):
    fill_to_review(client)
    review = client.get("/apply/review/")
    assert b"Prednisolone 5 mg" in review.content
    assert b"14/02/1979" in review.content
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/apply/review/")
    assert response["Location"] == "/apply/received/"
    assert len(callbacks) == 1  # the intake notification, queued only after commit
    application = Application.objects.get(email="sam@example.org")
    assert re.fullmatch(r"HC-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}", application.reference)
    assert application.screening_outcome == "eligible"
    assert application.privacy_notice_version == "2026-01"
    assert not ApplicationDraft.objects.exists()
    page = client.get("/apply/received/")
    assert application.reference.encode() in page.content
    assert b"<title>Application received" in page.content
    assert b"Prednisolone" not in page.content


def test_not_eligible_outcome_names_the_criterion_in_plain_words(client):
    fill_to_review(client, history={"pregnant": "yes"})
    client.post("/apply/review/")
    page = client.get("/apply/received/").content.decode()
    assert "pregnant people cannot join" in page
    assert "talk with your own specialist" in page
    application = Application.objects.get(email="sam@example.org")
    assert application.screening_outcome == "not_eligible"
    assert application.status == "submitted"  # a clinician still decides


def test_errors_are_specific_next_to_the_field_and_keep_input(client):
    response = post(
        client, "about", {**ABOUT, "email": "not-an-email", "date_of_birth": "31/02/1990"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter an e-mail address like name@example.com" in html
    assert "Enter your date of birth as day/month/year" in html
    assert 'aria-describedby="id_email_hint id_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'href="#id_email"' in html  # error summary links to the field
    assert 'value="Sam Patient"' in html
    assert 'value="not-an-email"' in html
    assert "<title>Error: About you (step 1 of 5)" in html


def test_back_keeps_invalid_input_and_progress_marks_current_step(client):
    post(client, "about", ABOUT)
    response = post(client, "condition", {"medicines": "Half-typed médicine ✓"}, action="back")
    assert response["Location"] == "/apply/about/"
    page = client.get("/apply/condition/").content.decode()
    assert "Half-typed médicine ✓" in page
    assert '<span aria-current="step">Your condition</span>' in page


def test_cannot_skip_ahead(client):
    assert client.get("/apply/history/")["Location"] == "/apply/about/"
    assert client.get("/apply/review/")["Location"] == "/apply/about/"


def test_follow_up_and_condition_specific_questions(client):
    post(client, "about", ABOUT)
    response = post(client, "condition", {**CONDITION, "flares_last_year": ""})
    assert "Answer this question about Systemic lupus erythematosus" in response.content.decode()
    post(client, "condition", CONDITION)
    response = post(client, "history", {**HISTORY, "cancer_last_5_years": "yes"})
    assert response.status_code == 400
    assert b"You answered yes: please tell us a little more" in response.content


def _upload(client, name, data, content_type="application/octet-stream"):
    return client.post(
        "/apply/records/",
        {"action": "upload", "file": SimpleUploadedFile(name, data, content_type)},
    )


def _to_records(client):
    for step, data in (("about", ABOUT), ("condition", CONDITION), ("history", HISTORY)):
        post(client, step, data)


def test_uploads_are_checked_by_content(client, settings):
    _to_records(client)
    assert _upload(client, "letter.png", png_bytes(), "image/png").status_code == 200
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert _upload(client, "letter.pdf", pdf, "application/pdf").status_code == 200
    disguised = _upload(client, "photo.png", b"<script>alert(1)</script>", "image/png")
    assert disguised.status_code == 400
    assert b"whatever its name says" in disguised.content
    fake_jpeg = _upload(client, "x.jpg", b"\xff\xd8\xff" + b"garbage" * 10, "image/jpeg")
    assert b"damaged or is not really a JPEG or PNG" in fake_jpeg.content
    settings.APPLICATION_UPLOAD_MAX_BYTES = 1024
    big = _upload(client, "big.pdf", b"%PDF-" + b"0" * 2000 + b"%%EOF", "application/pdf")
    assert big.status_code == 400
    assert b"files can be at most 1.0\xc2\xa0KB" in big.content
    draft = ApplicationDraft.objects.get()
    assert draft.records.count() == 2
    page = client.get("/apply/records/").content.decode()
    assert "letter.png" in page
    assert "letter.pdf" in page


def test_decompression_bomb_is_refused(client):
    _to_records(client)
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # tiny file, 144 Mpx
    response = _upload(client, "bomb.png", buffer.getvalue(), "image/png")
    assert response.status_code == 400
    assert b"too large in pixels" in response.content


def test_save_and_resume_by_emailed_link(client, django_capture_on_commit_callbacks):
    post(client, "about", ABOUT)
    response = post(client, "condition", {"medicines": "Belimumab"}, action="save")
    assert response["Location"] == "/apply/save/"
    assert b'value="sam@example.org"' in client.get("/apply/save/").content
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/apply/save/", {"email": "sam@example.org"})
    (message,) = mail.outbox
    assert "Belimumab" not in message.body
    assert "lupus" not in message.body.lower()
    link = re.search(r"http://testserver(/apply/resume/\S+/)", message.body).group(1)
    other = type(client)()
    asked = other.get(link)
    assert b"Your date of birth" in asked.content
    assert b"Belimumab" not in asked.content
    response = other.post(link, {"date_of_birth": ABOUT["date_of_birth"]})
    assert response["Location"] == "/apply/condition/"
    assert b"Belimumab" in other.get("/apply/condition/").content
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    bad = type(client)().get(tampered)
    assert bad.status_code == 400
    assert b"This link is not valid" in bad.content


def test_the_queued_resume_link_task_holds_no_address_in_clear(client, settings):
    """Task arguments are stored in the task table (and its backups) until cleaned up."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    post(client, "about", ABOUT)
    post(client, "condition", {"medicines": "Belimumab"}, action="save")
    client.post("/apply/save/", {"email": "sam@example.org"})
    (task,) = DBTaskResult.objects.filter(task_path__endswith="send_resume_link")
    stored = str(task.args_kwargs)
    assert "sam@example.org" not in stored
    assert "Belimumab" not in stored
    task.task.func(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])  # what a worker runs
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]


def test_expired_resume_link(client, settings):
    post(client, "about", ABOUT)
    draft = ApplicationDraft.objects.get()
    settings.APPLICATION_DRAFT_DAYS = -1
    from clinicsite.applications.signing import resume_token

    response = client.get(f"/apply/resume/{resume_token(str(draft.pk))}/")
    assert response.status_code == 410
    assert b"This link has expired" in response.content


def test_status_page_by_signed_link_only(client):
    fill_to_review(client)
    client.post("/apply/review/")
    application = Application.objects.get(email="sam@example.org")
    response = client.get(f"/apply/status/{status_token(application.reference)}/")
    assert response.status_code == 200
    assert b"Submitted" in response.content
    forged = signing.TimestampSigner(salt="wrong").sign(application.reference)
    assert client.get(f"/apply/status/{forged}/").status_code == 400
    assert client.get(f"/apply/status/{application.reference}/").status_code == 400


def test_consent_records_the_version_shown(client, settings):
    _to_records(client)
    post(client, "records", {})
    settings.APPLICATION_PRIVACY_NOTICE_VERSION = "2026-02"
    response = post(client, "consent", CONSENT)
    assert response.status_code == 400
    assert b"The privacy notice changed" in response.content


def test_missing_csrf_is_a_clear_error_not_a_500():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/apply/about/", ABOUT)
    assert response.status_code == 403


def test_rate_limit_keeps_what_was_typed(client, settings):
    settings.APPLICATION_RATE_LIMIT = 2
    from django.core.cache import cache

    cache.clear()
    post(client, "about", ABOUT)
    post(client, "about", ABOUT)
    response = post(client, "about", {**ABOUT, "full_name": "Typed Again"})
    assert response.status_code == 429
    assert b'value="Typed Again"' in response.content
    assert b"wait a minute" in response.content
    cache.clear()


@settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    name=st.text(max_size=300),
    email=st.text(max_size=300),
    dob=st.text(max_size=40),
    phone=st.text(max_size=60),
)
def test_hostile_input_never_500s_and_is_escaped(client, name, email, dob, phone):
    from django.core.cache import cache

    cache.clear()
    data = {
        "full_name": name,
        "email": email,
        "phone": phone,
        "country": name,
        "date_of_birth": dob,
    }
    response = post(client, "about", data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert b"<script>" not in response.content.replace(
            b'<script src="/static/js/apply.js"', b""
        )


def test_script_payload_is_escaped(client):
    response = post(
        client, "about", {**ABOUT, "full_name": "<script>alert(1)</script>", "email": "x"}
    )
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
    assert b"<script>alert(1)" not in response.content


def test_the_final_submit_does_only_what_it_must(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Session and draft read, every step re-validated (the condition read once), one
    transaction (application, records, draft, audit, and the audit setting that says whether
    the applicant's address is kept), the session written; the notification waits for the
    commit. Nothing else: no answers re-rendered for the page nobody sees, no
    reference-index work for the audit entry."""
    fill_to_review(client)
    assert client.post("/apply/review/")["Location"] == "/apply/received/"  # rules remembered
    fill_to_review(client)
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(16):
        assert client.post("/apply/review/")["Location"] == "/apply/received/"
    assert len(callbacks) == 1
