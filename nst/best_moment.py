"""The best moment of a run: which of the final scale's pictures to keep, and where it was overdone.

Late iterations can be overdone: the optimiser keeps lowering its loss while the picture stops
getting closer to the painting and loses more of the photo. Each moment of the final scale (its
snapshots at the output's size, and the final image) has a scorecard (``nst.scorecard``: numbers
the optimiser was not tuned against), and the rule below reads only those:

- **The suggestion** is the final image unless an earlier moment *beats* it: it keeps more of the
  photo (structure higher by more than ``STRUCTURE_TIE``) at a style gap at most ``GAP_TOLERANCE``
  (2 %) above the final image's, or it is closer to the painting (style gap more than 2 % lower) at a
  structure at most ``STRUCTURE_TIE`` below. Of the moments that beat it, the one with the highest
  structure; of those within ``STRUCTURE_TIE`` of that, the earliest. A moment that only trades (more
  of the photo for less of the painting, or the other way) is no better: that choice is the user's.
- **Overdone**: a step from one moment to the next where structure falls (by more than
  ``STRUCTURE_NOISE``) while the style gap no longer improves (no later moment is 2 % below it).
  Consecutive such steps form a stretch; stretches that lose less than ``STRUCTURE_TIE`` structure
  in all are left out.

Pure: no TensorFlow, no store. Moments are in time order; the final image is the last, with
``step=None``. docs/judging.md shows how often the rule picks an earlier moment on the quality panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

MOMENT_RULE = "nst-moment-v1"
MOMENTS = 8  # the final scale's snapshots the engine takes at least and the gallery keeps (the candidates)
GAP_TOLERANCE = 0.02  # relative: a style gap within 2 % of the best counts as as close to the painting
STRUCTURE_TIE = 0.005  # structure this close counts as the same (so the earlier moment wins)
STRUCTURE_NOISE = 0.001  # a smaller fall of structure is no fall

RULE_HELP = (
    "The suggested moment is the final image unless one of the final scale's snapshots beats it: keeps more "
    f"of the photo (structure higher by more than {STRUCTURE_TIE}) at a style gap at most {GAP_TOLERANCE:.0%} "
    f"above the final image's, or is more than {GAP_TOLERANCE:.0%} closer to the painting at the same structure. "
    "Of those, the one that keeps the most of the photo (the earliest of equals). A snapshot that only trades "
    "photo for painting is not suggested: that choice is yours. Overdone: from one snapshot to the next "
    f"structure falls while the style gap no longer improves (no later snapshot is {GAP_TOLERANCE:.0%} closer "
    "to the painting). The numbers are the scorecard's, measured at 256 px: they cannot see detail finer than "
    "that, or tell which picture you like.")


@dataclass(frozen=True)
class Moment:
    """One picture of the final scale: a snapshot (its step) or the final image (``step`` None)."""

    step: int | None
    card: Mapping[str, float]  # the scorecard: at least structure and style_gap

    @property
    def label(self) -> str:
        return "the final image" if self.step is None else f"step {self.step}"


@dataclass(frozen=True)
class Stretch:
    """An overdone stretch: from moment ``start`` to moment ``end`` (indices), and what it cost."""

    start: int
    end: int
    structure_lost: float
    gap_change: float  # style gap at the end minus at the start (>= about 0: no better)


@dataclass(frozen=True)
class Suggestion:
    index: int  # into the moments
    step: int | None  # None: the final image
    reason: str  # one line, with the numbers
    overdone: tuple[Stretch, ...]

    @property
    def is_final(self) -> bool:
        return self.step is None


def _gap(moment: Moment) -> float:
    return float(moment.card["style_gap"])


def _structure(moment: Moment) -> float:
    return float(moment.card["structure"])


def more_photo(moment: Moment, final: Moment) -> bool:
    """Keeps more of the photo than ``final`` at (about) its style gap."""
    return _structure(moment) > _structure(final) + STRUCTURE_TIE and \
        _gap(moment) <= _gap(final) * (1 + GAP_TOLERANCE)


def more_painted(moment: Moment, final: Moment) -> bool:
    """Is closer to the painting than ``final`` at (about) its structure."""
    return _gap(moment) < _gap(final) * (1 - GAP_TOLERANCE) and \
        _structure(moment) >= _structure(final) - STRUCTURE_TIE


def suggest(moments: Sequence[Moment]) -> Suggestion | None:
    """The moment to keep by the rule of this module (None without moments; the last is the final image)."""
    if not moments:
        return None
    final = moments[-1]
    better = [i for i, m in enumerate(moments[:-1]) if more_photo(m, final) or more_painted(m, final)]
    index = len(moments) - 1
    if better:
        top = max(_structure(moments[i]) for i in better)
        index = min(i for i in better if _structure(moments[i]) >= top - STRUCTURE_TIE)
    return Suggestion(index, moments[index].step, _reason(moments, index), tuple(overdone(moments)))


def _reason(moments: Sequence[Moment], index: int) -> str:
    chosen, final = moments[index], moments[-1]
    structures = f"structure {_structure(chosen):.2f} vs {_structure(final):.2f}"
    gaps = f"style gap {_gap(chosen):.2f} vs {_gap(final):.2f}"
    if chosen is final:
        return (f"no earlier moment keeps more of the photo at its style gap or is closer to the painting at its "
                f"structure (structure {_structure(final):.2f}, style gap {_gap(final):.2f})")
    if more_photo(chosen, final):
        return f"{chosen.label} keeps more of the photo than the final image ({structures}) at about its style gap ({gaps})"
    return f"{chosen.label} is closer to the painting than the final image ({gaps}) at about its structure ({structures})"


def overdone(moments: Sequence[Moment]) -> list[Stretch]:
    """The stretches where structure falls while the style gap no longer improves."""
    flagged = []
    for k in range(len(moments) - 1):
        later_best = min(_gap(m) for m in moments[k + 1:])
        no_better = later_best > _gap(moments[k]) * (1 - GAP_TOLERANCE)
        falls = _structure(moments[k + 1]) < _structure(moments[k]) - STRUCTURE_NOISE
        flagged.append(no_better and falls)
    stretches, k = [], 0
    while k < len(flagged):
        if not flagged[k]:
            k += 1
            continue
        end = k
        while end < len(flagged) and flagged[end]:
            end += 1
        lost = _structure(moments[k]) - _structure(moments[end])
        if lost >= STRUCTURE_TIE:
            stretches.append(Stretch(k, end, lost, _gap(moments[end]) - _gap(moments[k])))
        k = end
    return stretches


def suggestion_dict(moments: Sequence[Moment], suggestion: Suggestion | None) -> dict | None:
    """The suggestion as JSON (``gallery show --json``): the step (null: the final image), the reason, the
    overdone stretches as step ranges, and the rule's name."""
    if suggestion is None:
        return None
    return {"rule": MOMENT_RULE, "step": suggestion.step, "final": suggestion.is_final, "reason": suggestion.reason,
            "overdone": [{"from_step": moments[s.start].step, "to_step": moments[s.end].step,
                          "structure_lost": round(s.structure_lost, 4)} for s in suggestion.overdone]}
