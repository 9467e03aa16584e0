"""How the studio, the gallery and the CLI write durations, moments and loss-term names: one home for them."""

from __future__ import annotations

import math
from datetime import datetime, timezone

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


def format_time(unix_seconds: float, *, iso: bool = False) -> str:
    """A moment in this machine's time zone (``TZ`` honoured) with its UTC offset, everywhere one is shown.

    People (the gallery, the CLI): ``2026-11-25 21:40 UTC+01:00``. Programs (``--json``, sidecars),
    ``iso=True``: ISO 8601 with the offset, ``2026-11-25T21:40:03+01:00``. The offset is the one in
    force at that moment (summer and winter times differ).
    """
    moment = datetime.fromtimestamp(float(unix_seconds), tz=timezone.utc).astimezone()
    if iso:
        return moment.isoformat(timespec="seconds")
    return f"{moment:%Y-%m-%d %H:%M} UTC{moment.isoformat(timespec='minutes')[16:]}"
