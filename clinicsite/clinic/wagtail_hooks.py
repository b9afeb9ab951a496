from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Condition, TreatmentProtocol


class ConditionViewSet(SnippetViewSet):
    model = Condition
    icon = "pick"
    list_display = ["name", "slug"]
    search_fields = ["name"]


class TreatmentProtocolViewSet(SnippetViewSet):
    model = TreatmentProtocol
    icon = "clipboard-list"
    list_display = ["name", "condition", "approval_reference", "is_active"]
    list_filter = ["condition", "is_active"]


class ClinicViewSetGroup(SnippetViewSetGroup):
    menu_label = "Clinic"
    menu_icon = "site"
    menu_order = 300
    items = (ConditionViewSet, TreatmentProtocolViewSet)


register_snippet(ClinicViewSetGroup)
