"""Every view under /admin/, found by walking the URLconf (Wagtail's own, the viewsets and the
apps' admin views), requested as each staff role: who lacks the permission is refused.

Nothing here lists the views to check. Each URL pattern is filled with the pk of a real object
(or 1) and requested; what a role may do is read from the view itself where it says so
(Wagtail's ``permission_policy`` + ``permission_required``, ``staff_view``'s and the newsletter
decorator's ``required_permissions``). Policy that holds whatever the permissions say is
asserted on top: health data never reaches Editor or Marketing, subscribers never reach
Editor, Intake or Clinician, and a user who may only open the admin gets no 200 anywhere but
the views in ``EVERY_STAFF_MEMBER``. A new admin view that forgets its permission check fails
here the day it is added.

A superuser with a verified second factor opens every view first, so a refusal below is a
real refusal, not a pattern filled with an object that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, reverse

from wagtail.admin.auth import require_admin_access
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Revision, Task, UploadedFile, Workflow

import pytest
from axes.models import AccessAttempt

from clinicsite import urls as site_urls
from clinicsite.accounts.roles import ADMINISTRATOR, CLINICIAN, EDITOR, INTAKE, MARKETING
from clinicsite.applications.tests.factories import make_application
from clinicsite.applications.tests.test_review_admin import code_for
from clinicsite.content.models import PatientStoryPage
from clinicsite.followups.models import AdverseEvent
from clinicsite.newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

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
LOGIN = "/admin/login/"
SECOND_FACTOR = "/admin/second-factor/"


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


@pytest.fixture
def objects(django_user_model) -> dict[str, Any]:
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


# --- who asks ------------------------------------------------------------------------------


def member(django_user_model, username: str, *roles: str, **fields: Any):
    user = django_user_model.objects.create_user(username, email=f"{username}@clinic.example")
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def signed_in(user, *, second_factor: bool) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    if second_factor:  # enrol and verify TOTP through the real form
        client.get(SECOND_FACTOR)
        device = user.totpdevice_set.get()
        response = client.post(SECOND_FACTOR, {"token": code_for(device), "next": "/admin/"})
        assert response.status_code == 302, response.content
    return client


@pytest.fixture
def people(django_user_model) -> dict[str, Any]:
    bare = member(django_user_model, "bare")
    bare.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return {
        "bare": bare,
        EDITOR: member(django_user_model, "editor", EDITOR),
        MARKETING: member(django_user_model, "marketing", MARKETING),
        INTAKE: member(django_user_model, "intake", INTAKE),
        CLINICIAN: member(django_user_model, "clinician", CLINICIAN),
        ADMINISTRATOR: member(django_user_model, "administrator", ADMINISTRATOR),
        "superuser": member(django_user_model, "root", is_superuser=True, is_staff=True),
    }


NEEDS_SECOND_FACTOR = {CLINICIAN, ADMINISTRATOR, "superuser"}  # they read or export data


@dataclass
class Answer:
    method: str
    status: int
    location: str
    messages: list[str]
    text: str
    script_src: str  # the script-src directive of its Content-Security-Policy

    def refused(self) -> bool:
        """403, 404 or a redirect to sign-in, the second factor or Wagtail's "no permission"."""
        if self.status in (403, 404):
            return True
        if self.status in (301, 302):
            if self.location.startswith((LOGIN, SECOND_FACTOR)):
                return True
            return self.location == "/admin/" and any("permission" in m for m in self.messages)
        return False

    def __str__(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.method} {self.status}{where}"


def ask(client: Client, url: str, *, post: bool = True) -> Answer:
    """GET, or an empty POST where the view takes only POST (unless ``post`` is false)."""
    response = client.get(url)
    method = "GET"
    if response.status_code == 405 and post:
        response = client.post(url, {})
        method = "POST"
    return Answer(
        method=method,
        status=response.status_code,
        location=urlsplit(response.get("Location", "")).path,
        messages=[str(m) for m in get_messages(response.wsgi_request)],
        text="" if response.streaming else response.content.decode(errors="replace"),
        script_src=" ".join(
            d for d in response.get("Content-Security-Policy", "").split(";") if "script-src" in d
        ),
    )


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


# --- the tests -------------------------------------------------------------------------------


def test_the_walk_finds_wagtails_views_and_every_apps_admin_views():
    names = {view.name for view in admin_views()}
    assert len(names) > 250
    for expected in (
        "wagtailadmin_home", "wagtailadmin_pages:edit", "wagtailimages:index",
        "applications_review:queue", "applications_review:record", "applications_review:erase",
        "followups_admin:adverse_event", "followups_admin:record_treatment",
        "outcomes_dashboard", "newsletter_subscribers:index", "newsletter_subscribers:export_one",
        "newsletter_digests:schedule", "medical_review_override", "story_release",
        "audit:index", "sign_in_lockouts:index", "wagtailsnippets_content_person:edit",
    ):  # fmt: skip
        assert expected in names, expected


