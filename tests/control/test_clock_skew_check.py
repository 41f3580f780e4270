"""A fault's ``clock_skew_s``: any finite number of seconds up to ten years either way, both ends included."""

from __future__ import annotations

import math

from emulator.control.clock import clock_skew_check

TEN_YEARS_S = 315_360_000  # 10 * 365 * 86400
REFUSAL = "a finite number of seconds within ±315360000"


def test_the_ends_of_the_range_are_taken() -> None:
    for value in (TEN_YEARS_S, -TEN_YEARS_S, 0, -700, 1.5):
        assert clock_skew_check(value) is None, value


def test_beyond_the_range_or_not_finite_is_refused() -> None:
    for value in (TEN_YEARS_S + 0.5, -TEN_YEARS_S - 1, math.inf, -math.inf, math.nan):
        assert clock_skew_check(value) == REFUSAL, value
