"""Admin views for medical review overrides and private testimonial releases (thin)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from wagtail.models import Page, Revision

from clinicsite.core import audit

from . import review
from .models import PatientStoryPage, release_storage


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why should this page be published despite the failed checks?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text="Kept in the audit log with your name and the page version.",
    )

    def clean_reason(self) -> str:
        return review.validate_override_reason(self.cleaned_data["reason"])


def override_medical_review(request: HttpRequest, page_id: int) -> HttpResponse:
    page = get_object_or_404(Page, pk=page_id).specific
    if not review.user_can_override(request.user, page):
        raise PermissionDenied
    failed = review.failed_review_state(page)
    if failed is None:
        messages.error(request, "This page has no failed medical review to override.")
        return redirect("wagtailadmin_pages:edit", page.pk)
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.override_review(
                page=page, user=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Medical review of “{page.get_admin_display_title()}” overridden; "
                "the override is in the audit log.",
            )
            return redirect("wagtailadmin_pages:edit", page.pk)
    return TemplateResponse(
        request,
        "content/admin/override_medical_review.html",
        {"page": page, "failed": failed, "form": form},
    )


def _story_of_release(name: str) -> Page | None:
    """The story whose signed release ``name`` is: live, or in a draft not yet published."""
    story = PatientStoryPage.objects.filter(release_document=name).first()
    if story is not None:
        return story
    revision = (
        Revision.objects.page_revisions()
        .filter(content__release_document=name)
        .order_by("-pk")
        .first()
    )
    return revision.content_object if revision is not None else None


def story_release(request: HttpRequest, name: str) -> FileResponse:
    """Stream a signed release to staff allowed to see it; no public URL exists.

    Only a file that is some story's release is served, and each download is audited against
    that story (never with the file name, which may carry the patient's name).
    """
    if not request.user.has_perm("content.view_testimonial_release"):
        raise PermissionDenied
    storage = release_storage()
    if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
        raise Http404
    story = _story_of_release(name)
    if story is None:
        raise Http404
    try:
        if not storage.exists(name):
            raise Http404
        handle = storage.open(name, "rb")
    except (SuspiciousFileOperation, OSError) as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=PurePosixPath(name).name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    audit.record(action="story.release_downloaded", obj=story, request=request)
    return response
