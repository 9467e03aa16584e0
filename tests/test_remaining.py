"""The progress bar's remaining time (nst.remaining), on step durations made up here (no clock)."""

from __future__ import annotations

import pytest

from nst.remaining import RemainingTime

BUDGETS = (40, 16, 6)
PIXELS = (128 * 96, 256 * 192, 512 * 384)


def _step_seconds(pixels: int, exponent: float) -> float:
    return 1e-5 * pixels ** exponent


@pytest.mark.parametrize("exponent, first_scale_error", [(0.88, 0.15), (0.8, 0.35), (1.0, 0.35)])
def test_the_remaining_time_is_within_15_percent_once_two_scales_are_seen(exponent, first_scale_error):
    # steps cost pixels ** exponent (0.88 on the AVX-512 machine; counting pixels, as before, was 25 %
    # over there), and each scale's first step also pays for its targets (one step more). The growth is
    # only known once a second scale has been seen: until then the estimate assumes 0.9.
    durations = [[_step_seconds(px, exponent) * (2 if i == 0 else 1) for i in range(n)]
                 for n, px in zip(BUDGETS, PIXELS)]
    remaining = RemainingTime(BUDGETS, PIXELS)
    left = sum(map(sum, durations))
    for scale, steps in enumerate(durations):
        for i, seconds in enumerate(steps):
            remaining.step_done(scale, seconds)
            left -= seconds
            if i >= 2 and left > 0:  # a couple of steps into each scale
                error = first_scale_error if scale == 0 else 0.15
                assert remaining.estimate(scale) == pytest.approx(left, rel=error), (scale, i)
    assert remaining.estimate(len(BUDGETS) - 1) == 0


def test_there_is_no_estimate_before_the_first_step():
    assert RemainingTime(BUDGETS, PIXELS).estimate(0) is None


def test_a_scale_without_steps_adds_no_time():
    # the Print preset's last scale is an enlargement only (StyleParams.scale_iterations): no steps, no targets
    remaining = RemainingTime((4, 2, 0), (64 * 48, 128 * 96, 256 * 192))
    for scale, steps in ((0, 4), (1, 2)):
        for _ in range(steps):
            remaining.step_done(scale, 1.0)
    assert remaining.estimate(1) == 0
