import datetime
import hashlib
import re
import shutil
from pathlib import Path

from django.core.management import call_command

from wagtail.models import Page, Site

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.clinic.models import Condition, Criterion, TreatmentProtocol
from clinicsite.content.demo.loader import DATA_DIR, DemoDataError, load
from clinicsite.content.models import (
    Accreditation,
    ArticlePage,
    ArticleReference,
    PatientStoryPage,
    Person,
    ProgressUpdate,
)
from clinicsite.core.models import ClinicImage

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Page,
            Person,
            Condition,
            TreatmentProtocol,
            Criterion,
            ClinicImage,
            Site,
            ArticleReference,
            ProgressUpdate,
            Accreditation,
        )
    }


def test_load_demo_is_idempotent():
    before = counts()
    call_command("load_demo", verbosity=0)
    assert counts() == before


NEW_STORY = """\
title: "Zara's story: a fourth fictional patient"
patient_display_name: Zara (fictional)
is_fictional: false
condition: multiple-sclerosis
summary: A story added to the demo by adding this file.
palette: green
treated_days_ago: 90
material_connection: none
selection_method: every_patient
updates:
  - after_days: 14
    quote: Tired for a week, then back to normal.
  - after_days: 61
    quote: No relapse so far.
    note: Two months is too early to tell.
"""


def test_a_story_is_added_by_adding_a_data_file(tmp_path):
    data = shutil.copytree(DATA_DIR, tmp_path / "demo")
    (data / "stories" / "zaras-story.yaml").write_text(NEW_STORY)
    load(data)
    story = PatientStoryPage.objects.live().get(slug="zaras-story")
    assert story.get_parent().slug == "stories"
    assert story.is_fictional  # whatever the file says
    assert story.protocol.condition.slug == "multiple-sclerosis"
    assert story.statement_date - story.treatment_date == datetime.timedelta(days=61)
    assert [u.time_since_treatment for u in story.updates.all()] == ["2 weeks", "2 months"]
    assert story.updates.last().note == "Two months is too early to tell."
    assert PatientStoryPage.objects.live().count() == 4


def test_a_data_error_names_its_file(tmp_path):
    data = shutil.copytree(DATA_DIR, tmp_path / "demo")
    (data / "stories" / "zaras-story.yaml").write_text(NEW_STORY + "favourite_colour: green\n")
    with pytest.raises(DemoDataError, match=r"stories/zaras-story\.yaml.*favourite_colour"):
        load(data)


def test_loading_leaves_no_task_queued_for_a_page_it_deletes(settings):
    """Wagtail's install leaves a plain welcome page, which the loader replaces. Tasks queued
    by the load (search and reference index) all run: none names the deleted page."""
    root = Page.get_first_root_node()
    welcome = root.add_child(
        instance=Page(title="Welcome to your new Wagtail site!", slug="welcome")
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    load()
    assert not Page.objects.filter(pk=welcome.pk).exists()
    queued = list(DBTaskResult.objects.ready())
    assert queued
    for result in queued:  # as the worker would run them
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


def test_demo_has_the_promised_content():
    article = ArticlePage.objects.live().get(slug="can-stem-cells-help-lupus")
    assert article.author
    assert article.medical_reviewer
    assert article.last_reviewed
    assert article.next_review_due
    references = list(article.references.all())
    assert len(references) == 5
    assert {"10.1136/annrheumdis-2017-211073", "10.1186/ar4520"} <= {r.doi for r in references}
    for ref in references:
        ref.full_clean(exclude=["page"])
    assert set(Condition.objects.values_list("slug", flat=True)) == {"lupus", "multiple-sclerosis"}
    stories = PatientStoryPage.objects.live()
    assert stories.count() == 3
    for story in stories:
        assert story.is_fictional
        labels = [update.time_since_treatment for update in story.updates.all()]
        assert labels == ["2 weeks", "2 months", "5 months"]


def _shingles(text: str, n: int = 8) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    runs = (" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return {hashlib.sha256(run.encode()).hexdigest()[:16] for run in runs}


def test_demo_never_reuses_the_reference_pages_wording(client):
    """No run of 8 words on any demo page stands on the reference page (compared by hash)."""
    reference = {
        line.strip()
        for line in (Path(__file__).parent / "reference_shingles.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert len(reference) > 1000
    pages = [p for p in Page.objects.live().specific() if p.url]
    assert len(pages) >= 8
    copied = {}
    for page in pages:
        html = client.get(page.url).content.decode()
        text = re.sub(r"<[^>]+>", " ", html)
        if found := _shingles(text) & reference:
            copied[page.url] = len(found)
    assert not copied, f"pages sharing 8-word runs with the reference page: {copied}"


def test_site_address_follows_the_configured_base_url(settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8123"
    call_command("load_demo", verbosity=0)
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8123)
