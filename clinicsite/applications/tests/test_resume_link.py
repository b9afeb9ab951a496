"""A resume link that cannot be borrowed: it asks for the date of birth before it opens the
draft, dies after too many wrong answers or once the application is sent, and never silently
replaces another draft open in the same browser."""

import re

from django.core import mail
from django.core.cache import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicsite.applications.models import Application, ApplicationDraft
from clinicsite.core.audit import AuditEntry

from .test_apply_views import ABOUT, fill_to_review, post

pytestmark = pytest.mark.django_db

SECRET_MEDICINE = "Belimumab 10 mg/kg"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _saved_link(client, django_capture_on_commit_callbacks, about=None):
    """Fill step 1, type a medicine on step 2, save; the link from the e-mail."""
    post(client, "about", about or ABOUT)
    post(client, "condition", {"medicines": SECRET_MEDICINE}, action="save")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/apply/save/", {"email": (about or ABOUT)["email"]})
    (message,) = mail.outbox
    return re.search(r"http://testserver(/apply/resume/\S+/)", message.body).group(1)


def _actions():
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_the_link_alone_shows_no_answer(client, django_capture_on_commit_callbacks):
    link = _saved_link(client, django_capture_on_commit_callbacks)
    other = type(client)()
    page = other.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert SECRET_MEDICINE not in html
    assert ABOUT["full_name"] not in html
    assert ABOUT["email"] not in html
    assert '<label for="id_date_of_birth">Your date of birth</label>' in html
    assert 'aria-describedby="id_date_of_birth_hint"' in html
    assert "27/03/1985 (day/month/year)" in html
    form_tag = re.search(r"<form method=\"post\"[^>]*>", html).group(0)
    assert "action=" not in form_tag  # posts back to the same path: no token in a query
    # the session is not bound to the draft: its steps are empty
    assert SECRET_MEDICINE.encode() not in other.get("/apply/condition/").content
    assert other.get("/apply/review/")["Location"] == "/apply/about/"


