"""How the admin access test sees the admin: every view found by walking the URLconf, the real
objects its URL patterns are filled with, the staff who request them and what each may see
(the tests themselves: ``test_admin_access.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Revision, Task, UploadedFile, Workflow

from axes.models import AccessAttempt

from clinicsite.accounts.roles import ADMINISTRATOR, CLINICIAN, EDITOR, INTAKE, MARKETING
from clinicsite.applications.tests.factories import make_application
from clinicsite.content.models import PatientStoryPage
from clinicsite.followups.models import AdverseEvent
from clinicsite.newsletter.models import Subscriber

from .admin_staff import ask

# Views any member of staff may open: they show the user's own things, or only what the
# user's permissions allow (empty without them), or nothing at all. Keyed by URL name.
# Every response any role gets is also searched for health data and subscribers' addresses
# (``canaries`` below), so "only what the user may see" is checked, not trusted.
_CHOOSER = "a chooser: lists only what the user may choose, or public content"
EVERY_STAFF_MEMBER: dict[str, str] = {
    "wagtailadmin_home": "the dashboard; its panels check their own permissions",
    "wagtailadmin_account": "the user's own account settings",
    "wagtailadmin_dismissibles": "the user's own dismissed hints",
    "wagtailadmin_editing_sessions:release": "ends the user's own editing session",
    "accounts_otp:verify": "enrols and checks the user's own second factor",
    "wagtailadmin_logout": "signs the user out",
    "admin/test404/": "Wagtail's static 'not found' page",
    "wagtailadmin_error_test": "Wagtail's error page test: raises, shows nothing",
    "wagtailadmin_reports:site_history": "log entries of objects the user has permissions on",
    "wagtailadmin_reports:site_history_results": "as above",
    # confirmation pages: the action itself checks page permissions (test below)
    "wagtail_bulk_action": "the confirmation of a bulk action; acting is refused",
    "wagtailadmin_pages:move_confirm": "the confirmation of a move; moving is refused",
    "wagtailadmin_pages:confirm_workflow_cancellation": "a confirmation, no action",
    "wagtailadmin_pages:choose_parent": "lists only pages the user may add under",
    "wagtailadmin_pages:revisions_index": "redirects to the page history, which refuses",
    # Wagtail's admin API for the explorer and choosers: page, image and document titles and
    # metadata, the site's public content (documents are served with their own privacy check)
    "wagtailadmin_api:pages:listing": "public content metadata",
    "wagtailadmin_api:documents:listing": "public content metadata",
    "wagtailadmin_api:documents:detail": "public content metadata",
    "wagtailadmin_api:documents:find": "redirects to the detail",
    "wagtailadmin_api:images:listing": "public content metadata",
    "wagtailadmin_api:images:detail": "public content metadata",
    "wagtailadmin_api:images:find": "redirects to the detail",
    "wagtailadmin_tag_autocomplete": "tag names (public)",
    "wagtailadmin_tag_model_autocomplete": "tag names (public)",
    "wagtailadmin_choose_page": _CHOOSER,
    "wagtailadmin_choose_page_child": _CHOOSER,
    "wagtailadmin_choose_page_search": _CHOOSER,
    "wagtailadmin_choose_page_chosen_multiple": _CHOOSER,
    "wagtailadmin_choose_page_external_link": "a form, no data",
    "wagtailadmin_choose_page_email_link": "a form, no data",
    "wagtailadmin_choose_page_phone_link": "a form, no data",
    "wagtailadmin_choose_page_anchor_link": "a form, no data",
    "wagtailembeds:chooser": "a form, no data (no oEmbed finder is configured)",
    "wagtailembeds:chooser_upload": "a form, no data",
    "wagtailadmin_workflows:task_chooser": "workflow task names; creating one needs 'add'",
    "wagtailadmin_workflows:task_chooser_results": "workflow task names",
    "wagtailadmin_workflows:task_chooser_create": "the form only; saving needs 'add' (400)",
    "wagtailadmin_workflows:task_chosen": "a task's name",
    "wagtaildocs_chooser:choose": _CHOOSER,
    "wagtaildocs_chooser:choose_results": _CHOOSER,
    "wagtaildocs_chooser:chosen_multiple": _CHOOSER,
    "wagtailimages_chooser:choose": _CHOOSER,
    "wagtailimages_chooser:choose_results": _CHOOSER,
    "wagtailimages_chooser:chosen_multiple": _CHOOSER,
    # Snippet choosers list every row of their model to any staff member (Wagtail checks no
    # permission there): conditions, protocols and people are on the public site, and the
    # questionnaires and their schedule hold no patient data.
    **{
        f"wagtailsnippetchoosers_{model}:{view}": _CHOOSER
        for model in (
            "clinic_condition",
            "clinic_treatmentprotocol",
            "content_person",
            "followups_instrument",
            "followups_timepoint",
        )
        for view in ("choose", "choose_results", "chosen", "chosen_multiple")
    },
}

# Views that refuse even the superuser here (404, or Wagtail's redirect), so a refusal below
# proves nothing for them; each says why. The calibration test keeps this list true.
SUPERUSER_NOT_FOUND: dict[str, str] = {
    "wagtailadmin_pages:workflow_action": "needs a task in progress on the page",
    "wagtailadmin_pages:collect_workflow_action_data": "needs a task in progress on the page",
    "wagtailadmin_pages:workflow_history_detail": "needs a finished workflow on the page",
    "wagtailadmin_block_preview": "needs the id of a StreamField block in the query",
    "wagtailforms:list_submissions": "the site has no form pages",
    "wagtailforms:list_submissions_results": "the site has no form pages",
    "wagtailforms:delete_submissions": "the site has no form pages",
    "wagtailsettings:preview_on_edit": "the clinic settings have no preview",
    "wagtailimages:url_generator": "images are not served dynamically (no wagtailimages_serve)",
    "wagtailimages:url_generator_output": "images are not served dynamically",
    "admin/^.*/$": "the admin's catch-all 'not found' page",
}

# Views that need no sign-in at all: signing in and resetting a forgotten password.
ANONYMOUS_ALLOWED = {
    "wagtailadmin_login",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
}

HEALTH_DATA = re.compile(r"^/admin/(applications|followups|outcomes)/")
SUBSCRIBERS = re.compile(r"^/admin/newsletter/subscribers/")


# --- the URLconf, walked -------------------------------------------------------------------


@dataclass
class AdminView:
    name: str  # "namespace:name", or the route when the pattern has no name
    route: str
    pattern: URLPattern
    params: dict[str, str]  # parameter name -> converter ("int", "str", "path", "regex"...)
    namespace: str

    @property
    def callback(self) -> Callable:
        return self.pattern.callback

    def instance(self) -> Any:
        """The class-based view as it is set up for a request (None for function views)."""
        view_class = getattr(self.callback, "view_class", None)
        if view_class is None:
            return None
        try:
            return view_class(**(getattr(self.callback, "view_initkwargs", {}) or {}))
        except TypeError:
            return None

    def attribute(self, name: str) -> Any:
        try:
            return getattr(self.instance(), name, None)
        except Exception:  # a cached property that needs a request
            return None

    def model(self) -> Any:
        model = self.attribute("model")
        return model if isinstance(model, type) else None


def _params(pattern: Any) -> dict[str, str]:
    converters = getattr(pattern, "converters", {}) or {}
    names = {name: type(conv).__name__ for name, conv in converters.items()}
    for name in pattern.regex.groupindex:
        names.setdefault(name, "regex")
    return names


def admin_views() -> list[AdminView]:
    found: list[AdminView] = []

    def walk(resolver: URLResolver, route: str, namespace: str, params: dict) -> None:
        for entry in resolver.url_patterns:
            here = route + str(entry.pattern)
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry, here, ns, {**params, **_params(entry.pattern)})
            elif here.startswith("admin/"):
                name = ":".join(filter(None, [namespace, entry.name])) if entry.name else here
                found.append(AdminView(name, here, entry, {**params, **_params(entry.pattern)},
                                       namespace))  # fmt: skip

    walk(get_resolver(), "", "", {})
    # signing out ends the session, so it comes last
    return sorted(found, key=lambda view: view.name == "wagtailadmin_logout")


# --- the data the patterns are filled with -------------------------------------------------


def build_objects(django_user_model: Any) -> dict[str, Any]:
    """One real object of every kind an admin URL names."""
    application = make_application()
    article = Page.objects.get(url_path="/home/articles/can-stem-cells-help-lupus/")
    document = get_document_model().objects.create(
        title="Leaflet", file=ContentFile(b"a leaflet", name="leaflet.txt")
    )
    story = PatientStoryPage.objects.exclude(release_document="").first()
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.models import Site

    redirect = Redirect.objects.create(old_path="/old-page", redirect_link="/")
    collection = Collection.get_first_root_node().add_child(name="Leaflets")
    stories = Page.objects.get(url_path="/home/stories/")
    alias = article.create_alias(parent=stories, update_slug="lupus-article-alias")
    uploads = {
        kind: UploadedFile.objects.create(
            for_content_type=ContentType.objects.get_for_model(model),
            file=ContentFile(b"upload", name=f"upload.{kind}"),
            uploaded_by_user=None,
        )
        for kind, model in (("docs", get_document_model()), ("images", get_image_model()))
    }
    AccessAttempt.objects.create(
        username="someone", ip_address="192.0.2.1", failures_since_start=2, user_agent="",
        path_info="/admin/login/", http_accept="", get_data="", post_data="",
    )  # fmt: skip
    return {
        "application": application,
        "record": application.records.first(),
        "article": article,
        "articles": article.get_parent(),
        "stories": stories,
        "alias": alias,
        "uploads": uploads,
        "revision": Revision.page_revisions.filter(object_id=str(article.pk)).last(),
        "document": document,
        "collection": collection,
        "redirect": redirect,
        "site": Site.objects.get(is_default_site=True),
        "first": lambda model: (
            model._default_manager.exclude(depth=1).order_by("pk").first()
            if model is Collection
            else model._default_manager.order_by("pk").first()
        ),
        "task": Task.objects.first(),
        "workflow": Workflow.objects.first(),
        "release": story.release_document.name if story else "none.pdf",
        "event": AdverseEvent.objects.first(),
        "image": get_image_model().objects.order_by("pk").first(),
        # text that must never reach a role without access to it, on any page
        "canaries": {
            "health data": [application.reference, "alex@example.org", "Mycophenolate"],
            "newsletter subscribers": list(Subscriber.objects.values_list("email", flat=True)),
        },
    }


def model_for(view: AdminView) -> Any:
    """The model a view's ``pk`` names: from the view, else from its URL namespace."""
    from django.apps import apps

    from wagtail.contrib.redirects.models import Redirect

    if (model := view.model()) is not None:
        return model
    ns = view.namespace
    if match := re.match(r"wagtailsnippet(?:chooser)?s_([a-z]+)_(\w+)$", ns):
        return apps.get_model(match[1], match[2])
    by_namespace = [
        ("wagtailadmin_api:pages", Page),
        ("wagtailadmin_api:documents", get_document_model()),
        ("wagtailadmin_api:images", get_image_model()),
        ("wagtaildocs", get_document_model()),
        ("wagtailimages", get_image_model()),
        ("wagtailredirects", Redirect),
        ("wagtailadmin_collections", Collection),
    ]
    for prefix, model in by_namespace:
        if ns.startswith(prefix):
            return model
    return None


