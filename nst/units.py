"""How the studio, the gallery and the CLI write durations and loss-term names: one home for both."""

from __future__ import annotations

import math

LOSS_TERMS = ("total", "content", "style", "tv")


def format_seconds(seconds: float | None) -> str:
    """"—", "3.2 s", "42 s", "2 min 05 s", "1 h 02 min"."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
