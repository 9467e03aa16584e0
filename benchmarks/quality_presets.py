"""The quality benchmark's presets: the frozen old defaults (``v1``, ``v2``, ``v3``), today's
(``default``), and every candidate measured when choosing a default (docs/quality.md, docs/speed.md).

Each preset is a function size -> ``StyleParams``. Names in ``BEFORE_21`` run as the engine did before
issue #21 (a finer scale starts from the upscaled painting alone); ``benchmarks.quality`` switches
``nst.engine.CARRY_DETAIL`` for them.
"""

from __future__ import annotations

from typing import Any, Callable


def _layers(*weights: float) -> tuple[tuple[str, float], ...]:
    """Style layers block1..5_conv1 with these weights (a zero weight drops the layer)."""
    return tuple((f"block{n}_conv1", w) for n, w in zip(range(1, 6), weights) if w > 0)


def _default(size: int):
    from nst.params import StyleParams

    return StyleParams(size=size)


def _from_the_photo(size: int):
    """Today's default as every default before the palette start and the style balance ran (both off)."""
    return _default(size).replace(init="content", style_balance=0.0)


# The style weight of the defaults before issue #20 (which raised it to 15): the frozen presets
# and the candidates below keep it unless they name their own.
OLD_STYLE_WEIGHT = 10.0


def _with_layers(*weights: float) -> Callable[[int], Any]:
    return lambda size: _from_the_photo(size).replace(style_layers=_layers(*weights), style_weight=OLD_STYLE_WEIGHT)


# v1: the default before issue #12; v2: the default of #12 (both differ from today's default only
# in the style layers' weights and the style weight, and start from the photo without the style balance).
# The others are the candidates of docs/quality.md's cause table (its style-size row needs an
# engine change and is not here).
PRESETS: dict[str, Callable[[int], Any]] = {
    "v1": _with_layers(1, 1, 1, 1, 1),
    "v2": _with_layers(1, 1, 1, 0.25, 0.0625),  # the default of issue #12, frozen (issue #20 replaced it)
    "v3": lambda size: _with_layers(1, 1, 1, 0.125)(size).replace(style_weight=15.0),  # issue #20's first default
    "default": _default,
    "falling": _with_layers(256, 64, 16, 4, 1),  # crowsonkb's style-transfer-pytorch
    "no_deep": _with_layers(1, 1, 1, 0, 0),
    "half": _with_layers(1, 1, 1, 0.5, 0.25),
    # issue #20's diagnosis: each deep layer dropped from the #12 default, and noise init
    "no_b5": _with_layers(1, 1, 1, 0.25, 0),
    "no_b4": _with_layers(1, 1, 1, 0, 0.0625),
    "noise": lambda size: PRESETS["v2"](size).replace(init="noise"),
    # issue #20's remedies screened at 256 px (docs/quality.md, "Remedies")
    "w2": lambda size: PRESETS["v2"](size).replace(style_loss_form="w2"),
    "w2_no_b5": lambda size: PRESETS["no_b5"](size).replace(style_loss_form="w2"),
    "no_b5_b4_8_sw15": lambda size: _with_layers(1, 1, 1, 0.125, 0)(size).replace(style_weight=15.0),
    "no_b5_ss2": lambda size: PRESETS["no_b5"](size).replace(style_scale=2.0),
    "no_b5_b4_16_sw15": lambda size: _with_layers(1, 1, 1, 0.0625, 0)(size).replace(style_weight=15.0),
    "no_deep_sw15": lambda size: PRESETS["no_deep"](size).replace(style_weight=15.0),
    "no_b5_b4_8_sw12": lambda size: _with_layers(1, 1, 1, 0.125, 0)(size).replace(style_weight=12.0),
    # issue #20, what was left: a higher style weight at 512 px for the pairs whose gaps lag v2's;
    # v3_sw20 (with the carry-over: v3_sw20_cd) was the default until style weight 30 (docs/quality.md,
    # "Style weight 20" and "Style weight 30"); today's default is "default"
    "v3_sw18": lambda size: PRESETS["v3"](size).replace(style_weight=18.0),
    "v3_sw20": lambda size: PRESETS["v3"](size).replace(style_weight=20.0),
    # v4: the default of 2026-12-07 night (style weight 30 from the photo, no balance), frozen; the cached
    # 512 px rows of it are named "cd30" in docs/quality.md
    "v4": lambda size: _from_the_photo(size).replace(style_weight=30.0),
}
PRESETS["cd30"] = PRESETS["v4"]
# issue #20, the palette start and the style balance (docs/quality.md, "The palette start and the style
# balance"): "palNN" starts from the photo in the painting's colours at style weight NN; "balNN_G" adds the
# balance with exponent G/100 (bal30_75 is today's default); "pl<weights>_NN" other block1..4 weights
PRESETS.update({f"pal{w}": (lambda size, w=w: _default(size).replace(style_weight=float(w), style_balance=0.0))
                for w in (25, 30, 35, 40)})
PRESETS.update({f"bal{w}_{g}": (lambda size, w=w, g=g: _default(size).replace(style_weight=float(w),
                                                                               style_balance=g / 100))
                for w in (25, 27, 28, 30) for g in (50, 75, 100)})
