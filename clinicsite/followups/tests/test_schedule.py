import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.followups.schedule import (
    DEFAULT_TIME_POINTS,
    TimePointSpec,
    add_months,
    due_at,
    due_date,
    points_still_ahead,
)

D = datetime.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # from a leap day to a common year
        (D(2027, 2, 28), 12, D(2028, 2, 28)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2026, 11, 30), 2, D(2027, 1, 30)),
        (D(2026, 12, 15), 12, D(2027, 12, 15)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2900, 1, 1)), st.integers(0, 240))
def test_add_months_moves_exactly_that_many_months(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or result.month != (result + datetime.timedelta(days=1)).month


def test_default_schedule_is_2_weeks_2_6_and_12_months():
    treated = D(2026, 1, 10)
    assert [due_date(treated, p) for p in DEFAULT_TIME_POINTS] == [
        D(2026, 1, 24), D(2026, 3, 10), D(2026, 7, 10), D(2027, 1, 10),
    ]  # fmt: skip


def test_invitations_go_out_at_ten_local_time_across_daylight_saving():
    london = "Europe/London"
    # 2 weeks after 15 March 2026 is 29 March: clocks went forward that morning.
    before = due_at(D(2026, 3, 1), TimePointSpec("2 weeks", days=14), london)
    after = due_at(D(2026, 3, 15), TimePointSpec("2 weeks", days=14), london)
    assert before == datetime.datetime(2026, 3, 15, 10, tzinfo=datetime.UTC)  # GMT
    assert after == datetime.datetime(2026, 3, 29, 9, tzinfo=datetime.UTC)  # BST
    for instant in (before, after):
        assert instant.astimezone(ZoneInfo(london)).hour == 10


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)),
    st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Auckland",
                     "Asia/Kolkata", "America/St_Johns", "UTC"]),
    st.sampled_from(DEFAULT_TIME_POINTS),
)  # fmt: skip
def test_local_send_hour_holds_in_every_zone(treated, tz, point):
    instant = due_at(treated, point, tz)
    local = instant.astimezone(ZoneInfo(tz))
    assert (local.date(), local.hour) == (due_date(treated, point), 10)


def test_a_late_recorded_treatment_schedules_only_what_is_still_ahead():
    treated = D(2026, 1, 1)
    now = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)  # 2-week point long gone
    labels = [
        p.label for p, _ in points_still_ahead(treated, DEFAULT_TIME_POINTS, tz_name="UTC", now=now)
    ]
    assert labels == ["2 months", "6 months", "12 months"]


def test_still_ahead_is_judged_in_the_patients_own_time_zone():
    treated = D(2026, 5, 1)  # 2-week point: 15 May
    # 23:30 UTC on 14 May is already 15 May in Auckland, still 14 May in New York.
    now = datetime.datetime(2026, 5, 14, 23, 30, tzinfo=datetime.UTC)
    auckland = points_still_ahead(treated, DEFAULT_TIME_POINTS, tz_name="Pacific/Auckland", now=now)
    assert auckland[0][0].label == "2 weeks"  # due today there: still ahead
    later = now + datetime.timedelta(days=1)
    auckland = points_still_ahead(
        treated, DEFAULT_TIME_POINTS, tz_name="Pacific/Auckland", now=later
    )
    new_york = points_still_ahead(
        treated, DEFAULT_TIME_POINTS, tz_name="America/New_York", now=later
    )
    assert auckland[0][0].label == "2 months"
    assert new_york[0][0].label == "2 weeks"
