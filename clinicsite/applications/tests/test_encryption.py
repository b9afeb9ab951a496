"""The database and the private file store hold ciphertext only; rotation keeps it readable."""

from django.conf import settings
from django.core.management import call_command
from django.db import connection

import pytest
from cryptography.fernet import Fernet

from clinicsite.applications import services, storage
from clinicsite.applications.models import Application, ApplicationDraft, ClinicianNote
from clinicsite.core import encrypted
from clinicsite.core.audit import AuditEntry

from .factories import make_application, png_bytes

pytestmark = pytest.mark.django_db

SECRETS = [b"Mycophenolate", b"Hydroxychloroquine", b"1980-05-01", b"kidney-biopsy"]


def raw(table: str, column: str, pk: object) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        value = cursor.fetchone()[0]
    return bytes(value)


def test_database_holds_ciphertext_only(django_user_model):
    application = make_application()
    clinician = django_user_model.objects.create_user("nurse-enc")
    services.application_add_note(
        application=application, author=clinician, body="Discussed renal biopsy result"
    )
    answers = raw("applications_application", "answers_ciphertext", application.pk)
    note = ClinicianNote.objects.get(application=application)
    note_raw = raw("applications_cliniciannote", "body_ciphertext", note.pk)
    record = application.records.get()
    name_raw = raw("applications_medicalrecord", "name_ciphertext", record.pk)
    file_raw = storage.read(record.stored_name)
    for blob in (answers, note_raw, name_raw, file_raw):
        assert blob.startswith(b"gAAAAA"), "Fernet tokens start with version byte 0x80"
        for secret in [*SECRETS, b"renal biopsy", b"PNG"]:
            assert secret not in blob
    # ... and the file is not under MEDIA_ROOT, so no URL can reach it
    assert not list(settings.MEDIA_ROOT.rglob(record.stored_name))
    assert list(settings.PRIVATE_MEDIA_ROOT.rglob(record.stored_name))
    # the service decrypts it again, and records that it did
    answers = services.application_answers(application=application, user=clinician)
    assert answers["medicines"] == "Mycophenolate 1 g twice daily"
    assert AuditEntry.objects.filter(
        action="application.health_data_viewed", object_id=str(application.pk), actor=clinician
    ).exists()


def test_draft_is_ciphertext():
    draft = services.draft_create(data={"medicines": "Mycophenolate"})
    assert b"Mycophenolate" not in raw(
        "applications_applicationdraft", "data_ciphertext", draft.pk.hex
    )


def test_rotate_keys_reencrypts_everything_and_keeps_it_readable(settings, django_user_model):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    application = make_application()
    services.application_add_note(
        application=application, author=django_user_model.objects.create_user("n2"), body="note"
    )
    draft = services.draft_create(data={"medicines": "x"})
    record = application.records.get()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_keys", "--dry-run", verbosity=0)
    assert raw("applications_application", "answers_ciphertext", application.pk) == bytes(
        Application.objects.get(pk=application.pk).answers_ciphertext
    )
    Fernet(old_key).decrypt(raw("applications_application", "answers_ciphertext", application.pk))

    call_command("rotate_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone: everything still reads
    application.refresh_from_db()
    record.refresh_from_db()
    assert (
        services.application_answers(application=application, user=None)["year_diagnosed"] == 2015
    )
    assert services.record_read(record=record, user=None)[1] == png_bytes()
    assert services.record_name(record) == "kidney-biopsy.png"
    assert services.draft_data(ApplicationDraft.objects.get(pk=draft.pk)) == {"medicines": "x"}
    note = ClinicianNote.objects.get(application=application)
    assert encrypted.unseal(note, "body_ciphertext") == b"note"


def test_rotate_keys_refuses_when_a_key_is_missing(settings):
    make_application(with_record=False)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_keys", "--dry-run", verbosity=0)
