from django.urls import include, path, reverse
from django.utils.html import format_html

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from clinicsite.accounts.access import HEALTH

from . import admin_views
from .models import AdverseEvent, Instrument, TimePoint

admin_urls = (
    [
        path("adverse-events/", admin_views.adverse_events, name="adverse_events"),
        path("adverse-events/<int:pk>/", admin_views.adverse_event, name="adverse_event"),
        path(
            "treatments/new/<int:application_pk>/",
            admin_views.record_treatment,
            name="record_treatment",
        ),
    ],
    "followups_admin",
)


@hooks.register("register_admin_urls")
def register_urls() -> list:
    return [path("followups/", include(admin_urls))]


def open_events() -> int:
    return AdverseEvent.objects.exclude(status=AdverseEvent.Status.ACKNOWLEDGED).count()


class AdverseEventsMenuItem(MenuItem):
    """Shows clinicians how many adverse events are waiting, in the menu label itself."""

    def is_shown(self, request) -> bool:  # noqa: ANN001
        return request.user.has_perm(HEALTH)

    def get_context(self, request):  # noqa: ANN001, ANN201
        context = super().get_context(request)
        waiting = open_events()
        if waiting:
            context["label"] = f"Adverse events ({waiting} open)"
        return context


@hooks.register("register_admin_menu_item")
def register_menu_item() -> MenuItem:
    return AdverseEventsMenuItem(
        "Adverse events", reverse("followups_admin:adverse_events"), icon_name="warning", order=260
    )


class AdverseEventPanel(Component):
    """Dashboard badge: open adverse events, for clinicians only (a Wagtail ``Component``, so
    the dashboard can collect its media like any other panel's)."""

    name = "adverse_events"
    order = 10

    def __init__(self, count: int) -> None:
        self.count = count

    def render_html(self, parent_context: dict | None = None) -> str:
        return format_html(
            '<section class="w-panel" aria-labelledby="ae-badge"><h2 id="ae-badge">'
            'Adverse events</h2><p><a href="{}"><strong>{} open</strong> – review and grade</a>'
            "</p></section>",
            reverse("followups_admin:adverse_events"),
            self.count,
        )


@hooks.register("construct_homepage_panels")
def add_adverse_event_panel(request, panels) -> None:  # noqa: ANN001
    if request.user.has_perm(HEALTH):
        count = open_events()
        if count:
            panels.insert(0, AdverseEventPanel(count))


class InstrumentViewSet(SnippetViewSet):
    model = Instrument
    icon = "form"
    menu_label = "Questionnaires"
    list_display = ["name", "is_adverse_event_set", "is_active"]


class TimePointViewSet(SnippetViewSet):
    model = TimePoint
    icon = "time"
    menu_label = "Follow-up schedule"
    list_display = ["protocol", "label", "months", "days"]
    list_filter = ["protocol"]


register_snippet(InstrumentViewSet)
register_snippet(TimePointViewSet)
