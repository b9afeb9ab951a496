"""Find efficacy figures that are not backed by a citation.

A percentage ("75% benefited") or a count of patients ("a trial of 200 participants") in
running text reads as evidence but carries none of what a reader needs to judge it. Such
figures belong in a claim block, which records the study design, patient numbers, control
arm and a checkable citation. This module is pure (no database, no Django models): it takes
text, rich-text HTML or StreamField raw data and returns ``Finding`` objects that name the
field and quote the exact sentence, so the editor knows precisely what to fix.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.core.exceptions import ValidationError

from .citations import validate_doi, validate_pmid, validate_trial_registration

CLAIM_BLOCK = "claim"

# Study designs, weakest to strongest single-study evidence (plus pooled analyses).
CASE_REPORT = "case_report"
UNCONTROLLED = "uncontrolled"
CONTROLLED = "controlled"
RANDOMISED = "randomised"
META_ANALYSIS = "meta_analysis"
CONTROLLED_DESIGNS = {CONTROLLED, RANDOMISED}
DESIGNS = {CASE_REPORT, UNCONTROLLED, CONTROLLED, RANDOMISED, META_ANALYSIS}

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|thousand|dozen|dozens|hundreds|thousands"
)
_DIGITS = r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_NUMBER = rf"(?:{_DIGITS}|(?:{_NUMBER_WORDS})(?:[-\s](?:{_NUMBER_WORDS}))*)"
_PATIENT_NOUNS = (
    "patients?|participants?|people|persons?|subjects?|volunteers?|individuals?|adults?|"
    "children|child|men|women|cases|respondents?|recipients?|sufferers?|pts"
)

_PERCENT_RE = re.compile(rf"\b{_NUMBER}\s?(?:%|％|per\s?cent\b|percent\b)", re.IGNORECASE)
_PATIENTS_RE = re.compile(
    rf"\b{_NUMBER}(?:\s+(?!of\b|in\b|and\b|or\b|to\b)[\w-]+){{0,2}}?\s+(?:{_PATIENT_NOUNS})\b(?!['’]s\b)",
    re.IGNORECASE,
)
_SAMPLE_SIZE_RE = re.compile(r"\b[nN]\s*=\s*\d+")
_PROPORTION_RE = re.compile(r"\b\d+\s+(?:out\s+of\s+|of\s+(?:the\s+)?|in\s+)\d+\b", re.IGNORECASE)
_FIGURE_PATTERNS = (
    ("percentage", _PERCENT_RE),
    ("count of patients", _PATIENTS_RE),
    ("count of patients", _SAMPLE_SIZE_RE),
    ("proportion of patients", _PROPORTION_RE),
)

_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_BLOCK_TAGS = {"p", "li", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}


@dataclass(frozen=True)
class Finding:
    """One reason a page cannot pass medical review: where, what, and the offending text."""

    field: str
    message: str
    sentence: str = ""
    figures: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "message": self.message,
            "sentence": self.sentence,
            "figures": list(self.figures),
        }


# --- Text ----------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of rich-text HTML, one line per paragraph or list item."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def sentences(text: str) -> list[str]:
    """Split text into sentences (good enough for editorial prose; lines never merge)."""
    result = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            result.extend(s.strip() for s in _SENTENCE_END_RE.split(line) if s.strip())
    return result


def figures_in(text: str) -> list[tuple[str, str]]:
    """The efficacy-looking figures in ``text`` as (kind, matched text), in order."""
    found: list[tuple[int, str, str]] = []
    for kind, pattern in _FIGURE_PATTERNS:
        for match in pattern.finditer(text):
            found.append((match.start(), kind, match.group(0)))
    found.sort()
    seen: set[str] = set()
    result = []
    for _, kind, figure in found:
        if figure not in seen:
            seen.add(figure)
            result.append((kind, figure))
    return result


def unsupported_figures(text: str, field_label: str) -> list[Finding]:
    """One finding per sentence of plain ``text`` that states a figure outside a claim block."""
    findings = []
    for sentence in sentences(text):
        figures = figures_in(sentence)
        if not figures:
            continue
        quoted = ", ".join(f"“{figure}” ({kind})" for kind, figure in figures)
        findings.append(
            Finding(
                field=field_label,
                sentence=sentence,
                figures=tuple(figure for _, figure in figures),
                message=f"“{sentence}” states {quoted} without a source. Put the figure in a "
                "Claim block with its study design, number of patients and citation, or "
                "remove it.",
            )
        )
    return findings


def text_findings(value: str, field_label: str) -> list[Finding]:
    """Check a plain-text or rich-text (HTML) field."""
    text = html_to_text(value) if value.lstrip().startswith("<") else value
    return unsupported_figures(text, field_label)


# --- StreamField ---------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def stream_findings(raw_blocks: Iterable[Mapping[str, Any]], field_label: str) -> list[Finding]:
    """Check StreamField raw data: figures outside claim blocks, and each claim's completeness."""
    findings: list[Finding] = []
    for position, block in enumerate(raw_blocks, start=1):
        kind = str(block.get("type", ""))
        label = f"{field_label}, block {position} ({kind.replace('_', ' ')})"
        value = block.get("value")
        if kind == CLAIM_BLOCK:
            findings.extend(claim_findings(value if isinstance(value, Mapping) else {}, label))
            continue
        for text in _strings(value):
            findings.extend(text_findings(text, label))
    return findings