def value_for(param: str, converter: str, view: AdminView, objects: dict[str, Any]) -> str:
    """A real object's key for this parameter where one exists, else 1."""
    first = objects["first"]
    by_name = {
        "application_pk": objects["application"].pk,
        "record_pk": objects["record"].pk,
        "page_id": objects["article"].pk,
        "page_pk": objects["article"].pk,
        "page_to_move_id": objects["article"].pk,
        "parent_page_id": objects["articles"].pk,
        "destination_id": objects["stories"].pk,
        "revision_id": objects["revision"].pk,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "document_id": objects["document"].pk,
        "doc_id": objects["document"].pk,
        "image_id": objects["image"].pk,
        "collection_id": objects["collection"].pk,
        "redirect_id": objects["redirect"].pk,
        "task_id": objects["task"].pk,
        "workflow_pk": objects["workflow"].pk,
        "name": objects["release"],
        "app_label": "content",
        "model_name": "articlepage",
        "content_type_app_name": "content",
        "content_type_model_name": "articlepage",
        "app_name": "taggit",
        "action": "delete",
        "filter_spec": "original",
        "object_id": objects["article"].pk,
    }
    # patterns whose parameters name a model or an action: a real one of each
    if view.route.startswith("admin/tag-autocomplete/"):
        by_name["model_name"] = "tag"
    if view.namespace == "wagtailsettings":
        by_name |= {"app_name": "clinic", "model_name": "clinicsettings", "pk": objects["site"].pk}
    if view.name == "wagtailadmin_pages:convert_alias":
        by_name["page_id"] = objects["alias"].pk
    if "uploaded_file_id" in view.params:
        by_name["uploaded_file_id"] = objects["uploads"][view.namespace.removeprefix("wagtail")].pk
    if view.namespace.startswith("wagtailadmin_api"):
        by_name["action_name"] = "copy"
    if view.name == "wagtail_bulk_action":
        by_name |= {"app_label": "wagtailcore", "model_name": "page"}
    if view.name == "wagtailadmin_workflows:add_task":
        task = objects["task"].specific
        by_name |= {"app_label": task._meta.app_label, "model_name": task._meta.model_name}
    if param in by_name:
        return str(by_name[param])
    if param == "pk":
        if view.route.startswith(("admin/pages/", "admin/api/main/^pages/")):
            return str(objects["article"].pk)
        if view.route.startswith("admin/applications/"):
            return str(objects["application"].pk)
        if view.route.startswith("admin/followups/adverse-events/"):
            return str(objects["event"].pk)
        if view.route.startswith("admin/workflows/tasks/"):
            return str(objects["task"].pk)
        if view.route.startswith("admin/workflows/"):
            return str(objects["workflow"].pk)
        if (model := model_for(view)) is not None and (instance := first(model)) is not None:
            return str(instance.pk)
    return "1" if converter in ("IntConverter", "regex") else "x"


