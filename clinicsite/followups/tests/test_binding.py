"""Follow-up ciphertext opens only where it was sealed (issue 11, item 6): another column of
the same row, another response, another model are all refused; the clinician sees a 409."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.applications import services as applications
from clinicsite.applications.models import Application
from clinicsite.applications.tests.factories import make_application
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import crypto
from clinicsite.core.audit import AuditEntry
from clinicsite.followups import services
from clinicsite.followups.models import AdverseEvent, Response, Treatment

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 1, 10, 9, tzinfo=datetime.UTC)


@pytest.fixture
def clinician(client, django_user_model):
    user = django_user_model.objects.create_user("doc-bound", email="doc-bound@clinic.example")
    user.groups.add(Group.objects.get(name="Clinician"))
    verified_login(client, user)
    return user


def treated(clinician, n: int) -> Treatment:
    protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
    application = make_application(
        with_record=False, condition_slug=protocol.condition.slug, full_name=f"Patient {n}"
    )
    Application.objects.filter(pk=application.pk).update(status=Application.Status.ACCEPTED)
    application.refresh_from_db()
    return services.treatment_record(
        application=application, protocol=protocol, treated_on=NOW.date(), time_zone="UTC",
        clinician=clinician, notes=f"Notes for patient {n}", now=NOW,
    )  # fmt: skip


def respond(treatment: Treatment, description: str) -> Response:
    invitation = treatment.invitations.order_by("due_at").first()
    return services.response_submit(
        invitation=invitation, answers={"ae_any": True, "ae_description": description},
        now=NOW + datetime.timedelta(days=14),
    )  # fmt: skip


def test_a_description_copied_into_the_action_column_is_refused_with_409(client, clinician):
    treatment = treated(clinician, 1)
    respond(treatment, "Severe headache")
    event = AdverseEvent.objects.get(treatment=treatment)
    url = reverse("followups_admin:adverse_event", args=[event.pk])
    assert client.get(url).status_code == 200
    AdverseEvent.objects.filter(pk=event.pk).update(action_ciphertext=event.description_ciphertext)

    with pytest.raises(crypto.CiphertextMisplaced, match="description_ciphertext"):
        services.adverse_event_read(event=AdverseEvent.objects.get(pk=event.pk), user=clinician)
    response = client.get(url)
    assert response.status_code == 409
    assert b"Severe headache" not in response.content
    entry = AuditEntry.objects.get(action="crypto.ciphertext_misplaced")
    assert entry.details["expected"].endswith(f"action_ciphertext:{event.seal_id}")
    assert "headache" not in str(entry.details)


def test_answers_copied_to_another_patients_response_are_refused(clinician):
    first, second = treated(clinician, 1), treated(clinician, 2)
    theirs, mine = respond(first, "Rash"), respond(second, "Nausea")
    token = Response.objects.values_list("answers_ciphertext", flat=True).get(pk=theirs.pk)
    Response.objects.filter(pk=mine.pk).update(answers_ciphertext=token)
    with pytest.raises(crypto.CiphertextMisplaced):
        services._open(Response.objects.get(pk=mine.pk), "answers_ciphertext")


def test_treatment_notes_copied_into_an_application_are_refused(clinician):
    treatment = treated(clinician, 1)
    application = treatment.application
    Application.objects.filter(pk=application.pk).update(
        answers_ciphertext=Treatment.objects.values_list("notes_ciphertext", flat=True).get(
            pk=treatment.pk
        )
    )
    with pytest.raises(crypto.CiphertextMisplaced, match=r"followups\.treatment"):
        applications.application_answers(
            application=Application.objects.get(pk=application.pk), user=None
        )
