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

from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from wagtail.admin.auth import require_admin_access
from wagtail.models import Task

import pytest

from clinicsite import urls as site_urls
from clinicsite.accounts.roles import CLINICIAN, MARKETING

from .admin_staff import LOGIN, NEEDS_SECOND_FACTOR, SECOND_FACTOR, ask, build_people, signed_in
from .admin_urls import (
    ANONYMOUS_ALLOWED,
    PUBLIC_ASSETS,
    ROLES,
    SERVER_ERRORS,
    SUPERUSER_NOT_FOUND,
    admin_views,
    build_objects,
    permission_check,
    planned,
    problems,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(django_user_model) -> dict[str, Any]:
    return build_objects(django_user_model)


@pytest.fixture
def people(django_user_model) -> dict[str, Any]:
    return build_people(django_user_model)


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
    marketing = signed_in(people[MARKETING], second_factor=True)
    subscribers = ask(marketing, reverse("newsletter_subscribers:index"))
    assert objects["canaries"]["newsletter subscribers"]
    for text in objects["canaries"]["newsletter subscribers"]:
        assert text in subscribers.text, text


# Reachable with a password alone: signing in and out, the second factor itself, assets.
PASSWORD_ONLY_OPEN = ANONYMOUS_ALLOWED | PUBLIC_ASSETS | {"wagtailadmin_logout"}


@pytest.mark.parametrize("role", sorted(NEEDS_SECOND_FACTOR))
def test_a_password_only_session_reaches_nothing_but_the_second_factor(objects, people, role):
    """Wagtail's own views included (users, groups, snippets, reports): every one sends a
    password-only session of a second-factor account to the second factor, or refuses it."""
    client = signed_in(people[role], second_factor=False)
    found = []
    for view, url in planned(objects):
        if view.name in PASSWORD_ONLY_OPEN or view.name.startswith("accounts_otp:"):
            continue
        answer = ask(client, url)
        if answer.status in (403, 404):
            continue
        if answer.status == 302 and answer.location == SECOND_FACTOR:
            continue
        found.append(f"{view.name} {url}: {answer}")
    assert found == [], "\n".join(found)
    for canary in (
        objects["canaries"]["health data"] + objects["canaries"]["newsletter subscribers"]
    ):
        assert canary not in ask(client, "/admin/").text
