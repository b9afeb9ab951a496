"""Uploads are size-capped everywhere, and private files have no URL at all."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.static import serve

from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form

import pytest

from clinicsite.applications.tests.factories import make_application, png_bytes
from clinicsite.core.checks import private_media_has_no_public_url

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def test_the_limits_fit_together():
    assert settings.APPLICATION_UPLOAD_MAX_BYTES == 10 * MB
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 10 * MB
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 10 * MB
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * MB
    # one file at its limit plus the form around it fits; two do not
    assert 10 * MB < settings.REQUEST_BODY_MAX_BYTES < 2 * 10 * MB
    assert settings.FILE_UPLOAD_HANDLERS[0] == "clinicsite.core.uploads.RequestBodyLimitHandler"


@pytest.mark.parametrize(("size", "read"), [(MB, True), (settings.REQUEST_BODY_MAX_BYTES, False)])
def test_a_too_large_upload_is_refused_before_it_is_read(client, size, read):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * size)
    response = client.post("/apply/about/", {"full_name": "A", "file": upload})
    assert response.status_code == 400  # either the step with its errors, or refused outright
    assert (b'name="full_name"' in response.content) is read


def test_a_form_body_over_its_limit_is_refused(client):
    data = {"full_name": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    response = client.post("/apply/about/", data)
    assert response.status_code == 400
    assert b'name="full_name"' not in response.content


def test_documents_over_the_limit_are_refused(admin_user):
    form_class = get_document_form(get_document_model())
    limit = settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    big = SimpleUploadedFile("video.mp4", b"0" * (limit + 1), content_type="video/mp4")
    form = form_class({"title": "Video"}, {"file": big}, user=admin_user)
    assert not form.is_valid()
    assert "too big" in str(form.errors["file"])


def test_images_over_the_limit_are_refused(settings, admin_user):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1024  # the field reads it when the form is built
    form_class = get_image_form(get_image_model())
    big = SimpleUploadedFile("photo.png", png_bytes((400, 400)), content_type="image/png")
    assert big.size > 1024
    form = form_class({"title": "Photo"}, {"file": big}, user=admin_user)
    assert not form.is_valid()
    assert "too big" in str(form.errors["file"])


def test_application_records_are_stored_encrypted_under_private_media_only():
    before = set(Path(settings.MEDIA_ROOT).rglob("*"))
    application = make_application()
    assert application.records.count() == 1
    stored = [p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()]
    assert stored, "the record is on disk under PRIVATE_MEDIA_ROOT"
    assert all(png_bytes() not in p.read_bytes() for p in stored)  # ciphertext only
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == before  # nothing public was written


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def test_no_url_serves_files_from_private_media():
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    served = [
        (route, Path(p.default_args["document_root"]).resolve())
        for route, p in _patterns(get_resolver())
        if p.callback is serve
    ]
    assert served, "the demo serves MEDIA_ROOT through django.views.static.serve"
    for route, root in served:
        assert not root.is_relative_to(private), route
        assert not private.is_relative_to(root), route


def test_private_files_are_not_reachable_through_media(client):
    make_application()
    stored = next(p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file())
    relative = stored.relative_to(settings.PRIVATE_MEDIA_ROOT)
    for path in (f"/media/{relative}", f"/media/../{Path(settings.PRIVATE_MEDIA_ROOT).name}/"):
        assert client.get(path).status_code in (400, 404), path


def test_the_system_check_refuses_private_media_inside_public_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    assert [e.id for e in private_media_has_no_public_url()] == ["clinicsite.E001"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert private_media_has_no_public_url() == []
