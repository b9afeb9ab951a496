"""Testimonial lifecycle: disclosure on the page, private release, consent re-confirmation."""

import datetime
from io import StringIO

from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.content.models import (
    MaterialConnection,
    PatientStoryPage,
    StoryConsentNotice,
    add_months,
    release_storage,
)
from clinicsite.core.models import AuditEntry

from .factories import editor

pytestmark = pytest.mark.django_db


def confirm_consent(story, days_ago):
    story.consent_confirmed_on = add_months(
        timezone.localdate() - datetime.timedelta(days=days_ago), -12
    )
    story.publishing_consent_date = story.consent_confirmed_on
    story.treatment_date = story.consent_confirmed_on - datetime.timedelta(days=7)
    story.save_revision().publish()
    return story


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),
        (datetime.date(2025, 11, 15), 2, datetime.date(2026, 1, 15)),
        (datetime.date(2025, 3, 31), -1, datetime.date(2025, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_story_shows_material_connection_selection_and_statement_date(client):
    content = client.get("/stories/amaras-story/").content.decode()
    assert "What the patient received from us:" in content
    assert "Free treatment: Her protocol treatment was free of charge" in content
    assert "How this patient was chosen:" in content
    assert "Every patient treated in the period was invited" in content
    assert "Statement made" in content
    assert "last confirmed" in content
    jonas = client.get("/stories/jonass-story/").content.decode()
    assert "None: the patient was not paid" in jonas


def test_a_real_patient_story_needs_a_signed_release_and_a_stated_connection():
    story = PatientStoryPage.objects.get(slug="amaras-story")
    story.is_fictional = False
    story.release_document = None
    story.material_connection = MaterialConnection.PAID
    story.material_connection_details = ""
    with pytest.raises(ValidationError) as excinfo:
        story.full_clean()
    errors = excinfo.value.message_dict
    assert "release_document" in errors
    assert "material_connection_details" in errors


def test_lapsed_consent_unpublishes_the_story_and_is_audited():
    story = confirm_consent(PatientStoryPage.objects.get(slug="leilas-story"), days_ago=1)
    assert story.consent_lapsed
    out = StringIO()
    call_command("check_story_consent", "--dry-run", stdout=out)
    assert "Would unpublish: Leila's story" in out.getvalue()
    assert PatientStoryPage.objects.get(pk=story.pk).live  # dry run changed nothing

    call_command("check_story_consent", stdout=StringIO())
    story.refresh_from_db()
    assert not story.live
    entry = AuditEntry.objects.get(action="content.story.consent_lapsed_unpublished")
    assert entry.object_id == str(story.pk)
    assert entry.actor is None
    # idempotent: a second run does nothing more
    call_command("check_story_consent", stdout=StringIO())
    assert AuditEntry.objects.filter(action="content.story.consent_lapsed_unpublished").count() == 1


def test_a_lapsed_story_is_hidden_even_before_the_job_runs(client):
    confirm_consent(PatientStoryPage.objects.get(slug="leilas-story"), days_ago=0)
    assert client.get("/stories/leilas-story/").status_code == 404
    assert b"Leila" not in client.get("/stories/").content


def test_editors_are_warned_once_thirty_days_before(
    django_user_model, django_capture_on_commit_callbacks
):
    editor(django_user_model, "warned")
    story = confirm_consent(PatientStoryPage.objects.get(slug="jonass-story"), days_ago=-20)
    assert not story.consent_lapsed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the warning's task runs at once
        call_command("check_story_consent", stdout=StringIO())
    (message,) = mail.outbox
    assert message.to == ["warned@clinic.example"]
    assert "Jonas's story" in message.body
    assert f"/admin/pages/{story.pk}/edit/" in message.body
    assert PatientStoryPage.objects.get(pk=story.pk).live
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_story_consent", stdout=StringIO())
    assert len(mail.outbox) == 1
    assert StoryConsentNotice.objects.filter(page=story, kind="warning").count() == 1


def test_stories_far_from_lapsing_are_left_alone(django_user_model):
    editor(django_user_model, "quiet")
    mail.outbox.clear()
    call_command("check_story_consent", stdout=StringIO())
    assert mail.outbox == []
    assert PatientStoryPage.objects.live().count() == 3


def test_the_scheduled_task_runs_the_same_job():
    from clinicsite.content.tasks import check_story_consent

    confirm_consent(PatientStoryPage.objects.get(slug="leilas-story"), days_ago=3)
    result = check_story_consent.enqueue()
    assert result.return_value == {"warned": 0, "unpublished": 1}


def consent_warning_tasks():
    return list(
        DBTaskResult.objects.filter(
            task_path="clinicsite.content.tasks.send_story_consent_warning"
        ).order_by("enqueued_at")
    )


def test_a_warning_is_queued_once_by_id_and_its_task_retries_an_outage(
    django_user_model, settings, smtp
):
    from clinicsite.content.tasks import send_story_consent_warning

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    editor(django_user_model, "warned")
    story = confirm_consent(PatientStoryPage.objects.get(slug="jonass-story"), days_ago=-20)
    call_command("check_story_consent", stdout=StringIO())
    notice = StoryConsentNotice.objects.get(page=story, kind="warning")
    (task,) = consent_warning_tasks()
    assert task.args_kwargs == {"args": [notice.pk], "kwargs": {}}  # no addresses
    out = StringIO()
    call_command("check_story_consent", stdout=out)
    assert "0 warned" in out.getvalue()
    assert len(consent_warning_tasks()) == 1

    smtp.stop()
    assert send_story_consent_warning.call(notice.pk) is None  # re-enqueued itself
    assert consent_warning_tasks()[-1].args_kwargs["kwargs"] == {"mail_attempt": 1}
    assert StoryConsentNotice.objects.filter(pk=notice.pk).exists()
    smtp.start()
    assert send_story_consent_warning.call(notice.pk, mail_attempt=1) is True
    (message,) = smtp.messages
    assert message["X-Envelope-To"] == "warned@clinic.example"
    assert "Jonas's story" in message["Subject"] + message.get_content()


def test_a_warning_that_could_not_be_sent_is_queued_again_next_run(
    django_user_model, smtp, django_capture_on_commit_callbacks, caplog
):
    editor(django_user_model, "warned")
    story = confirm_consent(PatientStoryPage.objects.get(slug="jonass-story"), days_ago=-20)
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):  # at once, and no deferred retry
        call_command("check_story_consent", stdout=StringIO())
    assert "not sent; the next run queues it again" in caplog.text
    assert not StoryConsentNotice.objects.filter(page=story, kind="warning").exists()
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_story_consent", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_story_consent", stdout=StringIO())
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["warned@clinic.example"]


