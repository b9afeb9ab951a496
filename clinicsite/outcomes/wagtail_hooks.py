from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from clinicsite.accounts.access import HEALTH

from . import views


@hooks.register("register_admin_urls")
def register_urls() -> list:
    return [path("outcomes/", views.dashboard, name="outcomes_dashboard")]


class OutcomesMenuItem(MenuItem):
    def is_shown(self, request) -> bool:  # noqa: ANN001
        return request.user.has_perm(HEALTH)


@hooks.register("register_admin_menu_item")
def register_menu_item() -> MenuItem:
    return OutcomesMenuItem(
        "Outcomes", reverse("outcomes_dashboard"), icon_name="list-ul", order=270
    )
