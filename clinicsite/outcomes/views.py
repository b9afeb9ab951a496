"""The public outcomes page and the staff dashboard with charts (server-drawn SVG, no script)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Avg
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from clinicsite.accounts.access import HEALTH, staff_view
from clinicsite.followups.models import Score

from .selectors import MIN_PUBLIC, cached_table
from .stats import outcome_table


def _by_protocol(rows: list) -> dict[tuple[str, str], list]:
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        grouped[(row.condition, row.protocol)].append(row)
    return dict(grouped)


@require_safe
def public_outcomes(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "outcomes/public.html",
        {"groups": _by_protocol(cached_table()), "min_public": MIN_PUBLIC},
    )


def _trajectories() -> dict[tuple[int, str], list[tuple[int, float]]]:
    """Mean score per protocol, measure and time point, averaged in the database."""
    means = (
        Score.objects.values("protocol", "key", "time_point")
        .annotate(mean=Avg("value"))
        .order_by("protocol", "key", "time_point__months", "time_point__days")
    )
    series: dict[tuple[int, str], list[tuple[int, float]]] = defaultdict(list)
    for row in means:
        series[(row["protocol"], row["key"])].append((row["time_point"], round(row["mean"], 2)))
    return dict(series)


def _polyline(points: list[float], *, width: int = 320, height: int = 120, top: float = 10) -> str:
    if not points:
        return ""
    step = width / max(1, len(points) - 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - (value / top) * height, 1)}"
        for i, value in enumerate(points)
    )


@staff_view(HEALTH, second_factor=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    rows = outcome_table()
    groups = _by_protocol(rows)
    series = _trajectories()
    charts = []
    for (condition, protocol), items in groups.items():
        protocol_id = items[0].protocol_id
        labels = [row.time_point for row in items]
        lines = []
        for key in ("pain", "fatigue", "wellbeing"):
            values = dict(series.get((protocol_id, key), []))
            points = [values.get(row.time_point_id) for row in items]
            if any(v is not None for v in points):
                lines.append(
                    {"key": key, "points": _polyline([v or 0 for v in points]), "values": points}
                )
        funnel = [
            ("Treated", items[-1].treated if items else 0),
            ("Due (last time point)", items[-1].due if items else 0),
            ("Responded", items[-1].responded if items else 0),
            ("Improved", items[-1].improved if items else 0),
        ]
        top = max([n for _, n in funnel] + [1])
        charts.append(
            {
                "condition": condition,
                "protocol": protocol,
                "labels": labels,
                "lines": lines,
                "rows": items,
                "funnel": [(label, n, round(300 * n / top)) for label, n in funnel],
                "response_bars": [
                    (
                        row.time_point,
                        row.response_rate.value,
                        round(300 * (row.response_rate.value or 0)),
                    )
                    for row in items
                ],
            }
        )
    return TemplateResponse(request, "outcomes/dashboard.html", {"charts": charts})
