"""Key rotation and the restore check cover every ciphertext column, follow-ups included."""

import datetime

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

import pytest
from cryptography.fernet import Fernet

from clinicsite.applications.models import Application, ScreeningOutcome
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import crypto, encrypted
from clinicsite.followups import services as followups
from clinicsite.followups.models import AdverseEvent, Response, Treatment

UTC = datetime.UTC


def test_every_ciphertext_column_is_registered():
    registered = {(c.model, c.field) for c in encrypted.registered_columns()}
    found = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.BinaryField) and field.name.endswith("_ciphertext")
    }
    assert found, "the search for ciphertext columns found nothing: it is broken"
    assert found - registered == set(), "register these in their app's AppConfig.ready"
    assert registered - found == set(), "registered columns that do not exist"


@pytest.mark.django_db
def test_rotation_keeps_follow_up_data_readable_without_the_old_key(settings, django_user_model):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
    clinician = django_user_model.objects.create_user("rotating-doc")
    clinician.groups.add(Group.objects.get(name="Clinician"))
    application = Application.objects.create(
        full_name="Rotating Patient", email="rotate@example.com", phone="+44 1632 960 222",
        country="United Kingdom", condition_id=protocol.condition_id, protocol=protocol,
        answers_ciphertext=crypto.encrypt(b"{}"), screening_outcome=ScreeningOutcome.ELIGIBLE,
        privacy_notice_version="test", consent_at=datetime.datetime(2026, 1, 1, tzinfo=UTC),
        status=Application.Status.ACCEPTED,
    )  # fmt: skip
    now = datetime.datetime(2026, 1, 10, 9, tzinfo=UTC)
    treatment = followups.treatment_record(
        application=application, protocol=protocol, treated_on=now.date(), time_zone="UTC",
        clinician=clinician, notes="Second infusion planned.", now=now,
    )  # fmt: skip
    invitation = treatment.invitations.order_by("due_at").first()
    followups.response_submit(
        invitation=invitation, answers={"ae_any": True, "ae_description": "Rash on both arms"},
        now=now + datetime.timedelta(days=14),
    )  # fmt: skip
    event = AdverseEvent.objects.get(treatment=treatment)
    followups.adverse_event_acknowledge(
        event=event, user=clinician, grade=1, action="Antihistamine; resolved."
    )

    # The documented procedure: new key first, rotate_keys, then drop the old key.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]

    treatment = Treatment.objects.get(pk=treatment.pk)
    assert encrypted.unseal(treatment, "notes_ciphertext") == b'"Second infusion planned."'
    response = Response.objects.get(invitation=invitation)
    assert b"Rash on both arms" in encrypted.unseal(response, "answers_ciphertext")
    read = followups.adverse_event_read(event=AdverseEvent.objects.get(pk=event.pk), user=clinician)
    assert read == {"description": "Rash on both arms", "action": "Antihistamine; resolved."}
    call_command("rotate_keys", "--dry-run", verbosity=0)  # everything opens with the new key


@pytest.mark.django_db
def test_dry_run_names_what_does_not_decrypt(settings):
    protocol = TreatmentProtocol.objects.first()
    stranger = Fernet(Fernet.generate_key())
    application = Application.objects.create(
        full_name="Foreign Key", email="foreign@example.com", phone="1", country="UK",
        condition_id=protocol.condition_id, protocol=protocol,
        answers_ciphertext=stranger.encrypt(b"{}"), screening_outcome=ScreeningOutcome.ELIGIBLE,
        privacy_notice_version="test", consent_at=datetime.datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    with pytest.raises(CommandError, match=rf"application answers \(applications.Application id "
                       rf"{application.pk}\).*nothing was changed"):  # fmt: skip
        call_command("rotate_keys", "--dry-run", verbosity=0)
