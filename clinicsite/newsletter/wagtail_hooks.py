"""The list in the Wagtail admin: subscribers (read-only, with their consent ledger, CSV export,
one person's export and erasure) and digests (compose, preview, test, schedule).

Nobody edits a subscriber by hand: consent is only ever given or withdrawn by the subscriber.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from wagtail import hooks
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    InspectView,
)
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from clinicsite.core import audit

from . import consent
from .models import Digest, InvalidTransition, Subscriber
from .services import digests, subscribers

EXPORT = "newsletter.export_subscriber"
ERASE = "newsletter.erase_subscriber"
SEND = "newsletter.send_digest"


def _denied(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "newsletter/admin/denied.html", status=403)


def _requires(perm: str):  # noqa: ANN202 - a decorator
    def decorator(view):  # noqa: ANN001,ANN202
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(perm):
                return _denied(request)
            return view(request, *args, **kwargs)

        wrapped.required_permissions = (perm,)  # read by the URLconf-generated access test
        return wrapped

    return decorator


# --- subscribers ------------------------------------------------------------------------------


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Viewing only: subscribers are created and changed by the subscribers themselves."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)


class SubscriberIndexView(IndexView):
    @property
    def show_export_buttons(self) -> bool:
        return self.request.user.has_perm(EXPORT)

    def render_to_response(self, context: dict, **kwargs: Any) -> HttpResponse:
        if self.is_export:
            if not self.request.user.has_perm(EXPORT):
                return _denied(self.request)
            audit.record(
                action="subscriber.list_exported", request=self.request,
                details={"format": self.request.GET.get("export"),
                         "filters": {k: v for k, v in self.request.GET.items() if k != "export"},
                         "rows": self.object_list.count()},
            )  # fmt: skip
        else:
            # the list is personal data: every look at it is a read (never the search text,
            # which may be an address)
            audit.record(
                action="subscriber.list_viewed",
                obj=Subscriber,
                request=self.request,
                details={"rows": self.object_list.count()},
            )
        return super().render_to_response(context, **kwargs)


class SubscriberInspectView(InspectView):
    template_name = "newsletter/admin/subscriber_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["events"] = [
            (event, consent.wording(event.wording_version)) for event in self.object.events.all()
        ]
        context["can_export"] = self.request.user.has_perm(EXPORT)
        context["can_erase"] = self.request.user.has_perm(ERASE)
        audit.record(action="subscriber.viewed", obj=self.object, request=self.request)
        return context


@_requires(EXPORT)
def subscriber_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_object_or_404(Subscriber, pk=pk)
    data = subscribers.subscriber_export(subscriber=subscriber, request=request)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="subscriber-{subscriber.pk}.json"'
    return response


@_requires(ERASE)
def subscriber_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_object_or_404(Subscriber, pk=pk)
    if request.method == "POST":
        subscribers.subscriber_erase(subscriber=subscriber, request=request)
        messages.success(request, "The subscriber's data was erased.")
        return redirect("newsletter_subscribers:index")
    return TemplateResponse(
        request, "newsletter/admin/subscriber_erase.html", {"subscriber": subscriber}
    )


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    icon = "group"
    menu_label = "Subscribers"
    url_prefix = "newsletter/subscribers"
    name = "newsletter_subscribers"
    index_view_class = SubscriberIndexView
    inspect_view_class = SubscriberInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["language"]  # required by ModelViewSet; the edit view is never allowed
    list_display = ["email", "status", "language", "created_at", "confirmed_at"]
    list_filter = ["status", "language", "topics", "created_at"]
    search_fields = ["email"]
    list_export = ["email", "status", "language", "created_at", "confirmed_at", "unsubscribed_at"]
    export_filename = "subscribers"
    inspect_view_fields = [
        "email", "status", "language", "topics", "created_at", "confirmed_at", "unsubscribed_at",
    ]  # fmt: skip

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("export/<int:pk>/", subscriber_export_view, name="export_one"),
            path("erase/<int:pk>/", subscriber_erase_view, name="erase"),
        ]


# --- digests ----------------------------------------------------------------------------------


class DigestPolicy(ModelPermissionPolicy):
    """Only drafts can be edited or deleted; a scheduled digest is unscheduled first."""

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        if action in {"change", "delete"} and instance.status != Digest.Status.DRAFT:
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class DigestCreateView(CreateView):
    def save_instance(self) -> Digest:
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class _DraftsOnly:
    """Edit and delete views: a scheduled or sent digest is not changed under the worker."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        digest = self.get_object()
        if digest.status != Digest.Status.DRAFT:
            messages.error(request, "Only a draft can be changed: unschedule it first.")
            return redirect("newsletter_digests:inspect", digest.pk)
        return super().dispatch(request, *args, **kwargs)


