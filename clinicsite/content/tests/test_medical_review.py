"""The Medical review workflow task: what it rejects, what it accepts, and overrides."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wagtail.models import Page, TaskState, WorkflowPage, WorkflowState
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.content import review
from clinicsite.content.models import (
    ArticleIndexPage,
    ArticlePage,
    ConditionIndexPage,
    ConditionPage,
    MedicalReviewTaskState,
    Person,
)
from clinicsite.core.models import AuditEntry

from .factories import COMPLETE_CLAIM, SEED, draft_article, editor, submit

pytestmark = pytest.mark.django_db


def latest_review(page):
    return MedicalReviewTaskState.objects.filter(workflow_state__object_id=str(page.pk)).latest(
        "pk"
    )


def test_articles_and_conditions_are_under_medical_review():
    for model in (ArticleIndexPage, ConditionIndexPage):
        assert WorkflowPage.objects.get(page=model.objects.get()).workflow.name == "Medical review"
    assert ArticlePage.objects.first().get_workflow().name == "Medical review"
    assert ConditionPage.objects.first().get_workflow().name == "Medical review"


def test_ensuring_the_workflow_is_idempotent():
    first = review.ensure_medical_review_workflow()
    second = review.ensure_medical_review_workflow()
    assert first.pk == second.pk
    assert [t.specific.__class__.__name__ for t in first.tasks] == ["MedicalReviewTask"]


def test_the_demo_medical_pages_pass_their_own_review():
    for model in (ArticlePage, ConditionPage):
        for page in model.objects.all():
            assert review.page_findings(page) == [], page.title


def test_the_seed_sentence_is_sent_back_with_the_exact_sentence(django_user_model):
    user = editor(django_user_model)
    page = draft_article()
    state = submit(page, user)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    page.refresh_from_db()
    assert not page.live
    task_state = latest_review(page)
    assert task_state.status == TaskState.STATUS_REJECTED
    (finding,) = task_state.findings
    assert finding["field"] == "Body, block 1 (paragraph)"
    assert finding["sentence"] == SEED
    assert SEED in task_state.comment


def test_the_same_figures_in_a_complete_claim_block_pass_and_publish(django_user_model):
    user = editor(django_user_model)
    page = draft_article(body=[("claim", COMPLETE_CLAIM)])
    state = submit(page, user)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    page.refresh_from_db()
    assert page.live
    assert latest_review(page).comment == "All evidence checks passed."


def test_figures_in_the_lede_are_caught_too(django_user_model):
    page = draft_article(body=[], lede=f"Good news. {SEED}")
    submit(page, editor(django_user_model))
    assert [f["field"] for f in latest_review(page).findings] == ["Lede"]


def test_a_reviewer_without_clinical_credentials_fails(django_user_model):
    layperson = Person.objects.create(name="Pat Writer", job_title="Copywriter")
    page = draft_article(body=[], medical_reviewer=layperson)
    submit(page, editor(django_user_model))
    messages = [f["message"] for f in latest_review(page).findings]
    assert any("Pat Writer is not recorded as a licensed clinician" in m for m in messages)
    assert any("Pat Writer has no professional registration" in m for m in messages)


def test_a_passed_review_date_fails(django_user_model):
    today = timezone.localdate()
    page = draft_article(
        body=[],
        last_reviewed=today - datetime.timedelta(days=400),
        next_review_due=today - datetime.timedelta(days=1),
    )
    submit(page, editor(django_user_model))
    (finding,) = latest_review(page).findings
    assert finding["field"] == "Next review due"
    assert "passed" in finding["message"]


def test_malformed_references_fail(django_user_model):
    from clinicsite.content.models import ArticleReference

    page = draft_article(body=[])
    page.references = [ArticleReference(authors="Broken R", title="T", doi="10.1/short")]
    page.save_revision()
    submit(page, editor(django_user_model))
    (finding,) = latest_review(page).findings
    assert finding["field"] == "Reference 1 (Broken R)"


def test_fixing_the_page_and_resubmitting_publishes_it(django_user_model):
    user = editor(django_user_model)
    page = draft_article()
    state = submit(page, user)
    page.body = [("claim", COMPLETE_CLAIM), ("paragraph", RichText("<p>Context only.</p>"))]
    page.save_revision(user=user)
    state.refresh_from_db()
    state.resume(user=user)
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    page.refresh_from_db()
    assert page.live


def test_override_needs_permission_and_a_reason_and_is_audited(django_user_model):
    page = draft_article()
    submit(page, editor(django_user_model))
    reason = "Figure quoted from the trial's own press release, source added next week."
    # editors may not override; clinicians may, but only where they can also publish
    for username, group in (("plain", "Editor"), ("clin", "Clinician")):
        with pytest.raises(PermissionDenied):
            review.override_review(
                page=page, user=editor(django_user_model, username, group), reason=reason
            )
    clinician = editor(django_user_model, "admin", group="Administrator")
    with pytest.raises(ValidationError, match="at least 20"):
        review.override_review(page=page, user=clinician, reason="because")
    assert not AuditEntry.objects.filter(action=review.OVERRIDE_ACTION).exists()

    task_state = review.override_review(page=page, user=clinician, reason=reason)
    assert task_state.specific.override_reason == reason
    page.refresh_from_db()
    assert page.live
    entry = AuditEntry.objects.get(action=review.OVERRIDE_ACTION)
    assert entry.actor == clinician
    assert entry.object_id == str(page.pk)
    assert entry.details["reason"] == reason
    assert entry.details["findings"] == ["Body, block 1 (paragraph)"]


def test_override_view_requires_a_reason_in_the_admin(client, django_user_model):
    page = draft_article()
    submit(page, editor(django_user_model))
    verified_login(client, editor(django_user_model, "clin", group="Clinician"))
    url = f"/admin/medical-review/{page.pk}/override/"
    # the clinician group may not publish pages, so cannot override either: Wagtail sends
    # users without permission back to the dashboard
    refused = client.post(url, {"reason": "A long enough reason to pass validation."})
    assert (refused.status_code, refused.url) == (302, "/admin/")
    assert not Page.objects.get(pk=page.pk).live

    admin = django_user_model.objects.create_superuser("boss", "boss@clinic.example", "pw-x-123")
    verified_login(client, admin)
    response = client.get(url)
    assert response.status_code == 200
    assert SEED in response.content.decode()
    response = client.post(url, {"reason": "short"})
    content = response.content.decode()
    assert 'aria-invalid="true"' in content
    assert "at least 20 characters" in content
    response = client.post(url, {"reason": "Approved by the medical director at today's meeting."})
    assert response.status_code == 302
    assert Page.objects.get(pk=page.pk).live
    assert AuditEntry.objects.filter(action=review.OVERRIDE_ACTION, actor=admin).count() == 1


def edit_form_data(page, action, lede):
    return nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "lede": lede,
            "body": streamfield([("paragraph", rich_text("<p>Plain context.</p>"))]),
            "references": inline_formset([]),
            "comments": inline_formset([]),
            "author": page.author_id,
            "medical_reviewer": page.medical_reviewer_id,
            "date_published": page.date_published.isoformat(),
            "last_reviewed": page.last_reviewed.isoformat(),
            "next_review_due": page.next_review_due.isoformat(),
            action: action,
        }
    )


def test_editors_cannot_publish_medical_pages_directly(client, django_user_model):
    page = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    client.force_login(editor(django_user_model))
    edit_url = f"/admin/pages/{page.pk}/edit/"
    content = client.get(edit_url).content.decode()
    assert 'name="action-publish"' not in content
    assert "Submit to Medical review" in content

    response = client.post(edit_url, edit_form_data(page, "action-publish", "Published directly?"))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.lede != "Published directly?"  # still the published text
    # ... although the form was valid: the edit was kept as a draft revision
    assert page.get_latest_revision().content["lede"] == "Published directly?"


def test_submitting_in_the_admin_tells_the_editor_which_sentence_failed(client, django_user_model):
    page = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    client.force_login(editor(django_user_model))
    edit_url = f"/admin/pages/{page.pk}/edit/"
    response = client.post(
        edit_url, edit_form_data(page, "action-submit", f"New lede. {SEED}"), follow=True
    )
    content = response.content.decode()
    assert "Medical review sent" in content
    assert "Lede" in content
    assert SEED in content
    page.refresh_from_db()
    assert SEED not in page.lede
    assert page.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_the_editor_sees_the_checks_while_editing(admin_client):
    page = draft_article()
    content = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "Medical review would send this version back (1 problem)" in content
    assert SEED in content
    demo = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    content = admin_client.get(f"/admin/pages/{demo.pk}/edit/").content.decode()
    assert "Evidence check: no problems found" in content


def test_load_demo_keeps_the_workflow_assigned_without_duplicates():
    from django.core.management import call_command

    from wagtail.models import Task, Workflow

    before = (Workflow.objects.count(), Task.objects.count(), WorkflowPage.objects.count())
    call_command("load_demo", verbosity=0)
    after = (Workflow.objects.count(), Task.objects.count(), WorkflowPage.objects.count())
    assert before == after
    assert ArticlePage.objects.get(slug="can-stem-cells-help-lupus").get_workflow().name == (
        "Medical review"
    )


def test_the_override_action_is_offered_only_after_a_failed_review(admin_client, django_user_model):
    page = draft_article()
    edit_url = f"/admin/pages/{page.pk}/edit/"
    assert "Override medical review" not in admin_client.get(edit_url).content.decode()
    submit(page, editor(django_user_model))
    content = admin_client.get(edit_url).content.decode()
    assert f'href="/admin/medical-review/{page.pk}/override/"' in content