# GET parameters some views need to do anything at all
QUERY = {
    "wagtail_bulk_action": "id={article}",
    "wagtailadmin_api:pages:find": "html_path=/articles/can-stem-cells-help-lupus/",
    "wagtailadmin_api:images:find": "id={image}",
    "wagtailadmin_api:documents:find": "id={document}",
}


def url_for(view: AdminView, objects: dict[str, Any]) -> str:
    kwargs = {p: value_for(p, conv, view, objects) for p, conv in view.params.items()}
    try:
        url = reverse(view.name, kwargs=kwargs) if view.pattern.name else None
    except NoReverseMatch:
        url = None
    if url is None:  # an unnamed pattern (the admin's catch-all 404, test404)
        url = "/" + re.sub(r"[\^$\\]", "", view.route.replace(".*", "x"))
    if query := QUERY.get(view.name):
        url += "?" + query.format(**{k: getattr(v, "pk", v) for k, v in objects.items()})
    return url


# --- what each view demands -----------------------------------------------------------------

# Function views that check their permission inside, with nothing to read it from.
CHECKED_INSIDE = {
    "medical_review_override": ("content.override_medical_review",),  # + publishing the page
    "story_release": ("content.view_testimonial_release",),
}
# Wagtail's icon sprite and JavaScript translations: the same static text for everyone.
PUBLIC_ASSETS = {"wagtailadmin_sprite", "wagtailadmin_javascript_catalog"}
# Views answering 500 whatever the user (checked below, so the list stays true).
SERVER_ERRORS: dict[str, str] = {
    "wagtailadmin_error_test": "Wagtail's deliberate error page (/admin/failwhale/)",
}