PRESETS.update({f"pl{name}_25": (lambda size, weights=weights: _default(size).replace(
    style_weight=25.0, style_balance=0.0, style_layers=_layers(*weights)))
    for name, weights in (("112", (1, 1, 2, 0.125)), ("0512", (0.5, 1, 2, 0.125)), ("1114", (1, 1, 1, 0.25)),
                          ("113", (1, 1, 3, 0.125)))})
# issue #21's third screen, on the default above (palette start, balance): cheaper schedules, "pb_<steps>"
PB_SCHEDULES = {"pb_40_16_6": (40, 0.4), "pb_60_24_10": (60, 0.4), "pb_20_13_8": (20, 0.63), "pb_80_24_7": (80, 0.3)}
PRESETS.update({name: (lambda size, it=it, decay=decay: _default(size).replace(iterations=it, iteration_decay=decay))
                for name, (it, decay) in PB_SCHEDULES.items()})
_BLOCK3_CONTENT = (("block3_conv2", 1.0), ("block4_conv2", 1.0))
PRESETS["c34_35"] = lambda size: PRESETS["v4"](size).replace(style_weight=35.0, content_layers=_BLOCK3_CONTENT)
PRESETS["pc34_35"] = lambda size: PRESETS["pal35"](size).replace(content_layers=_BLOCK3_CONTENT)


def _schedule(scales: int, iterations: int, decay: float, *layer_weights: float,
              style_weight: float = OLD_STYLE_WEIGHT) -> Callable[[int], Any]:
    """The #12 default's loss (v2) with another schedule (issue #21's first screen; docs/speed.md), and other
    layers or style weight if given."""
    def params(size: int):
        base = _with_layers(*(layer_weights or (1, 1, 1, 0.25, 0.0625)))(size)
        return base.replace(scales=scales, iterations=iterations, iteration_decay=decay, style_weight=style_weight)
    return params


def _v3_schedule(scales: int, iterations: int, decay: float, style_weight: float = 15.0) -> Callable[[int], Any]:
    """Issue #20's default loss (v3) with another schedule and style weight (issue #21's second screen)."""
    return lambda size: PRESETS["v3"](size).replace(scales=scales, iterations=iterations, iteration_decay=decay,
                                                    style_weight=float(style_weight))


# Issue #21's first screen, on the #12 default's loss (v2): "s80_32_13" is the schedule before #21 (3 scales,
# 80 steps, decay 0.4), frozen; the names give the steps per scale, coarse to fine; "_nb5" drops
# block5_conv1 (weight 1/16).
SCHEDULES = {
    "s80_32_13": (3, 80, 0.4), "s40_16_6": (3, 40, 0.4), "s60_24_10": (3, 60, 0.4), "s50_15_4": (3, 50, 0.3),
    "s80_24_7": (3, 80, 0.3), "s80_20_5": (3, 80, 0.25), "s120_24_5": (3, 120, 0.2), "s100_40_16": (3, 100, 0.4),
    "s30_12_5": (3, 30, 0.4), "s40_12_4": (3, 40, 0.3),
}
PRESETS.update({name: _schedule(*schedule) for name, schedule in SCHEDULES.items()})
PRESETS.update({f"{name}_nb5": _schedule(*schedule, 1, 1, 1, 0.25, 0) for name, schedule in SCHEDULES.items()})
PRESETS.update({f"{name}_sw{w}": _schedule(*SCHEDULES[name], style_weight=w)
                for name, w in (("s40_16_6", 15), ("s40_16_6", 20), ("s80_24_7", 15))})
# The second screen, on #20's default loss (v3, style weight 15): "v3_80_32_13" is the default #21 replaces;
# "_swNN" another style weight (no-block5 copies far less, so a cheap schedule may afford more style).
V3_SCHEDULES = {"v3_80_32_13": (3, 80, 0.4), "v3_40_16_6": (3, 40, 0.4), "v3_60_16_4": (3, 60, 4 / 15),
                "v3_80_16_3": (3, 80, 0.2), "v3_60_18_5": (3, 60, 0.3), "v3_50_20_8": (3, 50, 0.4),
                "v3_30_15_8": (3, 30, 0.5), "v3_20_13_8": (3, 20, 0.63), "v3_14_11_9": (3, 14, 0.8),
                # 4 scales (64 px first): at 256 px the 64 px floor drops one, so these are screened at 512 px
                "v3_4s_80_32_13_5": (4, 80, 0.4), "v3_4s_50_25_12_6": (4, 50, 0.5)}
PRESETS.update({name: _v3_schedule(*schedule) for name, schedule in V3_SCHEDULES.items()})
PRESETS.update({f"{name}_sw{w}": _v3_schedule(*V3_SCHEDULES[name], style_weight=w)
                for name, w in [(n, w) for n in ("v3_40_16_6", "v3_60_16_4", "v3_80_16_3") for w in (18, 20)]
                + [("v3_14_11_9", 25), ("v3_30_15_8", 20)]})
# These run as the engine did before #21 (a finer scale starts from the upscaled painting alone); the
# same with "_cd" start it with the photo's detail the coarser scale could not hold (nst.engine).
BEFORE_21 = frozenset(name for name in PRESETS if name.startswith(("s", "v3_")))
PRESETS.update({f"{name}_cd": PRESETS[name] for name in BEFORE_21})
