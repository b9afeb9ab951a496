"""Questions to ask before treatment, answered from the protocol record."""

import datetime

from clinicsite.clinic.models import Condition, TreatmentProtocol
from clinicsite.clinic.questions import NOT_ANSWERED, protocol_questions


def protocol(**fields):
    values = {
        "condition": Condition(name="Lupus", slug="lupus"),
        "name": "P1",
        "approval_body": "Demo REC",
        "approval_reference": "REC-1",
        "approval_date": datetime.date(2025, 3, 1),
        "trial_registration": "NCT01539902",
        "trial_registry_url": "https://clinicaltrials.gov/study/NCT01539902",
        "evidence_summary": "Small studies only.",
        "alternatives": "Standard care.",
        "cost": "A fixed fee.",
    }
    return TreatmentProtocol(**{**values, **fields})


def answers(p, **kwargs):
    return {q.question: q for q in protocol_questions(p, **kwargs)}


def test_every_question_the_handbook_asks_is_answered_from_the_protocol():
    qs = answers(protocol(), evidence_url="#evidence-heading")
    registered = qs["Is this a registered clinical trial, and where?"]
    assert "NCT01539902" in registered.answer
    assert registered.link == "https://clinicaltrials.gov/study/NCT01539902"
    assert "REC-1" in qs["Who approved it, and what is the approval reference?"].answer
    evidence = qs["What does the evidence say?"]
    assert (evidence.answer, evidence.link) == ("Small studies only.", "#evidence-heading")
    assert qs["What are the alternatives, including standard treatment?"].answer == "Standard care."
    assert qs["What will it cost, and what is included?"].answer == "A fixed fee."
    assert "Experimental" in qs["Is this routine care or an experimental treatment?"].answer
    assert not any(q.unanswered for q in qs.values())


def test_missing_answers_are_admitted_not_hidden():
    qs = answers(protocol(trial_registration="", approval_body="", evidence_summary="", cost="  "))
    assert qs["Is this a registered clinical trial, and where?"].answer.startswith("No.")
    assert qs["Who approved it, and what is the approval reference?"].unanswered
    assert qs["What does the evidence say?"].answer == NOT_ANSWERED
    assert qs["What will it cost, and what is included?"].unanswered
    assert len(qs) == 6
