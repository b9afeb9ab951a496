"""The accounts' admin screens: the second factor (``/admin/second-factor/``), the staff list
where administrators issue and reset it, and sign-in lockouts, which they see and lift."""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from django.utils import timezone

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt

from . import lockout, otp_views
from .second_factor import MANAGE

otp_urls = (
    [
        path("", otp_views.verify, name="verify"),
        path("staff/", otp_views.staff, name="staff"),
        path("staff/<int:user_id>/issue/", otp_views.issue, name="issue"),
        path("staff/<int:user_id>/reset/", otp_views.reset, name="reset"),
    ],
    "accounts_otp",
)


@hooks.register("register_admin_urls")
def register_urls() -> list:
    return [path("second-factor/", include(otp_urls))]


@hooks.register("register_settings_menu_item")
def register_staff_second_factors() -> MenuItem:
    return PermissionMenuItem(
        "Staff second factors",
        reverse("accounts_otp:staff"),
        icon_name="lock",
        order=905,
    )


class PermissionMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return request.user.has_perm(MANAGE)


class LockoutPolicy(ModelPermissionPolicy):
    """View and delete (= lift the lockout) by model permission; nobody adds or edits one."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in {"add", "change"}:
            return False
        return super().user_has_permission(user, action)


class LockoutIndexView(generic.IndexView):
    """One row per username and address (``lockout.lockout_rows``), with when it ends."""

    def get_base_queryset(self) -> Any:
        return lockout.lockout_rows()

    def get_table(self, object_list: Any) -> Any:
        rows = list(object_list)
        limit = get_failure_limit(self.request, None)
        cool_off = get_cool_off(self.request)
        now = timezone.now()
        for row in rows:
            row.locked_until = lockout.locked_until(row, limit=limit, cool_off=cool_off, now=now)
        return super().get_table(rows)


class LockoutDeleteView(generic.DeleteView):
    """ "Delete" lifts the lockout of the row's pair: every row of it, by axes' reset."""

    def delete_action(self) -> None:
        lockout.lift(self.request, self.object)


class LockoutViewSet(ModelViewSet):
    model = AccessAttempt
    icon = "lock"
    menu_label = "Sign-in lockouts"
    menu_order = 910
    add_to_settings_menu = True
    url_prefix = "sign-in-lockouts"
    name = "sign_in_lockouts"
    index_view_class = LockoutIndexView
    delete_view_class = LockoutDeleteView
    list_display = [
        "username",
        "ip_address",
        Column("total_failures", label="Wrong passwords"),
        Column("attempt_time", label="Last attempt"),
        Column("locked_until", label="Locked until"),
    ]
    search_fields = ["username", "ip_address"]
    copy_view_enabled = False
    form_fields = ["username"]  # never used: the policy forbids add and edit


register_permission_policy(AccessAttempt, LockoutPolicy(AccessAttempt))


@hooks.register("register_admin_viewset")
def register_lockout_viewset() -> ModelViewSet:
    return LockoutViewSet()
