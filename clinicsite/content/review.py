"""Medical review: the checks a medical page must pass, the workflow that runs them, overrides.

``page_findings`` adapts a page (or a revision of it) to the pure checks in ``evidence``.
``run_checks_on_task_state`` is what ``MedicalReviewTask.start`` runs. ``override_review``
lets a clinician or administrator publish a page that failed, with a reason on the audit log.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, TaskState, Workflow, WorkflowPage, WorkflowState, WorkflowTask

from clinicsite.core.audit import record

from . import evidence
from .evidence import Finding
from .models import (
    ArticleIndexPage,
    ArticlePage,
    ConditionIndexPage,
    ConditionPage,
    MedicalReviewMixin,
    MedicalReviewTask,
    MedicalReviewTaskState,
)

WORKFLOW_NAME = "Medical review"
TASK_NAME = "Evidence and medical review checks"
OVERRIDE_PERMISSION = "content.override_medical_review"
OVERRIDE_ACTION = "content.medical_review.override"
MIN_REASON_LENGTH = 20

# Page fields every page has that readers see; the page type's own text fields are added.
_PAGE_TEXT_FIELDS = ("title", "seo_title", "search_description")


def _text_fields(page: Page) -> list[models.Field]:
    own = [
        f
        for f in type(page)._meta.concrete_fields
        if f.model is not Page
        and isinstance(f, (models.CharField, models.TextField, StreamField, RichTextField))
        and not f.choices
    ]
    return [Page._meta.get_field(name) for name in _PAGE_TEXT_FIELDS] + own


def page_findings(page: Page, *, today: datetime.date | None = None) -> list[Finding]:
    """Everything that stops ``page`` passing medical review, in the order of the editor."""
    today = today or timezone.localdate()
    findings: list[Finding] = []
    for field in _text_fields(page):
        label = str(field.verbose_name).capitalize()
        value = getattr(page, field.attname)
        if isinstance(field, StreamField):
            findings.extend(evidence.stream_findings(value.raw_data if value else [], label))
        elif value:
            findings.extend(evidence.text_findings(str(value), label))
    if hasattr(page, "references"):
        findings.extend(
            evidence.reference_findings(
                {name: getattr(ref, name) for name in ("authors", "title", "doi", "pmid", "url")}
                for ref in page.references.all()
            )
        )
    if isinstance(page, MedicalReviewMixin):
        person = page.medical_reviewer
        findings.extend(
            evidence.reviewer_findings(
                evidence.Reviewer(person.name, person.is_clinician, person.registration)
                if person
                else None
            )
        )
        findings.extend(
            evidence.review_date_findings(page.last_reviewed, page.next_review_due, today=today)
        )
    return findings


def findings_comment(findings: list[Finding]) -> str:
    count = len(findings)
    lines = [f"Medical review found {count} problem{'s' if count != 1 else ''}:"]
    lines += [f"{n}. {finding}" for n, finding in enumerate(findings, start=1)]
    return "\n".join(lines)


def run_checks_on_task_state(
    task_state: MedicalReviewTaskState, workflow_state: WorkflowState, *, user: Any = None
) -> MedicalReviewTaskState:
    """Approve or send back the revision under review (called from the task's ``start``)."""
    page = task_state.revision.as_object()
    findings = page_findings(page)
    task_state.findings = [f.as_dict() for f in findings]
    override = getattr(workflow_state, "_medical_review_override", None)
    if override is not None:
        actor, reason = override
        task_state.override_reason = reason
        task_state.overridden_by = actor
        task_state.save(update_fields=["findings", "override_reason", "overridden_by"])
        # update=False: WorkflowState.update, which called start(), moves the workflow on.
        task_state.approve(user=actor, update=False, comment=f"Checks overridden: {reason}")
    elif findings:
        task_state.save(update_fields=["findings"])
        task_state.reject(user=None, update=False, comment=findings_comment(findings))
    else:
        task_state.save(update_fields=["findings"])
        task_state.approve(user=None, update=False, comment="All evidence checks passed.")
    return task_state


def failed_review_state(page: Page) -> MedicalReviewTaskState | None:
    """The rejected medical review of ``page`` awaiting changes or an override, if any."""
    # Not page.current_workflow_state: it is cached, and the admin reads it before submitting.
    workflow_state = (
        WorkflowState.objects.active()
        .for_instance(page)
        .select_related("current_task_state")
        .first()
    )
    if workflow_state is None or workflow_state.status != WorkflowState.STATUS_NEEDS_CHANGES:
        return None
    task_state = workflow_state.current_task_state
    if task_state is None:
        return None
    task_state = task_state.specific
    if isinstance(task_state, MedicalReviewTaskState) and (
        task_state.status == TaskState.STATUS_REJECTED
    ):
        return task_state
    return None


def user_can_override(user: Any, page: Page) -> bool:
    """Overriding publishes the page, so it needs publish rights as well as the permission."""
    return user.has_perm(OVERRIDE_PERMISSION) and page.permissions_for_user(user).can_publish()


def validate_override_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            f"Explain why the checks should be overridden (at least {MIN_REASON_LENGTH} "
            "characters): this is kept in the audit log."
        )
    return reason[:2000]


@transaction.atomic
def override_review(*, page: Page, user: Any, reason: str, request: Any = None) -> TaskState:
    """Approve a page whose medical review failed, recording who did it and why."""
    page = page.specific
    if not user_can_override(user, page):
        raise PermissionDenied("You may not override medical review of this page.")
    reason = validate_override_reason(reason)
    failed = failed_review_state(page)
    if failed is None:
        raise ValidationError("This page has no failed medical review to override.")
    workflow_state = failed.workflow_state
    latest = page.get_latest_revision()
    record(
        actor=user,
        action=OVERRIDE_ACTION,
        obj=page,
        request=request,
        details={
            "reason": reason,
            "revision_id": latest.pk if latest else None,
            "failed_task_state_id": failed.pk,
            "findings": [f["field"] for f in failed.findings],
        },
    )
    workflow_state._medical_review_override = (user, reason)
    workflow_state.resume(user=user)
    return workflow_state.task_states.order_by("-pk").first()


# --- Setting up the workflow ---------------------------------------------------------------


def ensure_medical_review_workflow() -> Workflow:
    """Create the "Medical review" workflow and give it the article and condition sections.

    Idempotent. A section that an administrator has given another workflow keeps it.
    """
    task = MedicalReviewTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = MedicalReviewTask.objects.create(name=TASK_NAME)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for model in (ArticleIndexPage, ConditionIndexPage):
        for index_page in model.objects.all():
            WorkflowPage.objects.get_or_create(page=index_page, defaults={"workflow": workflow})
    return workflow


def is_medical_page(page: Page | None) -> bool:
    return isinstance(page, MedicalReviewMixin)


# --- Selectors for the dashboard and reminders ---------------------------------------------


def pages_due_for_review(*, within_days: int = 0, today: datetime.date | None = None) -> list:
    """Live article and condition pages whose review is due within ``within_days`` (or overdue)."""
    today = today or timezone.localdate()
    limit = today + datetime.timedelta(days=within_days)
    pages: list = []
    for model in (ArticlePage, ConditionPage):
        pages.extend(
            model.objects.live()
            .filter(next_review_due__lte=limit)
            .select_related("medical_reviewer")
        )
    return sorted(pages, key=lambda p: (p.next_review_due, p.title))