def test_the_superuser_reaches_every_admin_view(objects, people):
    """So a refusal below is a refusal: the filled-in URL works for someone allowed. Only GET
    (a POST-only view answering 405 was reached), so nothing is deleted on the way. No
    response's script-src allows inline code or eval."""
    superuser = people["superuser"]
    client = signed_in(superuser, second_factor=True)
    found = []
    for view, url in planned(objects):
        if view.name == "wagtailadmin_logout":
            continue  # its redirect to the sign-in page is its success
        answer = ask(client, url, post=False)
        check = permission_check(view)
        if (
            check is not None and not check(superuser)
        ) or view.name in SUPERUSER_NOT_FOUND:  # a policy that refuses everyone
            ok = answer.refused()
        elif view.name in SERVER_ERRORS:
            ok = answer.status >= 500
        else:
            ok = answer.status < 500 and not answer.refused()
        if not ok:
            found.append(f"{view.name} {url}: {answer}")
        if not answer.script_src.strip().startswith("script-src 'self'"):
            found.append(f"{view.name} {url}: no script-src 'self' in its CSP")
        if "unsafe-inline" in answer.script_src or "unsafe-eval" in answer.script_src:
            found.append(f"{view.name} {url}: {answer.script_src}")
    assert found == [], "\n".join(found)


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(objects):
    client = Client(raise_request_exception=False)
    found = []
    for view, url in planned(objects):
        if view.name in ANONYMOUS_ALLOWED | PUBLIC_ASSETS:
            continue
        answer = ask(client, url)
        if not (answer.status == 302 and answer.location == LOGIN):
            found.append(f"{view.name} {url}: {answer}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("role", ROLES)
def test_staff_are_refused_every_admin_view_their_role_does_not_allow(objects, people, role):
    user = people[role]
    client = signed_in(user, second_factor=role in NEEDS_SECOND_FACTOR)
    found = problems(role, user, client, objects)
    assert found == [], "\n".join(found)


def _forgot_its_check(request: Any, pk: int) -> HttpResponse:
    return HttpResponse(f"application {pk}: everything about it")


# The site's URLconf plus one admin view that forgot its permission check, wrapped the way
# Wagtail wraps views registered by a hook (signed-in staff only, nothing more).
urlpatterns = [
    path("admin/leak/<int:pk>/", require_admin_access(_forgot_its_check), name="leak"),
    *site_urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_an_admin_view_without_a_permission_check_is_caught(objects, people):
    """The role test above fails the day someone adds such a view."""
    views = [view for view in admin_views() if view.name == "leak"]
    assert len(views) == 1
    client = signed_in(people["bare"], second_factor=False)
    found = problems("bare", people["bare"], client, objects, views=views)
    assert found == ["leak /admin/leak/1/: GET 200 but must be refused (may only open the admin)"]
    anonymous = ask(Client(), "/admin/leak/1/")
    assert (anonymous.status, anonymous.location) == (302, LOGIN)


def test_confirmation_pages_open_to_all_staff_do_not_act_for_them(objects, people):
    """Their POST is what acts, and it checks the page permissions."""
    client = signed_in(people["bare"], second_factor=False)
    article, stories = objects["article"], objects["stories"]
    client.post(reverse("wagtailadmin_pages:move_confirm", args=[article.pk, stories.pk]))
    client.post(
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"]) + f"?id={article.pk}"
    )
    article.refresh_from_db()
    assert article.get_parent().pk == objects["articles"].pk
    created = client.post(
        reverse("wagtailadmin_workflows:task_chooser_create"), {"create-task-name": "Mine"}
    )
    assert created.status_code == 400
    assert not Task.objects.filter(name="Mine").exists()


def test_the_canaries_are_there_for_those_allowed_to_see_them(objects, people):
    """Otherwise searching every other role's pages for them would prove nothing."""
    clinician = signed_in(people[CLINICIAN], second_factor=True)
    detail = ask(clinician, reverse("applications_review:detail", args=[objects["application"].pk]))
    for text in objects["canaries"]["health data"]:
        assert text in detail.text, text
    marketing = signed_in(people[MARKETING], second_factor=False)
    subscribers = ask(marketing, reverse("newsletter_subscribers:index"))
    assert objects["canaries"]["newsletter subscribers"]
    for text in objects["canaries"]["newsletter subscribers"]:
        assert text in subscribers.text, text
