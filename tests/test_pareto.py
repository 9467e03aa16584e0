"""The Pareto marking of a group against a hand-made case (``nst.pareto``)."""

from nst.pareto import dominates, pareto_marks

MEASURES = ("structure", "style_gap", "colour_gap", "copied")


def card(structure, style_gap, colour_gap=0.5, copied=0.0):
    return {"structure": structure, "style_gap": style_gap, "colour_gap": colour_gap, "copied": copied}


def test_dominance_needs_every_measure_at_least_as_good_and_one_better():
    assert dominates(card(0.8, 0.4), card(0.7, 0.4), MEASURES)
    assert not dominates(card(0.8, 0.4), card(0.8, 0.4), MEASURES)
    assert not dominates(card(0.8, 0.5), card(0.7, 0.4), MEASURES)  # a trade, not a win
    assert not dominates(card(0.9, 0.3, copied=0.2), card(0.8, 0.4, copied=0.0), MEASURES)  # copies more


def test_the_front_and_the_reasons_of_a_hand_made_group():
    cards = {1: card(0.80, 0.40), 2: card(0.70, 0.40), 3: card(0.60, 0.20), 4: card(0.90, 0.30, copied=0.3)}
    marks = {m.run_id: m for m in pareto_marks(cards)}
    assert [i for i, m in marks.items() if m.on_front] == [1, 3, 4]
    assert marks[2].reason == "#1 is as good or better on every measure"
    assert marks[1].reason == "keeps more of the photo than #2 at the same style gap"
    assert marks[3].reason.startswith("is closer to the painting than #")


def test_a_single_run_is_its_own_front():
    assert pareto_marks({5: card(0.5, 0.5)})[0].reason == "the only scored run"
