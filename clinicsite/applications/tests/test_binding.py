"""Each application ciphertext opens only in the row and column it was sealed for (issue 11,
item 6): a value copied elsewhere is refused loudly, the views answer 409 and audit it, and
``rotate_keys`` re-seals (and binds old unbound values) in batches."""

from __future__ import annotations

import json

from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
from cryptography.fernet import Fernet

from clinicsite.accounts.testing import verified_login
from clinicsite.applications import services, storage
from clinicsite.applications.models import Application, ApplicationDraft, ClinicianNote
from clinicsite.applications.tasks import seal_address, send_resume_link
from clinicsite.core import crypto
from clinicsite.core.audit import AuditEntry

from .factories import make_application, png_bytes

pytestmark = pytest.mark.django_db


def move(model, field: str, source, target) -> None:
    """What an attacker with SQL access does: copy one row's stored ciphertext to another."""
    token = model.objects.filter(pk=source.pk).values_list(field, flat=True).get()
    model.objects.filter(pk=target.pk).update(**{field: token})


@pytest.fixture
def clinician(client, django_user_model):
    user = django_user_model.objects.create_user("dr-bound", email="dr-bound@clinic.example")
    user.groups.add(Group.objects.get(name="Clinician"))
    verified_login(client, user)
    return user


def test_answers_copied_to_another_application_are_refused_with_409_and_audited(client, clinician):
    mine = make_application(with_record=False, medicines="Azathioprine")
    theirs = make_application(with_record=False, full_name="Other Person")
    move(Application, "answers_ciphertext", mine, theirs)

    with pytest.raises(crypto.CiphertextMisplaced) as caught:
        services.application_answers(application=Application.objects.get(pk=theirs.pk), user=None)
    assert mine.reference in str(caught.value)
    assert theirs.reference in str(caught.value)
    assert "Azathioprine" not in str(caught.value)

    response = client.get(f"/admin/applications/{theirs.pk}/")
    assert response.status_code == 409
    assert b"Azathioprine" not in response.content
    assert b"cannot be shown" in response.content
    entry = AuditEntry.objects.get(action="crypto.ciphertext_misplaced")
    assert entry.actor == clinician
    assert entry.details["expected"] == (
        f"applications.application:answers_ciphertext:{theirs.reference}"
    )
    assert entry.details["found"] == f"applications.application:answers_ciphertext:{mine.reference}"
    assert "Azathioprine" not in json.dumps(entry.details)
    # the row it belongs to still opens
    assert client.get(f"/admin/applications/{mine.pk}/").status_code == 200


def test_a_note_copied_into_the_answers_column_of_another_model_is_refused(client, clinician):
    application = make_application(with_record=False)
    note = services.application_add_note(application=application, author=clinician, body="{}")
    token = ClinicianNote.objects.values_list("body_ciphertext", flat=True).get(pk=note.pk)
    Application.objects.filter(pk=application.pk).update(answers_ciphertext=token)

    with pytest.raises(crypto.CiphertextMisplaced, match=r"applications\.cliniciannote"):
        services.application_answers(application=Application.objects.get(pk=application.pk),
                                     user=None)  # fmt: skip
    assert client.get(f"/admin/applications/{application.pk}/").status_code == 409


def test_notes_and_record_names_copied_between_rows_are_refused(clinician):
    first = make_application()
    second = make_application()
    for application, body in ((first, "first note"), (second, "second note")):
        services.application_add_note(application=application, author=clinician, body=body)
    move(ClinicianNote, "body_ciphertext", first.notes.get(), second.notes.get())
    with pytest.raises(crypto.CiphertextMisplaced):
        services.application_notes(application=second, user=clinician)

    from clinicsite.applications.models import MedicalRecord

    move(MedicalRecord, "name_ciphertext", first.records.get(), second.records.get())
    with pytest.raises(crypto.CiphertextMisplaced):
        services.record_name(MedicalRecord.objects.get(pk=second.records.get().pk))


def test_a_record_file_copied_over_another_is_refused_on_download(client, clinician):
    first = make_application()
    second = make_application()
    record = second.records.get()
    storage.write(record.stored_name, storage.read(first.records.get().stored_name))

    response = client.get(f"/admin/applications/{second.pk}/records/{record.pk}/")
    assert response.status_code == 409
    assert png_bytes() not in response.content
    assert AuditEntry.objects.filter(action="crypto.ciphertext_misplaced").count() == 1


