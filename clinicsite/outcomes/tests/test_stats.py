import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.outcomes.stats import wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # 0 %: the upper bound is not zero
        (10, 10, 0.7225, 1.0),  # 100 %: the lower bound is not one
        (5, 10, 0.2366, 0.7634),
        (1, 1, 0.2065, 1.0),  # n = 1
        (0, 1, 0.0, 0.7935),
        (3, 4, 0.3006, 0.9544),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_matches_hand_computed_values(k, n, low, high):
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=5e-4)
    assert hi == pytest.approx(high, abs=5e-4)


def test_no_one_to_count_gives_no_interval():
    assert wilson(0, 0) is None


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(5, 4)


@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_interval_holds_the_observed_share_and_stays_in_0_1(kn):
    k, n = kn
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert not math.isnan(lo)
    assert not math.isnan(hi)


@given(st.integers(1, 5000))
def test_more_data_narrows_the_interval(n):
    narrow = wilson(n, 2 * n)
    wide = wilson(1, 2)
    assert narrow[1] - narrow[0] <= wide[1] - wide[0]
