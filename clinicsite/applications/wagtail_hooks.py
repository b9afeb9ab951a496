from django.urls import include, path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from clinicsite.accounts.access import VIEW

from . import admin_views

review_urls = (
    [
        path("", admin_views.queue, name="queue"),
        path("<int:pk>/", admin_views.detail, name="detail"),
        path("<int:pk>/records/<int:record_pk>/", admin_views.record_download, name="record"),
        path("<int:pk>/assign/", admin_views.assign, name="assign"),
        path("<int:pk>/note/", admin_views.add_note, name="note"),
        path("<int:pk>/decide/", admin_views.decide, name="decide"),
        path("<int:pk>/export/", admin_views.export, name="export"),
        path("<int:pk>/erase/", admin_views.erase, name="erase"),
    ],
    "applications_review",
)


@hooks.register("register_admin_urls")
def register_urls() -> list:
    return [
        path("applications/", include(review_urls)),
    ]


class ApplicationsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:  # noqa: ANN001
        return request.user.has_perm(VIEW)


@hooks.register("register_admin_menu_item")
def register_menu_item() -> MenuItem:
    return ApplicationsMenuItem(
        "Applications", reverse("applications_review:queue"), icon_name="form", order=250
    )
