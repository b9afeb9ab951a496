import datetime
import re

from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.core.audit import AuditEntry
from clinicsite.followups import services
from clinicsite.followups.models import AdverseEvent, Invitation
from clinicsite.followups.tests.test_services import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(django_user_model):
    from clinicsite.clinic.models import TreatmentProtocol

    protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
    doc = django_user_model.objects.create_user("doc", email="doc@clinic.example", password="pw")
    doc.groups.add(Group.objects.get(name="Clinician"))
    now = timezone.now()
    treatment = services.treatment_record(
        application=make_application(protocol, n=77), protocol=protocol,
        treated_on=(now - datetime.timedelta(days=15)).date(), time_zone="UTC", clinician=doc,
        now=now - datetime.timedelta(days=15),
    )  # fmt: skip
    return treatment.invitations.order_by("due_at").first()


def url(invitation, suffix=""):
    return f"/followup/{services.invitation_token(invitation)}/{suffix}"


def test_the_patient_answers_on_the_signed_link_without_an_account(
    client, invitation, django_capture_on_commit_callbacks
):
    page = client.get(url(invitation))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Since your treatment, how would you describe the change" in content
    assert "Very much improved" in content
    data = {
        "pgic": "1",
        "pain": "3",
        "fatigue": "4",
        "wellbeing": "8",
        "ae_any": "no",
        "update": "Walking further.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(invitation), data)
    assert response.status_code == 200
    assert b"Your answers have been saved" in response.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.RESPONDED
    again = client.get(url(invitation))
    assert b"already have your answers" in again.content


def test_missing_answers_get_specific_errors_and_keep_what_was_typed(client, invitation):
    response = client.post(
        url(invitation), {"pain": "3", "update": "<script>alert(1)</script>", "ae_any": "yes"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Choose one answer." in content  # pgic missing
    assert "Tell us briefly what happened" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content
    assert re.search(r'name="pain" value="3"[^>]*checked', content)


@pytest.mark.parametrize("value", ["11", "-1", "abc", "3.5", "9" * 50, "\x00"])
def test_out_of_range_scores_are_refused(client, invitation, value):
    data = {"pgic": "2", "pain": value, "fatigue": "4", "wellbeing": "8", "ae_any": "no"}
    response = client.post(url(invitation), data)
    assert response.status_code == 400
    invitation.refresh_from_db()
    assert invitation.status != Invitation.Status.RESPONDED


def test_reporting_an_adverse_event_says_a_clinician_was_alerted(
    client, invitation, django_capture_on_commit_callbacks
):
    data = {"pgic": "4", "pain": "6", "fatigue": "7", "wellbeing": "3", "ae_any": "yes",
            "ae_description": "High temperature two days after the infusion"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(invitation), data)
    assert b"A clinician has been alerted" in response.content
    assert AdverseEvent.objects.filter(treatment=invitation.treatment).count() == 1
    assert mail.outbox[-1].to == ["doc@clinic.example"]


@pytest.mark.parametrize("token", ["nonsense", "eyJpIjoxfQ:1abc:xyz", "a" * 500])
def test_tampered_links_get_a_clear_page(client, token):
    response = client.get(f"/followup/{token}/")
    assert response.status_code == 400
    assert b"recognise this link" in response.content


def test_stopping_from_the_link(client, invitation):
    assert client.get(url(invitation, "stop/")).status_code == 200
    response = client.post(url(invitation, "stop/"))
    assert b"Follow-ups stopped" in response.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STOPPED
    assert client.get(url(invitation)).status_code == 410


@pytest.mark.parametrize("role", ["Editor", "Marketing", "Intake coordinator"])
def test_only_clinicians_see_adverse_events(client, django_user_model, invitation, role):
    event = services.adverse_event_report(treatment=invitation.treatment, description="Fever")
    user = django_user_model.objects.create_user(f"u-{role}", password="pw")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    for path in (
        "/admin/followups/adverse-events/",
        f"/admin/followups/adverse-events/{event.pk}/",
        "/admin/outcomes/",
    ):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        assert b"Fever" not in response.content


def test_clinicians_need_a_verified_second_factor(client, invitation):
    event = services.adverse_event_report(treatment=invitation.treatment, description="Fever")
    doc = invitation.treatment.treating_clinician
    client.force_login(doc)
    response = client.get(f"/admin/followups/adverse-events/{event.pk}/")
    assert response.status_code == 302
    assert "second-factor" in response["Location"]
    assert not AuditEntry.objects.filter(action="adverse_event.read").exists()


def test_reading_the_adverse_event_list_is_audited_without_what_it_shows(client, invitation):
    services.adverse_event_report(treatment=invitation.treatment, description="Fever")
    doc = invitation.treatment.treating_clinician
    verified_login(client, doc)
    response = client.get("/admin/followups/adverse-events/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="adverse_event.list_viewed")
    assert entry.actor == doc
    assert entry.object_type == "followups.adverseevent"
    assert entry.details == {"rows": AdverseEvent.objects.count()}
    assert "Fever" not in str(entry.details)


def test_the_dashboard_shows_open_adverse_events_to_a_clinician(client, invitation):
    services.adverse_event_report(treatment=invitation.treatment, description="Fever")
    verified_login(client, invitation.treatment.treating_clinician)
    response = client.get("/admin/")  # was a 500: the badge had no ``media`` for the dashboard
    assert response.status_code == 200
    assert b"open</strong> \xe2\x80\x93 review and grade" in response.content
    assert b"Fever" not in response.content  # a count, never the report itself