def claim_problems(value: Mapping[str, Any]) -> dict[str, str]:
    """Field name → problem for a claim block's value; empty when the claim is complete."""
    problems: dict[str, str] = {}
    if not str(value.get("statement") or "").strip():
        problems["statement"] = "State the claim in plain words."
    design = value.get("design")
    if design not in DESIGNS:
        problems["design"] = "Choose the study design."
    participants = value.get("participants")
    if not isinstance(participants, int) or isinstance(participants, bool) or participants < 1:
        problems["participants"] = "Give the number of patients in the study (1 or more)."
    if not str(value.get("result") or "").strip():
        problems["result"] = "Give the result in the treated patients."
    control = str(value.get("control_result") or "").strip()
    if design in CONTROLLED_DESIGNS and not control:
        problems["control_result"] = (
            "A controlled study has a control arm: give its result so readers can compare."
        )
    if design in {UNCONTROLLED, CASE_REPORT} and control:
        problems["control_result"] = "This design has no control arm; leave this blank."
    identifiers = {
        "doi": (str(value.get("doi") or "").strip(), validate_doi),
        "pmid": (str(value.get("pmid") or "").strip(), validate_pmid),
        "registration": (str(value.get("registration") or "").strip(), validate_trial_registration),
    }
    if not any(v for v, _ in identifiers.values()):
        problems["doi"] = "Cite the source: a DOI, a PubMed ID or a trial registration."
    for name, (identifier, validator) in identifiers.items():
        if identifier:
            try:
                validator(identifier)
            except ValidationError as exc:
                problems[name] = exc.messages[0]
    return problems


def claim_findings(value: Mapping[str, Any], field_label: str) -> list[Finding]:
    return [
        Finding(field=f"{field_label}, {name.replace('_', ' ')}", message=problem)
        for name, problem in claim_problems(value).items()
    ]


# --- References, reviewer, dates -------------------------------------------------------------


def reference_findings(references: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Each reference must be findable: a well-formed DOI or PMID, or a URL."""
    findings = []
    for number, ref in enumerate(references, start=1):
        label = f"Reference {number} ({str(ref.get('authors') or ref.get('title') or '')[:60]})"
        doi = str(ref.get("doi") or "").strip()
        pmid = str(ref.get("pmid") or "").strip()
        url = str(ref.get("url") or "").strip()
        if not str(ref.get("title") or "").strip():
            findings.append(Finding(field=label, message="Give the title of the source."))
        if not (doi or pmid or url):
            findings.append(
                Finding(field=label, message="Give a DOI, a PMID or a URL so readers can find it.")
            )
        for identifier, validator in ((doi, validate_doi), (pmid, validate_pmid)):
            if identifier:
                try:
                    validator(identifier)
                except ValidationError as exc:
                    findings.append(
                        Finding(field=label, message=f"“{identifier}”: {exc.messages[0]}")
                    )
        if url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            findings.append(Finding(field=label, message=f"“{url}” is not a web address."))
    return findings


@dataclass(frozen=True)
class Reviewer:
    name: str
    is_clinician: bool
    registration: str


def reviewer_findings(reviewer: Reviewer | None) -> list[Finding]:
    label = "Medical reviewer"
    if reviewer is None:
        return [Finding(field=label, message="Choose the clinician who reviewed this page.")]
    findings = []
    if not reviewer.is_clinician:
        findings.append(
            Finding(
                field=label,
                message=f"{reviewer.name} is not recorded as a licensed clinician; a medical "
                "reviewer must be one.",
            )
        )
    if not reviewer.registration.strip():
        findings.append(
            Finding(
                field=label,
                message=f"{reviewer.name} has no professional registration recorded (licensing "
                "body and number).",
            )
        )
    return findings


def review_date_findings(
    last_reviewed: datetime.date | None,
    next_review_due: datetime.date | None,
    *,
    today: datetime.date,
) -> list[Finding]:
    findings = []
    if last_reviewed is None:
        findings.append(
            Finding(field="Last reviewed", message="Enter the date of the last medical review.")
        )
    elif last_reviewed > today:
        findings.append(
            Finding(field="Last reviewed", message="The last review cannot be in the future.")
        )
    if next_review_due is None:
        findings.append(
            Finding(field="Next review due", message="Enter the date the next review is due.")
        )
    elif next_review_due < today:
        findings.append(
            Finding(
                field="Next review due",
                message=f"The review date passed on {next_review_due:%d %B %Y}: review the page "
                "again and set new dates.",
            )
        )
    return findings
