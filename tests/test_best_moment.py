"""The best moment of a run (nst.best_moment): the suggestion and the overdone stretch on synthetic runs
whose answer is known, the rule's edges, and its JSON."""

from __future__ import annotations

from nst.best_moment import GAP_TOLERANCE, MOMENT_RULE, Moment, overdone, suggest, suggestion_dict


def run(*cards: tuple[float, float]) -> list[Moment]:
    """Moments at steps 10, 20, ... from (structure, style gap) pairs; the last is the final image."""
    moments = [Moment((i + 1) * 10, {"structure": s, "style_gap": g}) for i, (s, g) in enumerate(cards)]
    return moments[:-1] + [Moment(None, moments[-1].card)]


def test_an_overdone_run_suggests_the_moment_before_it_was_overdone():
    # the style gap stops improving at step 30 while structure keeps falling from there: keep step 30
    moments = run((0.70, 0.60), (0.66, 0.40), (0.64, 0.300), (0.60, 0.299), (0.55, 0.298), (0.50, 0.297))
    suggestion = suggest(moments)
    assert suggestion.step == 30 and not suggestion.is_final
    assert "keeps more of the photo than the final image (structure 0.64 vs 0.50)" in suggestion.reason
    [stretch] = suggestion.overdone
    assert (moments[stretch.start].step, moments[stretch.end].step) == (30, None)
    assert round(stretch.structure_lost, 3) == 0.14


def test_a_run_that_improves_to_the_end_keeps_its_final_image():
    moments = run((0.50, 0.60), (0.52, 0.50), (0.55, 0.40), (0.57, 0.30))
    suggestion = suggest(moments)
    assert suggestion.is_final and suggestion.index == 3 and suggestion.overdone == ()
    assert suggestion.reason.startswith("no earlier moment keeps more of the photo at its style gap")


def test_more_of_the_photo_counts_only_at_about_the_final_images_style_gap():
    final_gap = 0.400
    assert suggest(run((0.80, final_gap * (1 + GAP_TOLERANCE + 0.005)), (0.60, final_gap))).is_final
    assert suggest(run((0.80, final_gap * (1 + GAP_TOLERANCE - 0.005)), (0.60, final_gap))).step == 10


def test_closer_to_the_painting_at_the_same_structure_is_suggested():
    suggestion = suggest(run((0.60, 0.25), (0.598, 0.30)))
    assert suggestion.step == 10
    assert suggestion.reason == ("step 10 is closer to the painting than the final image (style gap 0.25 vs 0.30) "
                                 "at about its structure (structure 0.60 vs 0.60)")


def test_a_moment_that_only_trades_photo_for_painting_is_not_suggested():
    assert suggest(run((0.70, 0.35), (0.60, 0.30))).is_final  # more photo, clearly less painted
    assert suggest(run((0.50, 0.25), (0.60, 0.30))).is_final  # more painted, clearly less photo


def test_of_equally_better_moments_the_earliest_is_suggested():
    assert suggest(run((0.620, 0.300), (0.622, 0.300), (0.600, 0.300))).step == 10


def test_a_stretch_that_still_gets_closer_to_the_painting_is_not_overdone():
    # structure falls throughout, but each moment is clearly closer to the painting: a trade, not overdone
    assert overdone(run((0.70, 0.60), (0.65, 0.50), (0.60, 0.40), (0.55, 0.30))) == []


def test_an_overdone_stretch_in_the_middle_is_found_and_tiny_falls_are_not():
    moments = run((0.60, 0.50), (0.58, 0.40), (0.55, 0.40), (0.52, 0.40), (0.56, 0.40), (0.5599, 0.40))
    [stretch] = overdone(moments)
    assert (stretch.start, stretch.end) == (1, 3)
    assert overdone(run((0.600, 0.4), (0.598, 0.4), (0.597, 0.4))) == []  # lost 0.003 in all: noise


def test_no_moments_no_suggestion_and_the_json_names_the_rule():
    assert suggest([]) is None and suggestion_dict([], None) is None
    moments = run((0.70, 0.30), (0.60, 0.30))
    data = suggestion_dict(moments, suggest(moments))
    assert data["rule"] == MOMENT_RULE and data["step"] == 10 and data["final"] is False
    assert data["overdone"] == [{"from_step": 10, "to_step": None, "structure_lost": 0.1}]
