"""When follow-up surveys fall due: pure date arithmetic, independent of the database.

A time point is "N months and D days after treatment". Months are calendar months with the
day clamped to the month's end (31 January + 1 month = 28 or 29 February; 29 February +
12 months = 28 February). Invitations go out at a fixed local hour in the patient's own time
zone, so a survey is never due at 3 a.m. because of where the server runs, and daylight-saving
changes move the UTC instant, not the local time.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SEND_HOUR = 10  # local time


@dataclass(frozen=True)
class TimePointSpec:
    label: str
    months: int = 0
    days: int = 0


DEFAULT_TIME_POINTS = (
    TimePointSpec("2 weeks", days=14),
    TimePointSpec("2 months", months=2),
    TimePointSpec("6 months", months=6),
    TimePointSpec("12 months", months=12),
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole calendar months, clamped to the end of the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def due_date(treated_on: datetime.date, point: TimePointSpec) -> datetime.date:
    return add_months(treated_on, point.months) + datetime.timedelta(days=point.days)


def due_at(treated_on: datetime.date, point: TimePointSpec, tz_name: str) -> datetime.datetime:
    """The aware instant the invitation is sent: SEND_HOUR local time on the due date."""
    local = datetime.datetime.combine(
        due_date(treated_on, point), datetime.time(SEND_HOUR), tzinfo=ZoneInfo(tz_name)
    )
    return local.astimezone(datetime.UTC)


def points_still_ahead(
    treated_on: datetime.date,
    points: tuple[TimePointSpec, ...] | list[TimePointSpec],
    *,
    tz_name: str,
    now: datetime.datetime,
) -> list[tuple[TimePointSpec, datetime.datetime]]:
    """The time points whose due date has not yet passed in the patient's time zone.

    A treatment recorded late schedules only what is still ahead: a survey whose date is gone
    would ask about a moment the patient can no longer report on.
    """
    today_there = now.astimezone(ZoneInfo(tz_name)).date()
    return [
        (point, due_at(treated_on, point, tz_name))
        for point in points
        if due_date(treated_on, point) >= today_there
    ]