class DigestEditView(_DraftsOnly, EditView):
    pass


class DigestDeleteView(_DraftsOnly, DeleteView):
    pass


class DigestInspectView(InspectView):
    template_name = "newsletter/admin/digest_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        digest = self.object
        context["progress"] = digests.digest_progress(digest)
        context["pages"] = digests.digest_pages(digest)
        context["can_send"] = self.request.user.has_perm(SEND)
        context["now"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        return context


def _digest_action(request: HttpRequest, pk: int, action) -> HttpResponse:  # noqa: ANN001
    digest = get_object_or_404(Digest, pk=pk)
    try:
        message = action(digest)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("newsletter_digests:inspect", pk)


@require_POST
@_requires(SEND)
def digest_schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("when", "").strip()
    when = None
    if raw:
        try:
            when = parse_datetime(raw) if len(raw) <= 40 else None
        except ValueError:  # well formed, impossible (month 13)
            when = None
        if when is None:
            messages.error(request, "Enter the date and time as YYYY-MM-DD HH:MM.")
            return redirect("newsletter_digests:inspect", pk)
        if timezone.is_naive(when):
            when = timezone.make_aware(when)

    def schedule(digest: Digest) -> str:
        digests.digest_schedule(digest=digest, when=when, actor=request.user, request=request)
        return "The digest is scheduled." if when else "The digest is being sent."

    return _digest_action(request, pk, schedule)


@require_POST
@_requires(SEND)
def digest_unschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    def unschedule(digest: Digest) -> str:
        digests.digest_unschedule(digest=digest, actor=request.user, request=request)
        return "The digest is a draft again."

    return _digest_action(request, pk, unschedule)


@require_POST
@_requires("newsletter.view_digest")
def digest_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    def send_test(digest: Digest) -> str:
        digests.digest_send_test(digest=digest, user=request.user, request=request)
        return f"A test copy is on its way to {request.user.email}."

    return _digest_action(request, pk, send_test)


@_requires("newsletter.view_digest")
def digest_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    from .mail import DigestComposer

    digest = get_object_or_404(Digest, pk=pk)
    composer = DigestComposer(digest, digests.digest_pages(digest))
    return TemplateResponse(
        request,
        "newsletter/admin/digest_preview.html",
        {"digest": digest, "text": composer.text, "html": composer.preview_html()},
    )


class DigestViewSet(ModelViewSet):
    model = Digest
    icon = "mail"
    menu_label = "Digests"
    url_prefix = "newsletter/digests"
    name = "newsletter_digests"
    add_view_class = DigestCreateView
    edit_view_class = DigestEditView
    delete_view_class = DigestDeleteView
    inspect_view_class = DigestInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["subject", "mode", "language", "status", "scheduled_for", "finished_at"]
    list_filter = ["status", "language"]

    def get_urlpatterns(self) -> list:
        return [
            *super().get_urlpatterns(),
            path("schedule/<int:pk>/", digest_schedule_view, name="schedule"),
            path("unschedule/<int:pk>/", digest_unschedule_view, name="unschedule"),
            path("test/<int:pk>/", digest_test_view, name="test"),
            path("preview/<int:pk>/", digest_preview_view, name="preview"),
        ]


register_permission_policy(Subscriber, ReadOnlyPolicy(Subscriber))
register_permission_policy(Digest, DigestPolicy(Digest))


class NewsletterGroup(ViewSetGroup):
    menu_label = "Newsletter"
    menu_icon = "mail"
    menu_order = 260
    items = (SubscriberViewSet, DigestViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets() -> NewsletterGroup:
    return NewsletterGroup()