def test_a_warning_made_moot_while_queued_is_dropped(django_user_model, settings, smtp):
    from clinicsite.content.tasks import send_story_consent_warning

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    editor(django_user_model, "warned")
    story = confirm_consent(PatientStoryPage.objects.get(slug="jonass-story"), days_ago=-20)
    call_command("check_story_consent", stdout=StringIO())
    notice = StoryConsentNotice.objects.get(page=story, kind="warning")
    confirm_consent(story, days_ago=-300)  # re-confirmed meanwhile
    assert send_story_consent_warning.call(notice.pk) is False
    assert smtp.messages == []
    assert not StoryConsentNotice.objects.filter(pk=notice.pk).exists()


# --- The signed release is private ------------------------------------------------------------


def test_release_is_stored_outside_media_root(settings):
    story = PatientStoryPage.objects.get(slug="amaras-story")
    path = story.release_document.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert story.release_document.url.startswith("/admin/story-releases/")
    assert story.release_document.read().startswith(b"%PDF-")


def test_release_is_served_only_to_staff_with_permission(client, django_user_model):
    story = PatientStoryPage.objects.get(slug="amaras-story")
    url = story.release_document.url
    name = story.release_document.name
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get(f"/media/releases/{name}").status_code == 404

    client.force_login(editor(django_user_model, "marketing", group="Marketing"))
    assert client.get(url).status_code == 302  # admin user without the permission

    client.force_login(editor(django_user_model, "ed"))
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("Editor", True),
        ("Administrator", True),
        ("Marketing", False),
        ("Intake coordinator", False),
        ("Clinician", False),
    ],
)
def test_each_release_download_is_audited_and_only_permission_holders_get_one(
    client, django_user_model, role, allowed
):
    from clinicsite.accounts.testing import verified_login

    story = PatientStoryPage.objects.get(slug="amaras-story")
    url = story.release_document.url
    user = editor(django_user_model, "someone", group=role)
    verified_login(client, user)
    response = client.get(url)
    entries = AuditEntry.objects.filter(action="story.release_downloaded")
    if not allowed:
        assert response.status_code in (302, 403)
        assert not entries.exists()
        return
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = entries.get()
    assert entry.actor == user
    assert (entry.object_type, entry.object_id) == ("content.patientstorypage", str(story.pk))
    assert entry.details == {}  # not even the file name


def test_a_file_in_release_storage_that_is_no_storys_release_is_not_served(
    client, django_user_model
):
    storage = release_storage()
    name = storage.save("2026/01/stray.pdf", ContentFile(b"%PDF-1.4 stray"))
    try:
        client.force_login(editor(django_user_model, "ed"))
        assert client.get(f"/admin/story-releases/{name}").status_code == 404
    finally:
        storage.delete(name)


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fsettings.py", "nope.pdf"])
def test_release_view_refuses_probing(client, django_user_model, name):
    client.force_login(editor(django_user_model, "ed"))
    assert client.get(f"/admin/story-releases/{name}").status_code == 404


def test_uploaded_release_goes_to_private_storage():
    storage = release_storage()
    name = storage.save("2026/01/signed.pdf", ContentFile(b"%PDF-1.4 test"))
    try:
        assert storage.path(name).startswith(str(storage.location))
    finally:
        storage.delete(name)


def test_a_release_uploaded_while_the_story_is_live_is_stored():
    from django.core.files.uploadedfile import SimpleUploadedFile

    story = PatientStoryPage.objects.get(slug="jonass-story")
    story.release_document = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", "application/pdf")
    revision = story.save_revision()  # what the editor does on a live page: draft only
    name = revision.content["release_document"]
    assert name.endswith(".pdf")
    assert release_storage().open(name).read() == b"%PDF-1.4 signed"


def test_story_editor_can_upload_files(admin_client):
    story = PatientStoryPage.objects.get(slug="amaras-story")
    content = admin_client.get(f"/admin/pages/{story.pk}/edit/").content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert "Consent and disclosure" in content
