"""Questions a patient should ask before any stem-cell treatment, answered from the protocol.

In the spirit of the ISSCR patient handbook: the answers come from the clinic's own protocol
record, so they cannot drift from what the clinic actually does, and a question the clinic
cannot answer says so plainly instead of disappearing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import TreatmentProtocol


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    link: str = ""
    link_text: str = ""
    unanswered: bool = False


NOT_ANSWERED = "We have not written this down yet. Ask us, and expect a clear answer in writing."


def protocol_questions(protocol: TreatmentProtocol, *, evidence_url: str = "") -> list[Question]:
    """The questions to ask about ``protocol``, each with the clinic's answer.

    ``evidence_url`` links the evidence answer to a fuller account (the condition page).
    """
    if protocol.trial_registration:
        registered = Question(
            "Is this a registered clinical trial, and where?",
            f"Yes. It is registered as {protocol.trial_registration}.",
            link=protocol.trial_registry_url,
            link_text=f"Registry record for {protocol.trial_registration}",
        )
    else:
        registered = Question(
            "Is this a registered clinical trial, and where?",
            "No. This protocol is not registered in a public clinical trial registry. It is "
            "an experimental treatment given under ethics approval, not a trial whose "
            "results must be published.",
        )
    if protocol.is_approved:
        approved = Question(
            "Who approved it, and what is the approval reference?",
            f"{protocol.approval_body}, reference {protocol.approval_reference}"
            + (
                f", approved on {protocol.approval_date:%d %B %Y}."
                if protocol.approval_date
                else "."
            ),
        )
    else:
        approved = Question(
            "Who approved it, and what is the approval reference?",
            "This protocol has no recorded ethics approval.",
            unanswered=True,
        )
    return [
        Question(
            "Is this routine care or an experimental treatment?",
            "Experimental. It is not part of standard care for this condition, and it is "
            "given alongside your usual treatment, never instead of it.",
        ),
        registered,
        approved,
        _answer(
            "What does the evidence say?",
            protocol.evidence_summary,
            link=evidence_url,
            link_text="Read what the evidence says, with its sources",
        ),
        _answer("What are the alternatives, including standard treatment?", protocol.alternatives),
        _answer("What will it cost, and what is included?", protocol.cost),
    ]


def _answer(question: str, text: str, link: str = "", link_text: str = "") -> Question:
    text = text.strip()
    if not text:
        return Question(question, NOT_ANSWERED, link=link, link_text=link_text, unanswered=True)
    return Question(question, text, link=link, link_text=link_text)
