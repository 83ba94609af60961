"""Thresholds a person can set (funnel.thresholds): the slider's log scale, suggestions at quantiles, and one
threshold moved past or onto another kept in order instead of failing."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from funnel.bands import DEFAULT_THRESHOLDS, validate_thresholds
from funnel.thresholds import MANTISSAS, crowded, next_threshold, nice, place, scale, step_for, suggest


def test_nice_numbers_are_the_nearest_round_number_on_a_log_scale():
    assert nice(47_300) == 50_000
    assert nice(1_234) == 1_200
    assert nice(0.0) == 0.0
    assert nice(99) == 100


def test_the_scale_covers_the_customers_with_even_steps_and_keeps_the_thresholds():
    totals = np.array([300, 1_500, 42_000, 880_000, 2_500_000]) * 100
    grid = scale(totals, [12_345.0])
    assert grid == sorted(set(grid))
    assert grid[0] <= 300 and grid[-1] >= 2_500_000
    assert 12_345.0 in grid
    ratios = [b / a for a, b in itertools.pairwise(grid) if a > 0]
    assert max(ratios) <= 1.34
    per_decade = [sum(10**e <= g < 10 ** (e + 1) for g in grid) for e in range(3, 6)]
    assert all(n >= len(MANTISSAS) for n in per_decade)


def test_the_scale_of_no_data_still_holds_the_default_thresholds():
    grid = scale([], DEFAULT_THRESHOLDS)
    assert all(t in grid for t in DEFAULT_THRESHOLDS)


def test_suggestions_put_about_half_the_customers_below_the_first_threshold():
    totals = (np.arange(1, 1001) * 100).astype("int64")  # 1 … 1,000 yuan
    suggested = suggest(totals)
    assert suggested == [500.0, 800.0, 900.0, 1000.0]
    assert np.mean(totals / 100 < suggested[0]) == 0.499
    validate_thresholds(suggested)


def test_no_positive_totals_suggest_the_default_set():
    assert suggest([0, -500]) == list(DEFAULT_THRESHOLDS)


def test_a_threshold_moved_past_its_neighbour_is_reordered():
    assert place([10_000, 50_000, 100_000], 0, 80_000, 1_000) == [50_000, 80_000, 100_000]
    assert place([10_000, 50_000, 100_000], 2, 5_000, 1_000) == [5_000, 10_000, 50_000]


def test_a_threshold_landing_on_its_neighbour_stops_a_step_short_on_its_side():
    assert place([10_000, 50_000], 0, 50_000, 1_000) == [49_000, 50_000]  # coming up
    assert place([10_000, 50_000], 1, 10_000, 1_000) == [10_000, 11_000]  # coming down
    assert place([0, 100], 1, 0, 100) == [0, 100]
    assert place([10_000, 50_000], 0, -5, 1_000) == [0, 50_000]  # never negative


@given(
    st.lists(st.integers(0, 10**8), min_size=1, max_size=6, unique=True).map(sorted),
    st.data(),
)
def test_placing_any_value_keeps_thresholds_valid_and_as_many(values, data):
    current = [float(v) for v in values]
    i = data.draw(st.integers(0, len(current) - 1))
    value = data.draw(st.floats(min_value=-1e6, max_value=1e9, allow_nan=False))
    step = data.draw(st.sampled_from([0.01, 1.0, 100.0, 1_000.0]))
    placed = place(current, i, value, step)
    assert len(placed) == len(current)
    validate_thresholds(placed)  # sorted, no duplicate, none negative: the funnel never fails


def test_keyboard_steps_are_a_tenth_of_the_leading_place():
    assert step_for(50_000) == 1_000
    assert step_for(800) == 10
    assert step_for(0) == 100
    assert math.isclose(step_for(0.5), 0.01, rel_tol=0, abs_tol=0.01)


def test_an_added_band_starts_at_twice_the_top():
    assert next_threshold([10_000, 200_000]) == 400_000
    assert next_threshold([]) == 10_000


def test_crowded_bands():
    assert crowded([97, 2, 1]) and not crowded([50, 30, 20]) and not crowded([0, 0])
