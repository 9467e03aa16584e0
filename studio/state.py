"""The studio's parameters in the session: a base ``StyleParams`` with the widgets overlaid.

Streamlit glue around the pure ``studio.controls``: set the widgets from a base (the
defaults, or a gallery run's params), the presets' callbacks, and the params to paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from nst.access import GUEST_MAX_SIZE, GUEST_QUALITY
from nst.errors import NSTError, ParamsError
from nst.params import StyleParams
from studio import controls, keys, runtime
from studio.session import notice
from studio.uploads import Picture, thumb

# widgets that are not StyleParams fields, and their first values
PAGE_DEFAULTS: dict[str, Any] = {
    "strength": "Balanced", "quality": "Standard", "show_mask": False,
    "brush_mode": next(iter(controls.BRUSH_MODES)), "brush_size": 24,
    "sweep_params": ["style_weight", "content_weight"],
}


@dataclass(frozen=True)
class LoadedRun:
    """A gallery run's inputs, loaded by "Re-run": used until the user drops them."""

    run_id: int
    content: Picture
    styles: list[Picture]
    mask: np.ndarray | None = None  # the style mask the run used (uploaded and red strokes combined)
    detail_mask: np.ndarray | None = None  # its detail mask (the blue strokes)


def init_state(first_content: str, first_style: str, compare_defaults: dict[str, Any]) -> None:
    """First run of a session: the defaults as base, every widget showing them."""
    state = st.session_state
    if keys.BASE_PARAMS not in state:
        _seed(StyleParams())
    for key, value in {**controls.widget_values(state[keys.BASE_PARAMS]), **PAGE_DEFAULTS, **compare_defaults,
                       "content_example": first_content, "style_examples": [first_style]}.items():
        state.setdefault(key, value)


def _seed(base: StyleParams) -> None:
    values = controls.widget_values(base)
    st.session_state[keys.BASE_PARAMS] = base
    st.session_state[keys.SEEDED] = values
    st.session_state.update(values)
    strength, quality = controls.preset_of(base)
    st.session_state["strength"] = strength or "Balanced"
    st.session_state["quality"] = quality or "Standard"


def widget_values() -> dict[str, Any]:
    state = st.session_state
    names = list(state.get("style_layers", ()))
    wanted = list(controls.widget_values(StyleParams())) + [f"lw_{n}" for n in names]
    return {key: state[key] for key in wanted if key in state}


def build_params(blend: list[float]) -> StyleParams:
    """The base with the changed widgets on top (raises ParamsError)."""
    return controls.params_from_widgets(st.session_state[keys.BASE_PARAMS], widget_values(),
                                        st.session_state[keys.SEEDED], blend)


# ---- callbacks --------------------------------------------------------------------------------------
def apply_strength() -> None:
    st.session_state.update(controls.strength_values(st.session_state["strength"]))
    live_weights()


def apply_quality() -> None:
    st.session_state.update(controls.quality_values(st.session_state["quality"]))


def apply_guest_caps() -> None:
    """A guest's controls brought within the guests' limits before the sidebar draws them (a gallery
    re-run may have loaded a Print run): the Standard quality, at most 512 px (nst/access.py)."""
    state = st.session_state
    state["size"] = min(int(state["size"]), GUEST_MAX_SIZE)
    standard = controls.quality_values(GUEST_QUALITY)
    if state.get("quality") != GUEST_QUALITY or any(state.get(k) != v for k, v in standard.items()):
        state["quality"] = GUEST_QUALITY
        apply_quality()


def live_weights() -> None:
    """Slider callback: steer the running painting (takes effect at its next step)."""
    if runtime.steer(controls.weights(st.session_state)):
        st.toast("Live: the new weights apply from the painting's next step.", icon=":material/tune:")


# ---- "Re-run" from the gallery ------------------------------------------------------------------------
def apply_rerun_from_gallery() -> None:
    """The gallery's "Re-run" put a run's params (and id) in the session: make them the base (before
    any widget exists) and load that run's photo and styles as the current inputs."""
    state = st.session_state
    raw = state.pop(keys.RERUN_PARAMS, None)
    run_id = state.pop(keys.RERUN_RUN_ID, None)
    if raw is None:
        return
    try:
        params = raw if isinstance(raw, StyleParams) else StyleParams.from_dict(raw)
    except (ParamsError, TypeError, ValueError) as error:
        notice(f"Could not load that run's settings: {error}")
        return
    where = "the gallery" if run_id is None else f"run {run_id}"
    restart = ""
    if params.init == "image":  # the gallery keeps no init image (RunInputs.init_image): the photo instead
        params = params.replace(init="content")
        restart = " That run started from an image the gallery does not keep, so this one starts from the photo."
    _seed(params)
    note = f"Loaded settings from {where}"
    state[keys.LOADED_NOTE] = note + " (unchanged controls keep the run's exact values)." + restart
    if run_id is not None:
        _load_run_inputs(int(run_id), note)


def _load_run_inputs(run_id: int, note: str) -> None:
    from nst.store import Store

    state = st.session_state
    try:
        store = Store()
        inputs, original = store.input_images(run_id), store.original_file(run_id)
    except (NSTError, OSError) as error:
        notice(f"{note}, but not its images: {error}")
        return
    names = list(inputs.style_names) + [""] * (len(inputs.styles) - len(inputs.style_names))
    content_name = inputs.content_name or f"photo of run {run_id}"
    state[keys.LOADED_INPUTS] = LoadedRun(
        run_id, Picture(f"run{run_id}", content_name, inputs.content, thumb(inputs.content), original=original),
        [Picture(f"run{run_id}_{i}", n or f"style {i + 1} of run {run_id}", px, thumb(px))
         for i, (n, px) in enumerate(zip(names, inputs.styles))],
        inputs.style_mask, inputs.detail_mask)
    state["style_examples"] = []
    state[keys.EXAMPLES_PICKED] = True
    for i, weight in enumerate(inputs.blend):
        state[f"blend_run{run_id}_{i}"] = float(min(1.0, max(0.0, weight)))
