from django.contrib.auth.models import Group
from django.test import RequestFactory

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.core.audit import AuditEntry, record

pytestmark = pytest.mark.django_db


def test_record_names_who_what_which_and_where(django_user_model):
    user = django_user_model.objects.create_user("clin", password="pw")
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9")
    request.user = user
    group = Group.objects.get(name="Clinician")
    entry = record(action="group.viewed", obj=group, details={"why": "test"}, request=request)
    assert entry.actor == user
    assert entry.actor_label == "clin"
    assert entry.object_type == "auth.group"
    assert entry.object_id == str(group.pk)
    assert entry.ip_address == "10.0.0.9"


def test_entries_cannot_be_changed_or_deleted():
    entry = record(action="something.happened")
    entry.action = "something.else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "something.happened"


def test_only_administrators_browse_the_log(client, django_user_model):
    record(action="visible.entry")
    admin = django_user_model.objects.create_user("boss", password="pw")
    admin.groups.add(Group.objects.get(name="Administrator"))
    editor = django_user_model.objects.create_user("ed", password="pw")
    editor.groups.add(Group.objects.get(name="Editor"))
    verified_login(client, admin)
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    assert b"visible.entry" in response.content
    assert client.get("/admin/audit/new/").status_code in (302, 403, 404)
    client.force_login(editor)
    assert client.get("/admin/audit/").status_code in (302, 403)


def test_audit_entries_stay_out_of_wagtails_reference_index(client):
    """An audited read must not queue reference-index work: the log is not content."""
    from django.urls import reverse

    from wagtail.models import ReferenceIndex

    from clinicsite.core.models import AuditEntry

    client.get(reverse("wagtailadmin_login"))  # the admin's viewsets are registered by now
    assert AuditEntry not in ReferenceIndex.tracked_models
