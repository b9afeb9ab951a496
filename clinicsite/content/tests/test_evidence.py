"""The pure evidence checks: figures outside claim blocks, claims, references, reviewer, dates."""

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.content import evidence

SEED = "In one trial of 200 participants, 75% benefited."

COMPLETE_CLAIM = {
    "statement": SEED,
    "design": "randomised",
    "participants": 200,
    "result": "75% benefited",
    "control_result": "40% benefited with placebo",
    "source": "Example and colleagues, 2020",
    "doi": "10.1136/annrheumdis-2017-211073",
    "pmid": "",
    "registration": "NCT01539902",
}


def test_the_seed_sentence_is_caught_with_both_figures():
    (finding,) = evidence.text_findings(f"<p>Some context here. {SEED}</p>", "Body")
    assert finding.sentence == SEED
    assert finding.figures == ("200 participants", "75%")
    assert finding.field == "Body"
    assert SEED in finding.message


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("Remission came in 9 of the 12 given cells.", "9 of the 12"),
        ("A pilot study treated 15 people.", "15 people"),
        ("Twelve people received the cells.", "Twelve people"),
        ("Seventy-five per cent improved.", "Seventy-five per cent"),
        ("The sample was small (n = 40).", "n = 40"),
        ("We treated 1,250 patients last year.", "1,250 patients"),
        ("One in 3 adults felt better.", "3 adults"),
        ("It helped 40 consecutive patients.", "40 consecutive patients"),
    ],
)
def test_figures_that_read_as_evidence_are_found(text, figure):
    assert figure in [f for _, f in evidence.figures_in(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Lupus usually starts between the ages of 15 and 45.",
        "Follow-up visits at 3, 6 and 12 months.",
        "We are a five-minute walk from the station.",
        "One patient's experience is not evidence.",
        "Protein in the urine fell from 2,500 mg a day.",
        "The clinic opened in 2019 and is open 9:00 to 17:00.",
    ],
)
def test_ordinary_numbers_are_not_mistaken_for_claims(text):
    assert evidence.figures_in(text) == []


def test_the_same_figure_inside_a_complete_claim_block_passes():
    blocks = [
        {"type": "paragraph", "value": "<p>What the trials found.</p>"},
        {"type": "claim", "value": COMPLETE_CLAIM},
    ]
    assert evidence.stream_findings(blocks, "Body") == []


def test_a_figure_in_a_paragraph_is_reported_with_its_block():
    blocks = [
        {"type": "heading", "value": {"text": "Results", "level": "h2"}},
        {"type": "paragraph", "value": f"<p>{SEED}</p>"},
    ]
    (finding,) = evidence.stream_findings(blocks, "Body")
    assert finding.field == "Body, block 2 (paragraph)"
    assert finding.sentence == SEED


def test_figures_hidden_in_nested_block_text_are_found():
    blocks = [{"type": "callout", "value": {"title": "Note", "text": f"<ul><li>{SEED}</li></ul>"}}]
    assert [f.sentence for f in evidence.stream_findings(blocks, "Body")] == [SEED]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"doi": "", "registration": ""}, "doi"),
        ({"doi": "10.12/not a doi"}, "doi"),
        ({"pmid": "0123"}, "pmid"),
        ({"registration": "NCT123"}, "registration"),
        ({"control_result": ""}, "control_result"),
        ({"participants": 0}, "participants"),
        ({"participants": None}, "participants"),
        ({"design": "anecdote"}, "design"),
        ({"statement": "  "}, "statement"),
        ({"design": "uncontrolled"}, "control_result"),
    ],
)
def test_an_incomplete_claim_names_the_field_to_fix(change, field):
    assert field in evidence.claim_problems({**COMPLETE_CLAIM, **change})


def test_a_complete_claim_has_no_problems():
    assert evidence.claim_problems(COMPLETE_CLAIM) == {}


def test_malformed_references_are_named():
    refs = [
        {"authors": "Good A", "title": "Fine", "doi": "10.1186/ar4520"},
        {"authors": "Bad B", "title": "Broken", "doi": "doi:11.1/x"},
        {"authors": "Nowhere C", "title": "Unfindable"},
        {"authors": "Pm D", "title": "T", "pmid": "abc"},
    ]
    fields = [f.field for f in evidence.reference_findings(refs)]
    assert fields == [
        "Reference 2 (Bad B)",
        "Reference 3 (Nowhere C)",
        "Reference 4 (Pm D)",
    ]


def test_reviewer_needs_clinical_credentials():
    assert evidence.reviewer_findings(evidence.Reviewer("Dr A", True, "GMC 1")) == []
    assert len(evidence.reviewer_findings(None)) == 1
    messages = [f.message for f in evidence.reviewer_findings(evidence.Reviewer("Sam", False, ""))]
    assert any("not recorded as a licensed clinician" in m for m in messages)
    assert any("no professional registration" in m for m in messages)


def test_a_passed_review_date_fails():
    today = datetime.date(2026, 6, 1)
    ok = evidence.review_date_findings(
        datetime.date(2026, 1, 1), datetime.date(2026, 12, 1), today=today
    )
    assert ok == []
    (late,) = evidence.review_date_findings(
        datetime.date(2025, 1, 1), datetime.date(2026, 5, 31), today=today
    )
    assert late.field == "Next review due"
    assert "31 May 2026" in late.message


# --- Properties ------------------------------------------------------------------------------

_WORDS = st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=40).filter(
    lambda t: not re.search(evidence._NUMBER_WORDS, t, re.IGNORECASE)
)


@given(st.text(max_size=300))
def test_never_fails_and_quotes_only_real_sentences(text):
    for finding in evidence.text_findings(text, "Field"):
        assert finding.sentence in " ".join(text.split()) or finding.sentence in " ".join(
            evidence.html_to_text(text).split()
        )
        assert finding.figures


@given(_WORDS, st.integers(min_value=0, max_value=10_000), _WORDS)
def test_any_percentage_is_found(before, number, after):
    text = f"{before} {number}% {after}"
    assert f"{number}%" in [f for _, f in evidence.figures_in(text)]


@given(_WORDS)
def test_text_without_numbers_has_no_figures(text):
    assert evidence.figures_in(text) == []


@given(st.integers(min_value=1, max_value=100_000), st.sampled_from(["patients", "people"]))
def test_figures_inside_claims_never_count_but_identical_paragraphs_do(number, noun):
    sentence = f"It helped {number} {noun}."
    claim = {**COMPLETE_CLAIM, "statement": sentence, "result": sentence}
    assert evidence.stream_findings([{"type": "claim", "value": claim}], "Body") == []
    paragraph = [{"type": "paragraph", "value": f"<p>{sentence}</p>"}]
    assert [f.sentence for f in evidence.stream_findings(paragraph, "Body")] == [sentence]


@given(st.text(max_size=60))
def test_hostile_claim_values_never_crash(value):
    problems = evidence.claim_problems(
        {**COMPLETE_CLAIM, "doi": value, "pmid": value, "registration": value}
    )
    assert isinstance(problems, dict)
