"""The remaining time of a run, for the progress bar: from the steps' own measured times.

A step's cost grows more slowly than its pixel count (at 128 px the fixed costs of 20 small
convolutions dominate; on the 2-core AVX-512 machine a 512 px step cost 11.5x a 128 px step for
16x the pixels: docs/speed.md), and a run spends most of its steps at the small scales. Counting
work in pixels, as the engine did, over-estimated a default run by ~20 % after its first scale.
So the estimate prices the rest of the current scale at the median of its last steps, and each
later scale at that time scaled by (pixels ratio) ** exponent, the exponent fitted from the last
two scales once they have been seen (``EXPONENT`` until then); each later scale with steps also pays
about one step for its targets.
"""

from __future__ import annotations

import math
import statistics
from typing import Sequence

EXPONENT = 0.9  # step time ~ pixels ** 0.88 on the 2-core AVX-512 machine at 128-512 px (docs/speed.md)
RECENT = 5  # steps whose median prices the current scale
SETUP_STEPS = 1.0  # a scale's targets (two forward passes) and first-call overhead, in steps


class RemainingTime:
    """Seconds left of a coarse-to-fine run, from the durations of the steps done so far."""

    def __init__(self, budgets: Sequence[int], pixels: Sequence[int]) -> None:
        self.budgets = list(budgets)
        self.pixels = list(pixels)
        self.durations: list[list[float]] = [[] for _ in budgets]

    def step_done(self, scale: int, seconds: float) -> None:
        self.durations[scale].append(seconds)

    def _step_time(self, scale: int) -> float | None:
        """Typical seconds of one step at ``scale``: the median of its last steps, leaving out its first
        (targets, first call at a new size) while there are others."""
        seen = self.durations[scale]
        steady = seen[1:] if len(seen) > 1 else seen
        return statistics.median(steady[-RECENT:]) if steady else None

    def _exponent(self, scale: int) -> float:
        if scale == 0:
            return EXPONENT
        before, now = self._step_time(scale - 1), self._step_time(scale)
        ratio = self.pixels[scale] / self.pixels[scale - 1]
        if not before or not now or ratio <= 1.0 or len(self.durations[scale]) < 3:
            return EXPONENT
        return min(1.2, max(0.5, math.log(now / before) / math.log(ratio)))

    def estimate(self, scale: int) -> float | None:
        """Seconds left after the steps done so far, ``scale`` being the current one; None before any step."""
        step = self._step_time(scale)
        if step is None:
            return None
        exponent = self._exponent(scale)
        left = max(0, self.budgets[scale] - len(self.durations[scale])) * step
        for later in range(scale + 1, len(self.budgets)):
            if self.budgets[later]:  # a scale without steps is only an enlargement: no targets, no steps
                growth = (self.pixels[later] / self.pixels[scale]) ** exponent
                left += (self.budgets[later] + SETUP_STEPS) * step * growth
        return left
