"""Outcome statistics over every treated patient, computed in the database.

Per condition × protocol × time point:
  treated    patients treated on the protocol;
  due        of those, patients whose time point has come (their invitation is due);
  responded  patients who answered at that time point;
  improved   responders whose PGIC answer was "much" or "very much improved".
Two shares are reported, each with a Wilson 95 % interval: improved among responders, and
improved among all patients due — the second counts every non-responder as not improved, so
silence can never make the results look better.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from clinicsite.followups.models import AdverseEvent, Invitation, Response, TimePoint, Treatment

Z95 = 1.959963984540054
MIN_PUBLIC = 10  # no public cell is computed from fewer patients than this


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion; None when there is no one to count."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 % and 100 % one bound is exactly 0 or 1; floating point would leave a 1e-18 residue.
    low = 0.0 if successes == 0 else max(0.0, centre - margin)
    high = 1.0 if successes == n else min(1.0, centre + margin)
    return low, high


@dataclass
class Share:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.numerator, self.denominator)


@dataclass
class OutcomeRow:
    condition_id: int
    condition: str
    protocol_id: int
    protocol: str
    time_point_id: int
    time_point: str
    offset_days: float
    treated: int = 0
    due: int = 0
    responded: int = 0
    improved: int = 0
    adverse_by_grade: dict[int, int] = field(default_factory=dict)

    @property
    def response_rate(self) -> Share:
        return Share(self.responded, self.due)

    @property
    def improved_of_responders(self) -> Share:
        return Share(self.improved, self.responded)

    @property
    def improved_of_all(self) -> Share:
        return Share(self.improved, self.due)

    @property
    def publishable(self) -> bool:
        return self.responded >= MIN_PUBLIC


def outcome_table(*, now: datetime.datetime | None = None) -> list[OutcomeRow]:
    """Every cell, from four aggregate queries (no per-patient loops)."""
    now = now or timezone.now()
    points = TimePoint.objects.select_related("protocol__condition").order_by(
        "protocol__condition__name", "protocol__name", "months", "days"
    )
    rows = {
        point.pk: OutcomeRow(
            condition_id=point.protocol.condition_id,
            condition=point.protocol.condition.name,
            protocol_id=point.protocol_id,
            protocol=point.protocol.name,
            time_point_id=point.pk,
            time_point=point.label,
            offset_days=point.offset_days,
        )
        for point in points
    }
    treated = dict(Treatment.objects.values_list("protocol").annotate(n=Count("pk")))
    for row in rows.values():
        row.treated = treated.get(row.protocol_id, 0)
    for point_id, due in (
        Invitation.objects.filter(due_at__lte=now).values_list("time_point").annotate(n=Count("pk"))
    ):
        if point_id in rows:
            rows[point_id].due = due
    for point_id, responded, improved in Response.objects.values_list("time_point").annotate(
        n=Count("pk"), k=Count("pk", filter=Q(improved=True))
    ):
        if point_id in rows:
            rows[point_id].responded = responded
            rows[point_id].improved = improved
    for point_id, grade, n in (
        AdverseEvent.objects.filter(grade__isnull=False, time_point__isnull=False)
        .values_list("time_point", "grade")
        .annotate(n=Count("pk"))
    ):
        if point_id in rows:
            rows[point_id].adverse_by_grade[grade] = n
    return list(rows.values())
