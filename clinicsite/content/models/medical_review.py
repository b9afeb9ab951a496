"""Medical review: who checked a medical page, when it is due again, and the workflow task
that checks a page's evidence before it can be published (the checks: ``content.review``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Task, TaskState

from .people import Person


class MedicalReviewMixin(models.Model):
    """Who checked a medical page and when it must be checked again."""

    medical_reviewer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)

    review_panels = [
        MultiFieldPanel(
            [
                FieldPanel("medical_reviewer"),
                FieldRowPanel([FieldPanel("last_reviewed"), FieldPanel("next_review_due")]),
            ],
            heading="Medical review",
        )
    ]

    class Meta:
        abstract = True

    def clean_review_dates(self) -> None:
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            raise ValidationError(
                {"next_review_due": "The next review must come after the last one."}
            )

    @property
    def review_overdue(self) -> bool:
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())


class MedicalReviewTask(Task):
    """Workflow task that checks a page's evidence before it can be published.

    It runs by itself when the page is submitted: it approves a page that passes every check
    in ``review.page_findings`` and sends back a page that fails, listing each failing
    sentence or field. A user with ``override_medical_review`` may approve a failing page by
    giving a reason, which is written to the audit log (see ``review.override_review``).
    """

    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = "medical review task"
        verbose_name_plural = "medical review tasks"
        permissions = [("override_medical_review", "Can override failed medical review checks")]

    @classmethod
    def get_description(cls) -> str:
        return (
            "Checks cited figures, references, the reviewer's clinical credentials and the "
            "review dates; sends the page back with the exact sentence or field that failed."
        )

    @classmethod
    def get_task_state_class(cls) -> type[TaskState]:
        return MedicalReviewTaskState

    def start(self, workflow_state: Any, user: Any = None) -> TaskState:
        from ..review import run_checks_on_task_state

        task_state = super().start(workflow_state, user=user)
        return run_checks_on_task_state(task_state.specific, workflow_state, user=user)


class MedicalReviewTaskState(TaskState):
    """What the checks found for one revision, and any override of them."""

    findings = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "medical review task state"
