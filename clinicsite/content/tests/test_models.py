import datetime

from django.core.exceptions import ValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.content.models import ArticlePage, ArticleReference, PatientStoryPage, time_since


@pytest.mark.parametrize(
    ("days", "label"),
    [(0, "0 days"), (1, "1 day"), (14, "2 weeks"), (15, "2 weeks"), (61, "2 months"),
     (150, "5 months"), (152, "5 months"), (365, "12 months"), (800, "2 years")],
)  # fmt: skip
def test_time_since_treatment_reads_like_a_patient_would_say_it(days, label):
    start = datetime.date(2024, 2, 29)
    assert time_since(start, start + datetime.timedelta(days=days)) == label


@given(st.dates(max_value=datetime.date(2100, 1, 1)), st.integers(min_value=0, max_value=20_000))
def test_time_since_never_fails_and_never_goes_backwards(start, days):
    end = start + datetime.timedelta(days=days)
    label = time_since(start, end)
    number, unit = label.split(" ")
    assert int(number) >= 0
    assert unit in {"day", "days", "weeks", "month", "months", "years"}


def test_time_since_refuses_an_end_before_the_start():
    with pytest.raises(ValueError, match="before"):
        time_since(datetime.date(2025, 1, 2), datetime.date(2025, 1, 1))


def test_a_reference_needs_a_way_to_find_it():
    ref = ArticleReference(authors="A B", title="T", journal="J", year=2020)
    with pytest.raises(ValidationError, match="DOI, a PMID or a URL"):
        ref.clean()


def test_a_reference_year_must_be_plausible():
    ref = ArticleReference(authors="A", title="T", year=3020, pmid="123")
    with pytest.raises(ValidationError) as excinfo:
        ref.clean()
    assert "year" in excinfo.value.message_dict


def test_reference_doi_is_normalised_and_linked():
    ref = ArticleReference(authors="A", title="T", doi="https://doi.org/10.1186/ar4520")
    ref.clean()
    assert ref.doi == "10.1186/ar4520"
    assert ref.link == "https://doi.org/10.1186/ar4520"


@pytest.mark.django_db
def test_review_must_come_after_the_last_one():
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    article.next_review_due = article.last_reviewed
    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()
    assert "next_review_due" in excinfo.value.message_dict


@pytest.mark.django_db
def test_story_treatment_date_cannot_be_in_the_future():
    story = PatientStoryPage.objects.live().first()
    story.treatment_date = datetime.date.today() + datetime.timedelta(days=3)
    with pytest.raises(ValidationError) as excinfo:
        story.full_clean()
    assert "treatment_date" in excinfo.value.message_dict