def permission_check(view: AdminView) -> Callable[[Any], bool] | None:
    """Who the view itself says may use it, or None where it does not say."""
    perms = getattr(view.callback, "required_permissions", None) or CHECKED_INSIDE.get(view.name)
    if perms:
        return lambda user: all(user.has_perm(perm) for perm in perms)
    policy = view.attribute("permission_policy")
    if policy is None:
        return None
    if required := view.attribute("permission_required"):
        return lambda user: policy.user_has_permission(user, required)
    if any_of := view.attribute("any_permission_required"):
        return lambda user: policy.user_has_any_permission(user, any_of)
    return None


ROLES = ["bare", EDITOR, MARKETING, INTAKE, CLINICIAN, ADMINISTRATOR]
NO_HEALTH_DATA = {"bare", EDITOR, MARKETING}
NO_SUBSCRIBERS = {"bare", EDITOR, INTAKE, CLINICIAN}


def refusal_reason(view: AdminView, url: str, role: str, user: Any) -> str | None:
    """Why this role must be refused this view (None: it may be allowed)."""
    path = url.split("?")[0]
    if HEALTH_DATA.match(path) and role in NO_HEALTH_DATA:
        return "health data"
    if SUBSCRIBERS.match(path) and role in NO_SUBSCRIBERS:
        return "newsletter subscribers"
    check = permission_check(view)
    if check is not None and not check(user):
        return "lacks the permission the view requires"
    open_to_staff = EVERY_STAFF_MEMBER.keys() | ANONYMOUS_ALLOWED | PUBLIC_ASSETS
    if role == "bare" and view.name not in open_to_staff:
        return "may only open the admin"
    return None


def planned(objects: dict, views: list[AdminView] | None = None) -> list[tuple[AdminView, str]]:
    """Every URL filled in before any request, so what one request deletes cannot change it."""
    return [(view, url_for(view, objects)) for view in views or admin_views()]


def problems(role: str, user: Any, client: Client, objects: dict, views=None) -> list[str]:
    hidden = {
        kind: texts
        for kind, texts in objects["canaries"].items()
        if role in (NO_HEALTH_DATA if kind == "health data" else NO_SUBSCRIBERS)
    }
    found = []
    for view, url in planned(objects, views):
        answer = ask(client, url)
        if answer.status >= 500 and view.name not in SERVER_ERRORS:
            found.append(f"{view.name} {url}: {answer} (server error)")
        elif (reason := refusal_reason(view, url, role, user)) and not answer.refused():
            found.append(f"{view.name} {url}: {answer} but must be refused ({reason})")
        for kind, texts in hidden.items():
            if leaked := [text for text in texts if text and text in answer.text]:
                found.append(f"{view.name} {url}: {answer} shows {kind}: {leaked}")
    return found
