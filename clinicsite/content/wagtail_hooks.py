from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from wagtail import hooks
from wagtail.admin.action_menu import ActionMenuItem
from wagtail.admin.ui.components import Component
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views, review
from .models import ArticleIndexPage, ConditionIndexPage, Person
from .stories import stories_consent_due


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


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    return [
        path(
            "medical-review/<int:page_id>/override/",
            admin_views.override_medical_review,
            name="medical_review_override",
        ),
        path("story-releases/<path:name>", admin_views.story_release, name="story_release"),
    ]


# --- Medical pages are published only through the Medical review workflow -------------------

MEDICAL_SECTIONS = (ArticleIndexPage, ConditionIndexPage)


def _is_medical(context: dict[str, Any]) -> bool:
    page = context.get("page")
    if page is not None:
        return review.is_medical_page(page.specific)
    parent = context.get("parent_page")
    return parent is not None and parent.specific_class in MEDICAL_SECTIONS


@hooks.register("construct_page_action_menu")
def hide_direct_publish(menu_items: list, request: HttpRequest, context: dict) -> None:
    if _is_medical(context):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


def _publish_refused(request: HttpRequest) -> None:
    messages.error(
        request,
        "Articles and condition pages are published through Medical review: use "
        "“Submit to Medical review”. The checks publish the page when it passes.",
    )


@hooks.register("before_publish_page")
def refuse_direct_publish(request: HttpRequest, page: Page) -> HttpResponse | None:
    if review.is_medical_page(page.specific):
        _publish_refused(request)
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_publish(
    request: HttpRequest, action_type: str, objects: list, action: Any
) -> HttpResponse | None:
    if action_type == "publish" and any(
        review.is_medical_page(getattr(obj, "specific", obj)) for obj in objects
    ):
        _publish_refused(request)
        return redirect("wagtailadmin_home")
    return None


def _report_failed_review(request: HttpRequest, page: Page) -> None:
    """Tell the editor, right after submitting, exactly what the checks found."""
    if not (request.method == "POST" and request.POST.get("action-submit")):
        return
    failed = review.failed_review_state(page)
    if failed is None:
        return
    items = format_html_join(
        "",
        "<li><strong>{}</strong>: {}</li>",
        ((f["field"], f["message"]) for f in failed.findings),
    )
    messages.error(
        request,
        format_html(
            "Medical review sent “{}” back. Fix these and submit again:<ul>{}</ul>",
            page.get_admin_display_title(),
            items,
        ),
    )


@hooks.register("after_edit_page")
def report_after_edit(request: HttpRequest, page: Page) -> None:
    _report_failed_review(request, page)


@hooks.register("after_create_page")
def report_after_create(request: HttpRequest, page: Page) -> None:
    _report_failed_review(request, page)


class OverrideReviewMenuItem(ActionMenuItem):
    label = "Override medical review…"
    name = "action-override-medical-review"
    icon_name = "warning"
    order = 900

    def is_shown(self, context: dict) -> bool:
        page = context.get("page")
        return (
            context["view"] == "edit"
            and page is not None
            and review.user_can_override(context["request"].user, page)
            and review.failed_review_state(page) is not None
        )

    def get_url(self, parent_context: dict) -> str:
        return reverse("medical_review_override", args=[parent_context["page"].pk])


@hooks.register("register_page_action_menu_item")
def register_override_menu_item() -> ActionMenuItem:
    return OverrideReviewMenuItem()


# --- Dashboard ------------------------------------------------------------------------------


class ReviewsDuePanel(Component):
    name = "reviews_due"
    order = 110

    def render_html(self, parent_context: dict | None = None) -> str:
        pages = review.pages_due_for_review(within_days=30)
        return render_to_string(
            "content/admin/reviews_due_panel.html",
            {"pages": pages, "today": timezone.localdate()},
        )


class StoryConsentPanel(Component):
    name = "story_consent"
    order = 120

    def render_html(self, parent_context: dict | None = None) -> str:
        return render_to_string(
            "content/admin/story_consent_panel.html",
            {"stories": stories_consent_due(within_days=30)},
        )


@hooks.register("construct_homepage_panels")
def add_review_panels(request: HttpRequest, panels: list) -> None:
    if request.user.has_perm("wagtailadmin.access_admin"):
        panels.append(ReviewsDuePanel())
        panels.append(StoryConsentPanel())
