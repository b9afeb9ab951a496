"""Screening rules, proved over generated criteria and answers with hypothesis."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from clinicsite.applications.screening import (
    CriterionSpec,
    Outcome,
    derive_answers,
    screen,
)

KEYS = ["age", "pregnant", "flares_last_year", "diagnosis_confirmed", "country"]
RANK = {Outcome.ELIGIBLE: 0, Outcome.NEEDS_REVIEW: 1, Outcome.NOT_ELIGIBLE: 2}

scalar = st.one_of(
    st.booleans(),
    st.integers(min_value=-5, max_value=120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
)
answers_st = st.dictionaries(st.sampled_from(KEYS), scalar)
value_st = st.one_of(
    st.booleans(),
    st.integers(-5, 120).map(float),
    st.text(max_size=5),
    st.lists(scalar, max_size=3).map(tuple),
)
criterion_st = st.builds(
    CriterionSpec,
    id=st.integers(1, 10_000),
    kind=st.sampled_from(["inclusion", "exclusion"]),
    answer=st.sampled_from(KEYS),
    operator=st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "in"]),
    value=value_st,
    explanation=st.text(max_size=20),
)
criteria_st = st.lists(criterion_st, max_size=8)


@given(answers_st, criteria_st)
def test_outcome_is_one_of_three_and_never_accepts(answers, criteria):
    result = screen(answers, criteria)
    assert result.outcome in {"eligible", "needs_review", "not_eligible"}
    assert result.outcome != "accepted"
    assert set(result.deciding) <= set(criteria)


@given(answers_st, criteria_st)
def test_eligible_only_when_every_criterion_passed(answers, criteria):
    result = screen(answers, criteria)
    if result.outcome == Outcome.ELIGIBLE:
        assert criteria, "no criteria must never mean eligible"
        assert result.deciding == ()
        for spec in criteria:  # each criterion alone must also pass
            assert screen(answers, [spec]).outcome == Outcome.ELIGIBLE
    else:
        assert result.deciding or not criteria, "a refusal or a review always names why"


@given(answers_st, criteria_st, criterion_st)
def test_adding_a_criterion_never_makes_an_applicant_more_eligible(answers, criteria, extra):
    before = screen(answers, criteria)
    after = screen(answers, [*criteria, extra])
    if criteria:
        assert RANK[after.outcome] >= RANK[before.outcome]


@given(answers_st, criteria_st, st.randoms())
def test_order_of_criteria_does_not_matter(answers, criteria, rnd):
    shuffled = list(criteria)
    rnd.shuffle(shuffled)
    a, b = screen(answers, criteria), screen(answers, shuffled)
    assert a.outcome == b.outcome
    assert set(a.deciding) == set(b.deciding)


@given(answers_st, criteria_st, st.sampled_from(KEYS))
def test_a_missing_answer_is_never_eligible(answers, criteria, key):
    reading = CriterionSpec(id=1, kind="inclusion", answer=key, operator="gte", value=0.0)
    answers = {k: v for k, v in answers.items() if k != key}
    result = screen(answers, [*criteria, reading])
    assert result.outcome != Outcome.ELIGIBLE
    if result.outcome == Outcome.NEEDS_REVIEW:
        assert reading in result.deciding


@given(answers_st, criteria_st, st.integers(0, 17))
def test_any_failed_inclusion_means_not_eligible_and_names_it(answers, criteria, age):
    adults = CriterionSpec(
        id=99, kind="inclusion", answer="age", operator="gte", value=18.0,
        explanation="The protocol is open to adults.",
    )  # fmt: skip
    result = screen({**answers, "age": age}, [*criteria, adults])
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert adults in result.deciding
    assert "The protocol is open to adults." in result.explanations


@given(answers_st, criteria_st)
def test_any_failed_exclusion_means_not_eligible(answers, criteria):
    pregnant = CriterionSpec(id=7, kind="exclusion", answer="pregnant", operator="eq", value=True)
    result = screen({**answers, "pregnant": True}, [*criteria, pregnant])
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert pregnant in result.deciding


def test_demo_style_protocol():
    criteria = [
        CriterionSpec(1, "inclusion", "age", "gte", 18.0, "Adults only."),
        CriterionSpec(2, "inclusion", "age", "lte", 70.0, "Up to 70."),
        CriterionSpec(3, "inclusion", "diagnosis_confirmed", "eq", True, "Confirmed diagnosis."),
        CriterionSpec(4, "exclusion", "cancer_last_5_years", "eq", True, "No recent cancer."),
    ]
    ok = {"age": 40, "diagnosis_confirmed": True, "cancer_last_5_years": False}
    assert screen(ok, criteria).outcome == Outcome.ELIGIBLE
    assert screen({**ok, "age": 71}, criteria).deciding_ids == [2]
    assert screen({**ok, "cancer_last_5_years": True}, criteria).explanations == [
        "No recent cancer."
    ]
    missing = screen({"age": 40, "diagnosis_confirmed": True}, criteria)
    assert missing.outcome == Outcome.NEEDS_REVIEW
    assert missing.deciding_ids == [4]
    # a text answer where a number is needed cannot be compared: a clinician looks
    assert screen({**ok, "age": "forty"}, criteria).outcome == Outcome.NEEDS_REVIEW
    assert screen(ok, []).outcome == Outcome.NEEDS_REVIEW


@given(st.dates(), st.dates(), st.text(max_size=12))
def test_derive_answers_never_raises_and_computes_age(born, today, junk):
    derived = derive_answers({"date_of_birth": born.isoformat()}, today=today)
    if born <= today:
        age = derived["age"]
        assert 0 <= age <= today.year - born.year
    else:
        assert "age" not in derived
    derive_answers({"date_of_birth": junk, "year_diagnosed": junk}, today=today)


def test_derive_age_on_birthday():
    today = datetime.date(2026, 3, 10)
    assert derive_answers({"date_of_birth": "2000-03-10"}, today=today)["age"] == 26
    assert derive_answers({"date_of_birth": "2000-03-11"}, today=today)["age"] == 25
