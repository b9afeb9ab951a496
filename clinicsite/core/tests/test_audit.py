import pytest

from clinicsite.core.audit import record
from clinicsite.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_record_appends_an_entry_naming_actor_and_object(django_user_model):
    user = django_user_model.objects.create_user(username="auditor", password="pw-x-1234567")
    entry = record(actor=user, action="test.thing", obj=user, details={"why": "testing"})
    assert (entry.actor, entry.actor_label, entry.action) == (user, "auditor", "test.thing")
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(user.pk))
    system = record(actor=None, action="test.system")
    assert system.actor_label == ""


def test_entries_cannot_be_changed_or_deleted():
    entry = record(actor=None, action="test.keep")
    entry.action = "test.changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.keep"
