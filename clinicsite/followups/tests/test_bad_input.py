"""Hostile or repeated input on the follow-up forms: a clear answer, never a 500."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicsite.accounts.testing import verified_login
from clinicsite.followups import services
from clinicsite.followups.models import AdverseEvent, Invitation, Treatment
from clinicsite.followups.tests.test_services import make_application

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["\x00", "a\u2028b", '"', "x" * 10_000, "2026-13-45", "Mars/Olympus", SCRIPT]),
)


@pytest.fixture
def doc(django_user_model):
    user = django_user_model.objects.create_user("doc", email="doc@clinic.example", password="pw")
    user.groups.add(Group.objects.get(name="Clinician"))
    return user


@pytest.fixture
def protocol():
    from clinicsite.clinic.models import TreatmentProtocol

    return TreatmentProtocol.objects.get(name__startswith="MSC-L1")


def treatment_form(**changes: str) -> dict[str, str]:
    today = datetime.date.today().isoformat()
    return {"treated_on": today, "time_zone": "Europe/London", "notes": "Went well.", **changes}


def test_a_double_clicked_treatment_is_recorded_once_with_a_clear_message(client, doc, protocol):
    application = make_application(protocol, n=91)
    verified_login(client, doc)
    url = reverse("followups_admin:record_treatment", args=[application.pk])
    first = client.post(url, treatment_form())
    assert first.status_code == 302
    second = client.post(url, treatment_form())  # the same form, sent again
    assert second.status_code == 400
    assert b"A treatment is already recorded for this application" in second.content
    assert Treatment.objects.filter(application=application).count() == 1
    # and the follow-up plan was scheduled once, not twice
    plan = Invitation.objects.filter(treatment__application=application)
    assert plan.count() == plan.values("time_point").distinct().count() > 0


def test_one_treatment_per_application_is_the_databases_rule(doc, protocol):
    """Two requests that both pass every check in Python still cannot both insert."""
    application = make_application(protocol, n=92)
    services.treatment_record(
        application=application, protocol=protocol, treated_on=datetime.date.today(),
        time_zone="UTC", clinician=doc,
    )  # fmt: skip
    duplicate = Treatment.objects.get(application=application)
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.fixture
def invitation(doc, protocol):
    now = datetime.datetime.now(tz=datetime.UTC)
    treatment = services.treatment_record(
        application=make_application(protocol, n=93), protocol=protocol,
        treated_on=(now - datetime.timedelta(days=15)).date(), time_zone="UTC", clinician=doc,
        now=now - datetime.timedelta(days=15),
    )  # fmt: skip
    return treatment.invitations.order_by("due_at").first()


@pytest.fixture
def adverse_event(invitation):
    answers = {"pgic": "4", "pain": "6", "fatigue": "7", "wellbeing": "3", "ae_any": "yes",
               "ae_description": "Fever after the infusion"}  # fmt: skip
    Client().post(f"/followup/{services.invitation_token(invitation)}/", answers)
    return AdverseEvent.objects.get(treatment=invitation.treatment)


SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data())
def test_arbitrary_survey_answers_never_500(invitation, data):
    fields = {q.key for q in services.questions_for(invitation)} | {"other"}
    values = {key: data.draw(HOSTILE_TEXT, label=key) for key in sorted(fields)}
    token = services.invitation_token(invitation)
    for url in (f"/followup/{token}/", f"/followup/{token}/stop/"):
        response = Client().post(url, values)
        assert response.status_code < 500
        assert SCRIPT.encode() not in response.content


@SETTINGS
@given(data=st.data())
def test_arbitrary_clinician_forms_never_500(doc, protocol, adverse_event, data):
    client = verified_login(Client(), doc)
    application = make_application(protocol, n=data.draw(st.integers(100, 10**6), label="n"))
    treatment = {k: data.draw(HOSTILE_TEXT, label=k) for k in ("treated_on", "time_zone", "notes")}
    url = reverse("followups_admin:record_treatment", args=[application.pk])
    response = client.post(url, treatment)
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content
    ack = {k: data.draw(HOSTILE_TEXT, label=k) for k in ("grade", "action")}
    response = client.post(reverse("followups_admin:adverse_event", args=[adverse_event.pk]), ack)
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content
