"""The best moment of a run: which of the final scale's pictures to keep, and where it was overdone.

Late iterations can be overdone: the optimiser keeps lowering its loss while the picture stops
getting closer to the painting and loses more of the photo. Each moment of the final scale (its
snapshots at the output's size, and the final image) has a scorecard (``nst.scorecard``: numbers
the optimiser was not tuned against), and the rule below reads only those:

- **The suggestion**: among the moments whose style gap is within ``GAP_TOLERANCE`` (2 %) of the
  lowest style gap of the run's moments, the one with the highest structure; of moments whose
  structure is within ``STRUCTURE_TIE`` of that, the earliest.
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
    "The suggested moment: of the final scale's snapshots and the final image, those whose style gap is "
    f"within {GAP_TOLERANCE:.0%} of the lowest, and of these the one that keeps the most of the photo "
    f"(highest structure; within {STRUCTURE_TIE} the earliest). Overdone: from one snapshot to the next "
    "structure falls while the style gap no longer improves (no later snapshot is 2 % closer to the "
    "painting). The numbers are the scorecard's, measured at 256 px: they cannot see detail finer than that, "
    "or tell which picture you like.")


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


def suggest(moments: Sequence[Moment]) -> Suggestion | None:
    """The moment to keep by the rule of this module (None without moments)."""
    if not moments:
        return None
    best_gap = min(_gap(m) for m in moments)
    close = [i for i, m in enumerate(moments) if _gap(m) <= best_gap * (1 + GAP_TOLERANCE) + 1e-12]
    top = max(_structure(moments[i]) for i in close)
    index = min(i for i in close if _structure(moments[i]) >= top - STRUCTURE_TIE)
    return Suggestion(index, moments[index].step, _reason(moments, index), tuple(overdone(moments)))


def _reason(moments: Sequence[Moment], index: int) -> str:
    chosen, final = moments[index], moments[-1]
    numbers = f"structure {_structure(chosen):.2f}, style gap {_gap(chosen):.2f}"
    if chosen is final:
        return f"the final image is as close to the painting as any moment and keeps the most of the photo ({numbers})"
    return (f"{chosen.label} keeps more of the photo than the final image (structure {_structure(chosen):.2f} vs "
            f"{_structure(final):.2f}) at a style gap within {GAP_TOLERANCE:.0%} of the best "
            f"({_gap(chosen):.2f} vs {_gap(final):.2f})"
            if _structure(chosen) > _structure(final) + STRUCTURE_TIE else
            f"{chosen.label} is as good as the final image by the scorecard ({numbers}), and earlier")


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
