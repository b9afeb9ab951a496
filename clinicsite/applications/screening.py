"""Protocol screening: a pure function from answers and criteria to a suggested outcome.

Screening only *suggests*; a clinician always decides, so there is no "accepted" outcome.
The rules, in order:

1. A criterion that reads an answer which is missing, or of a type it cannot compare, is
   *undetermined*.
2. An inclusion criterion fails when its condition is false; an exclusion criterion fails when
   its condition is true.
3. Any failed criterion → ``not_eligible``; the failed criteria decide.
4. Otherwise any undetermined criterion → ``needs_review``; the undetermined criteria decide.
5. Otherwise, if the protocol has at least one criterion → ``eligible``. A protocol without
   criteria gives ``needs_review``: nothing was checked, so nothing can be called eligible.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CriterionSpec",
    "Outcome",
    "ScreeningResult",
    "derive_answers",
    "screen",
    "specs_for_protocol",
]


class Outcome(enum.StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_REVIEW = "needs_review"
    NOT_ELIGIBLE = "not_eligible"


INCLUSION = "inclusion"
EXCLUSION = "exclusion"
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in")


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion as plain data (no database), so screening stays a pure function."""

    id: int | None
    kind: str  # "inclusion" | "exclusion"
    answer: str
    operator: str
    value: Any
    explanation: str = ""


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    deciding: tuple[CriterionSpec, ...] = field(default_factory=tuple)

    @property
    def deciding_ids(self) -> list[int]:
        return [spec.id for spec in self.deciding if spec.id is not None]

    @property
    def explanations(self) -> list[str]:
        return [spec.explanation for spec in self.deciding if spec.explanation]


_UNDETERMINED = object()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
        return float(value)
    return None


def _holds(operator: str, answer: Any, expected: Any) -> bool | object:
    """Whether ``answer <operator> expected`` holds, or ``_UNDETERMINED`` if it cannot tell."""
    if answer is None:
        return _UNDETERMINED
    if operator == "in":
        if not isinstance(expected, tuple | list | frozenset | set):
            return _UNDETERMINED
        return any(_holds("eq", answer, option) is True for option in expected)
    if operator in ("eq", "ne"):
        if isinstance(expected, bool) or isinstance(answer, bool):
            if not (isinstance(expected, bool) and isinstance(answer, bool)):
                return _UNDETERMINED
            same = answer is expected
        elif _as_number(expected) is not None:
            number = _as_number(answer)
            if number is None:
                return _UNDETERMINED
            same = number == _as_number(expected)
        elif isinstance(expected, str) and isinstance(answer, str):
            same = answer.strip().lower() == expected.strip().lower()
        else:
            return _UNDETERMINED
        return same if operator == "eq" else not same
    if operator in ("lt", "lte", "gt", "gte"):
        left, right = _as_number(answer), _as_number(expected)
        if left is None or right is None:
            return _UNDETERMINED
        return {
            "lt": left < right,
            "lte": left <= right,
            "gt": left > right,
            "gte": left >= right,
        }[operator]
    return _UNDETERMINED


def screen(answers: Mapping[str, Any], criteria: Iterable[CriterionSpec]) -> ScreeningResult:
    """Apply a protocol's criteria to an applicant's answers (see the module docstring)."""
    criteria = list(criteria)
    failed: list[CriterionSpec] = []
    undetermined: list[CriterionSpec] = []
    for spec in criteria:
        holds = _holds(spec.operator, answers.get(spec.answer), spec.value)
        if holds is _UNDETERMINED or spec.kind not in (INCLUSION, EXCLUSION):
            undetermined.append(spec)
        elif (spec.kind == INCLUSION and not holds) or (spec.kind == EXCLUSION and holds):
            failed.append(spec)
    if failed:
        return ScreeningResult(Outcome.NOT_ELIGIBLE, tuple(failed))
    if undetermined or not criteria:
        return ScreeningResult(Outcome.NEEDS_REVIEW, tuple(undetermined))
    return ScreeningResult(Outcome.ELIGIBLE, ())


def _years_between(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def derive_answers(answers: Mapping[str, Any], *, today: datetime.date) -> dict[str, Any]:
    """The form's answers plus those criteria read but nobody types (age, years since diagnosis).

    Dates arrive as ISO strings (the draft is JSON); anything unparseable derives nothing, so
    the criteria reading it are undetermined rather than guessed.
    """
    derived = dict(answers)
    try:
        born = datetime.date.fromisoformat(str(answers.get("date_of_birth", "")))
    except ValueError:
        born = None
    if born is not None and born <= today:
        derived["age"] = _years_between(born, today)
    year = answers.get("year_diagnosed")
    if isinstance(year, int) and not isinstance(year, bool) and year <= today.year:
        derived["years_since_diagnosis"] = today.year - year
    return derived


def specs_for_protocol(protocol: Any) -> list[CriterionSpec]:
    """The protocol's ``Criterion`` rows as plain specs."""
    return [
        CriterionSpec(
            id=criterion.pk,
            kind=criterion.kind,
            answer=criterion.answer,
            operator=criterion.operator,
            value=criterion.parsed_value(),
            explanation=criterion.explanation,
        )
        for criterion in protocol.criteria.all()
    ]
