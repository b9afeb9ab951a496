from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Person


class PersonViewSet(SnippetViewSet):
    model = Person
    icon = "user"
    menu_label = "People"
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["name", "job_title", "credentials", "is_clinician"]
    list_filter = ["is_clinician"]
    search_fields = ["name"]


register_snippet(PersonViewSet)
