"""What the scorecard's numbers mean, without TensorFlow: its version, each measure's direction and
help, and the blend-weighted mean over several paintings. The measuring itself is ``nst.scorecard``;
the gallery, its JSON and the Pareto marking (``nst.pareto``) read only this module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

SCORECARD_VERSION = "nst-scorecard-v2"  # v2: copied ignores the painting's brushwork alone


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    higher_is_better: bool
    better: str  # "keeps more of the photo": how a better value reads in a reason
    help: str


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("structure", "structure", True, "keeps more of the photo",
            "how much of the photo's layout survives (1 = all of it); higher is better"),
    Measure("style_gap", "style gap", False, "is closer to the painting",
            "how far the picture's textures still are from the painting's, as a share of the photo's "
            "distance (0 = the painting's, 1 = no closer than the photo); lower is better"),
    Measure("colour_gap", "colour gap", False, "has the painting's colours more",
            "the same for the colours alone; lower is better"),
    Measure("copied", "copied", False, "copies less of the painting",
            "share of the picture showing specific spots of the painting (a pasted face or eye) rather "
            "than the photo painted in its strokes (strokes in a plain sky do not count); lower is better"),
)}

HELP = ("The scorecard measures a picture with numbers the optimiser was not tuned against "
        f"({SCORECARD_VERSION}, 256 px). " + " ".join(f"{m.label.capitalize()}: {m.help}." for m in MEASURES.values())
        + " With several paintings each is measured against every painting and the blend-weighted mean is "
        "shown. What it cannot tell: whether the picture is beautiful, or which trade-off you prefer: "
        "that is what friends' votes are for.")


def blended(cards: Sequence[Mapping[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """The blend-weighted mean of per-painting scorecards (weights need not sum to one)."""
    total = float(sum(weights))
    return {name: sum(w * card[name] for card, w in zip(cards, weights)) / total for name in MEASURES}


def scorecard_line(card: Mapping[str, float] | None) -> str:
    """``structure 0.81 · style gap 0.42 · colour gap 0.30 · copied 0.01`` (or that there is none yet)."""
    if card is None:
        return "no scorecard yet (python -m nst gallery rescore)"
    return " · ".join(f"{m.label} {card[name]:.2f}" for name, m in MEASURES.items())
