from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import AuditEntry


class AuditPermissionPolicy(ModelPermissionPolicy):
    """Only administrators may browse the log; nobody may add, change or delete through the app."""

    def user_has_permission(self, user, action):  # noqa: ANN001, ANN201
        if action in ("add", "change", "delete"):
            return False
        return user.is_active and (
            user.is_superuser or user.groups.filter(name="Administrator").exists()
        )

    def user_has_any_permission(self, user, actions):  # noqa: ANN001, ANN201
        return any(self.user_has_permission(user, action) for action in actions)


class AuditEntryViewSet(ModelViewSet):
    model = AuditEntry
    icon = "list-ul"
    menu_label = "Audit log"
    menu_order = 900
    add_to_settings_menu = True
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_id"]
    inspect_view_enabled = True
    form_fields = ["action"]  # never used: the policy forbids add and edit
    # Entries are not content: indexing them would queue a reference-index task (a database
    # write, then a worker's job) for every audited action, and list them as "usages".
    add_to_reference_index = False


register_permission_policy(AuditEntry, AuditPermissionPolicy(AuditEntry))
audit_entry_viewset = AuditEntryViewSet("audit")


@hooks.register("register_admin_viewset")
def register_audit_viewset() -> ModelViewSet:
    return audit_entry_viewset