def test_a_draft_copied_into_another_applicants_draft_gives_409_not_their_answers(client):
    stranger = services.draft_create(data={"raw": {"about": {"full_name": "Stranger Person"}}})
    client.post(
        "/apply/about/",
        {"full_name": "Sam Example", "email": "sam@example.org", "phone": "+44 7700 900123",
         "country": "United Kingdom", "condition": "lupus", "action": "continue"},
    )  # fmt: skip
    own = ApplicationDraft.objects.exclude(pk=stranger.pk).get()
    move(ApplicationDraft, "data_ciphertext", stranger, own)

    response = client.get("/apply/about/")
    assert response.status_code == 409
    assert b"Stranger Person" not in response.content
    assert AuditEntry.objects.filter(action="crypto.ciphertext_misplaced").exists()


def test_a_sealed_address_only_sends_the_link_of_its_own_draft():
    first = services.draft_create(data={})
    second = services.draft_create(data={})
    sealed = seal_address("sam@example.org", str(first.pk))
    with pytest.raises(crypto.CiphertextMisplaced):
        send_resume_link.func(str(second.pk), sealed)
    assert mail.outbox == []
    send_resume_link.func(str(first.pk), sealed)
    assert mail.outbox[0].to == ["sam@example.org"]


def test_unbound_legacy_values_are_refused_unless_allowed_and_rotate_keys_binds_them(settings):
    application = make_application(with_record=False)
    legacy = crypto.encrypt(json.dumps({"medicines": "Legacy"}).encode())  # before binding
    Application.objects.filter(pk=application.pk).update(answers_ciphertext=legacy)
    application = Application.objects.get(pk=application.pk)

    with pytest.raises(crypto.CiphertextUnbound):
        services.application_answers(application=application, user=None)
    settings.FIELD_ENCRYPTION_ALLOW_UNBOUND = True
    assert services.application_answers(application=application, user=None) == {
        "medicines": "Legacy"
    }

    call_command("rotate_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_ALLOW_UNBOUND = False
    application = Application.objects.get(pk=application.pk)
    assert services.application_answers(application=application, user=None) == {
        "medicines": "Legacy"
    }


def test_rotate_keys_refuses_to_rebind_a_moved_value(capsys):
    first = make_application(with_record=False)
    second = make_application(with_record=False)
    move(Application, "answers_ciphertext", first, second)
    with pytest.raises(CommandError, match=rf"applications.Application id {second.pk}\).*"
                       "sealed for another place"):  # fmt: skip
        call_command("rotate_keys", "--dry-run", verbosity=0)
    with pytest.raises(CommandError, match="sealed for another place"):
        call_command("rotate_keys", verbosity=0)
    with pytest.raises(crypto.CiphertextMisplaced):  # still refused: never re-bound
        services.application_answers(application=Application.objects.get(pk=second.pk),
                                     user=None)  # fmt: skip


def test_rotation_is_batched_and_everything_still_opens(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    drafts = [services.draft_create(data={"n": n}) for n in range(7)]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    with CaptureQueriesContext(connection) as queries:
        call_command("rotate_keys", "--batch-size", "3", verbosity=0)
    updates = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "applications_applicationdraft" in q["sql"]
    ]  # fmt: skip
    assert len(updates) == 3  # 7 rows in batches of 3: one UPDATE per batch, not one per row
    selects = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "applications_applicationdraft" in q["sql"]
    ]  # fmt: skip
    assert len(selects) == 4  # three full batches' reads and the empty one that ends it

    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key gone
    for n, draft in enumerate(drafts):
        assert services.draft_data(ApplicationDraft.objects.get(pk=draft.pk)) == {"n": n}
    call_command("rotate_keys", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_note_its_own_seal_id():
    from django.db.migrations.executor import MigrationExecutor

    before = [("applications", "0002_review_queue_indexes")]
    after = [("applications", "0003_cliniciannote_seal_id")]
    application = make_application(with_record=False)  # made with today's models, then
    executor = MigrationExecutor(connection)  # the schema goes back to before the seal_id
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    note = old.get_model("applications", "ClinicianNote")
    for _ in range(3):
        note.objects.create(application_id=application.pk, author_label="x", body_ciphertext=b"")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    try:
        ids = list(ClinicianNote.objects.values_list("seal_id", flat=True).order_by("pk"))
        assert len(ids) == 3
        assert len(set(ids)) == 3
        assert None not in ids
    finally:  # the tests after this one expect every migration applied
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