def test_wrong_date_is_refused_specifically_and_keeps_the_draft_locked(
    client, django_capture_on_commit_callbacks
):
    link = _saved_link(client, django_capture_on_commit_callbacks)
    other = type(client)()
    response = other.post(link, {"date_of_birth": "15/02/1979"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This is not the date of birth given in the application" in html
    assert "4 tries left" in html
    assert 'aria-invalid="true"' in html
    assert SECRET_MEDICINE not in html
    assert SECRET_MEDICINE.encode() not in other.get("/apply/condition/").content
    assert ApplicationDraft.objects.get().failed_checks == 1
    unreadable = other.post(link, {"date_of_birth": "the fourteenth"})
    assert unreadable.status_code == 400
    assert b"Enter your date of birth as day/month/year" in unreadable.content
    assert ApplicationDraft.objects.get().failed_checks == 1  # a typo in the format is free
    entry = AuditEntry.objects.get(action="application.draft_check_failed")
    assert entry.details == {"failed_checks": 1}
    assert "1979" not in str(entry.details)


def test_the_right_date_opens_the_draft(client, django_capture_on_commit_callbacks):
    link = _saved_link(client, django_capture_on_commit_callbacks)
    other = type(client)()
    response = other.post(link, {"date_of_birth": "1979-02-14"})  # any accepted format
    assert response.status_code == 302
    assert response["Location"] == "/apply/condition/"
    assert SECRET_MEDICINE.encode() in other.get("/apply/condition/").content
    assert "application.draft_resumed" in _actions()
    assert other.get(link)["Location"] == "/apply/condition/"  # this browser holds it now


def test_after_five_wrong_answers_the_link_is_dead_even_with_the_right_one(
    client, django_capture_on_commit_callbacks
):
    link = _saved_link(client, django_capture_on_commit_callbacks)
    for day in range(1, ApplicationDraft.RESUME_ATTEMPTS + 1):
        # from a fresh client each time: the count is per draft, not per browser or address
        type(client)().post(
            link, {"date_of_birth": f"{day:02d}/01/1990"}, REMOTE_ADDR=f"10.0.0.{day}"
        )
    assert _actions().count("application.draft_check_failed") == ApplicationDraft.RESUME_ATTEMPTS
    assert _actions().count("application.draft_locked") == 1
    late = type(client)()
    response = late.post(link, {"date_of_birth": ABOUT["date_of_birth"]})
    assert response.status_code == 410
    assert b"This link no longer works" in response.content
    assert b"Save and continue later" in response.content  # how to get a new one
    assert SECRET_MEDICINE.encode() not in late.get("/apply/condition/").content
    assert late.get(link).status_code == 410
    assert "application.draft_resumed" not in _actions()

    # The browser that still holds the draft asks for a new link: it works, the old one not.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/apply/save/", {"email": ABOUT["email"]})
    fresh = re.search(r"http://testserver(/apply/resume/\S+/)", mail.outbox[0].body).group(1)
    assert fresh != link
    assert type(client)().post(link, {"date_of_birth": ABOUT["date_of_birth"]}).status_code == 410
    reopened = type(client)().post(fresh, {"date_of_birth": ABOUT["date_of_birth"]})
    assert reopened["Location"] == "/apply/condition/"


def test_after_submission_the_link_says_it_was_sent(client, django_capture_on_commit_callbacks):
    fill_to_review(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/apply/save/", {"email": ABOUT["email"]})
    link = re.search(r"http://testserver(/apply/resume/\S+/)", mail.outbox[0].body).group(1)
    assert client.post("/apply/review/")["Location"] == "/apply/received/"
    application = Application.objects.get(reference=client.session["applications.submitted"])
    assert not ApplicationDraft.objects.exists()
    other = type(client)()
    for response in (other.get(link), other.post(link, {"date_of_birth": ABOUT["date_of_birth"]})):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This application has been sent" in html
        status_link = re.search(r'href="http://testserver(/apply/status/[^"]+/)"', html).group(1)
        assert "Prednisolone" not in html  # an answer given in the application
    status_page = other.get(status_link)
    assert application.reference.encode() in status_page.content
    assert other.get("/apply/review/")["Location"] == "/apply/about/"


def _second_browser_with_own_draft(client):
    """Another client holding a different draft (a different person's, or an older one)."""
    other = type(client)()
    post(other, "about", {**ABOUT, "full_name": "Other Draft", "date_of_birth": "01/05/1990"})
    post(other, "condition", {"medicines": "Methotrexate"}, action="save")
    return other


def test_another_draft_in_the_browser_asks_which_to_keep(
    client, django_capture_on_commit_callbacks
):
    link = _saved_link(client, django_capture_on_commit_callbacks)
    for choice, expected in (("keep", "Methotrexate"), ("switch", SECRET_MEDICINE)):
        cache.clear()
        other = _second_browser_with_own_draft(client)
        before = set(ApplicationDraft.objects.values_list("pk", flat=True))
        response = other.post(link, {"date_of_birth": ABOUT["date_of_birth"]})
        assert response["Location"] == "/apply/resume/choose/"
        page = other.get("/apply/resume/choose/")
        html = page.content.decode()
        assert "Continue the application already open here" in html
        assert "Switch to the application from the link" in html
        assert SECRET_MEDICINE not in html
        assert "Methotrexate" not in html
        # nothing is replaced or deleted until the person chooses
        assert b"Methotrexate" in other.get("/apply/condition/").content
        assert set(ApplicationDraft.objects.values_list("pk", flat=True)) == before
        chosen = other.post("/apply/resume/choose/", {"choice": choice})
        assert chosen["Location"] == "/apply/condition/"
        assert expected.encode() in other.get("/apply/condition/").content
        assert set(ApplicationDraft.objects.values_list("pk", flat=True)) == before
        assert other.get("/apply/resume/choose/")["Location"] == "/apply/"


def test_the_choice_page_needs_a_checked_link(client):
    post(client, "about", ABOUT)
    assert client.get("/apply/resume/choose/")["Location"] == "/apply/"
    assert client.post("/apply/resume/choose/", {"choice": "switch"})["Location"] == "/apply/"


def test_no_link_is_sent_before_there_is_a_date_of_birth_to_ask(client):
    post(client, "about", {**ABOUT, "date_of_birth": ""}, action="save")
    page = client.get("/apply/save/")
    assert b"Complete \xe2\x80\x9cAbout you\xe2\x80\x9d" in page.content
    response = client.post("/apply/save/", {"email": ABOUT["email"]})
    assert response.status_code == 400
    assert not mail.outbox


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(typed=st.one_of(st.text(max_size=60), st.dates().map(lambda d: d.strftime("%d/%m/%Y"))))
def test_any_date_of_birth_input_gives_a_page_not_a_500(client, typed):
    cache.clear()
    ApplicationDraft.objects.all().delete()
    post(client, "about", ABOUT)
    draft = ApplicationDraft.objects.get()
    from clinicsite.applications.signing import resume_token

    response = type(client)().post(
        f"/apply/resume/{resume_token(str(draft.pk))}/", {"date_of_birth": typed}
    )
    assert response.status_code in (302, 400), response.status_code
    assert SECRET_MEDICINE.encode() not in response.content
    if response.status_code == 400:
        assert b"error-message" in response.content
