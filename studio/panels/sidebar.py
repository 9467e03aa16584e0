"""The sidebar: strength and the three live weights, quality and size, then Advanced and Expert.

Ranges and choices come from the StyleParams field specs (studio.controls), so any stored
value (a gallery re-run of a recipe, a 100,000-step budget) fits its widget.
"""

from __future__ import annotations

import streamlit as st

from nst.access import GUEST_MAX_SIZE, GUEST_QUALITY
from nst.params import QUALITY_PRESETS, STRENGTH_PRESETS, VGG19_CONV_LAYERS, field_spec
from studio import controls as c
from studio import state
from studio.access import current_is_owner
from studio.panels.fast_preview import fast_ready

DEFAULTS = c.DEFAULTS


def sidebar(running: bool) -> None:
    sb = st.sidebar
    sb.header("Controls")
    sb.radio("Strength", list(STRENGTH_PRESETS), key="strength", horizontal=True, on_change=state.apply_strength,
             help="Starting points: how much the style counts compared with the photo.")
    if running:
        sb.info("**Live:** moving the three weight sliders changes the running painting from its next step "
                "(marked in the loss chart).", icon=":material/tune:")
    for key, field in sorted(c.WEIGHT_KEYS.items(), key=lambda item: field_spec(item[1]).key):  # style first
        _weight_slider(sb, key, field)
    sb.divider()
    owner = current_is_owner()
    if owner:
        sb.radio("Quality", list(QUALITY_PRESETS), key="quality", horizontal=True, on_change=state.apply_quality,
                 help="Number of scales and iterations (see Advanced).")
    else:  # the guests' limits (nst/access.py); start() refuses anything beyond them anyway
        state.apply_guest_caps()
        sb.caption(f"Quality: **{GUEST_QUALITY}**, at most {GUEST_MAX_SIZE} px (the studio's owner sets the rest).")
    sizes = c.SIZES if owner else [size for size in c.SIZES if size <= GUEST_MAX_SIZE]
    sb.select_slider(c.label("size"), c.with_value(sizes, int(st.session_state["size"])),
                     key="size", help="256 px paints in about a minute on a 2-core laptop; each doubling costs "
                                      "about 4x.")
    sb.selectbox(c.label("preserve_colors"), c.choices("preserve_colors"), key="preserve_colors",
                 format_func=lambda v: c.PRESERVE_LABELS.get(v, v))
    low, high = c.widget_range("style_scale")
    sb.slider(c.label("style_scale"), float(low), float(high), key="style_scale", step=0.05, help=field_spec("style_scale").help)
    fast_ok = fast_ready()
    if st.session_state.get("init") == "fast" and not fast_ok:
        st.session_state["init"] = c.DEFAULTS.init
    sb.selectbox(c.label("init"), [i for i in c.INIT_LABELS if i != "fast" or fast_ok], key="init",
                 format_func=lambda v: c.INIT_LABELS.get(v, v))
    low, high = c.widget_range("seed")
    sb.number_input(c.label("seed"), low, high, key="seed", step=1, help="Same seed and settings: same picture.")
    with sb.expander("Advanced"):
        _advanced(owner)
    if owner:  # the budget and the scales' step decay are the quality's business
        with sb.expander("Expert: loss form, budget, optimiser details"):
            for name in c.expert_fields():
                spec_widget(name)
    if running:
        sb.caption("Other settings apply to the next run.")


def _weight_slider(sb, key: str, field: str) -> None:
    default = getattr(DEFAULTS, field)
    scale = "Log scale, as a multiple of the default" + (" (0 = off)" if 0.0 in c.multiples(field) else "")
    sb.select_slider(c.label(field), c.with_value(c.multiples(field), float(st.session_state[key])), key=key,
                     format_func=lambda m: c.weight_label(default, m), on_change=state.live_weights,
                     help=f"{scale}. {field_spec(field).help.capitalize()}.")


def _advanced(owner: bool) -> None:
    st.selectbox(c.label("optimizer"), c.choices("optimizer"), key="optimizer",
                 format_func=lambda v: c.OPTIMIZER_LABELS.get(v, v))
    spec_widget("learning_rate")
    if owner:  # a guest paints the Standard quality's scales and iterations
        spec_widget("scales")
        spec_widget("iterations")
    st.selectbox(c.label("pooling"), c.choices("pooling"), key="pooling")
    st.selectbox(c.label("precision"), c.choices("precision"), key="precision", help=field_spec("precision").help)
    st.selectbox("Content layer", VGG19_CONV_LAYERS, key="content_layer")
    st.multiselect("Style layers", VGG19_CONV_LAYERS, key="style_layers")
    for name in st.session_state["style_layers"]:
        st.session_state.setdefault(f"lw_{name}", 1.0)
        st.number_input(f"weight of {name}", 0.0, None, key=f"lw_{name}", step=0.1)


def spec_widget(name: str) -> None:
    """A widget for a StyleParams field, drawn from its FieldSpec (key: the field, or x_<field> in Expert)."""
    spec = field_spec(name)
    key = name if name in c.DIRECT_FIELDS else c.EXPERT_PREFIX + name
    label = c.label(name)
    if spec.kind == "choice":
        st.selectbox(label, list(spec.choices), key=key, help=spec.help)
        return
    low, high = c.widget_range(name)
    if spec.kind == "int":
        st.number_input(label, low, high, key=key, step=1, help=spec.help)
    else:
        st.number_input(label, low, high, key=key, format="%g", help=spec.help)
