"""The Sweep and Compare-methods expanders: one queued job each, saved as a gallery group."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.access import GUEST_MAX_SECONDS, GUEST_MAX_SIZE, GUEST_MAX_SWEEP
from nst.batch import SWEEP_SIZE, SWEEPABLE, compare_items
from nst.errors import ParamsError
from nst.recipes import COMPARE_MAX_SIZE, COMPARE_SECONDS, COMPARE_SIZE, RECIPES
from nst.units import format_seconds
from studio import controls
from studio.access import current_is_owner
from studio.panels.paint import start

COMPARE_DEFAULTS = {"cmp_methods": list(RECIPES)[:2], "cmp_size": COMPARE_SIZE,
                    "cmp_seconds": float(COMPARE_SECONDS), "cmp_native": False}


def sweep_panel(ready: bool, running: bool) -> None:
    state = st.session_state
    with st.expander("Sweep: a grid of runs over one or two settings"):
        st.multiselect("Parameters (1 or 2)", SWEEPABLE, key="sweep_params", max_selections=2)
        names = list(state.get("sweep_params") or [])
        for name in names:
            unit = " (multiples of the default)" if name in controls.WEIGHT_KEYS.values() else ""
            state.setdefault(f"sweep_values_{name}", controls.SWEEP_DEFAULTS[name])
            st.text_input(f"{name} values{unit}, comma-separated", key=f"sweep_values_{name}")
        try:
            grid = controls.sweep_grid(names, {n: state[f"sweep_values_{n}"] for n in names})
            n = int(np.prod([len(v) for v in grid.values()]))
            st.caption(f"{n} runs at Preview quality, at most {SWEEP_SIZE} px each; saved to the gallery as one group.")
        except ParamsError as error:
            n = 0
            st.caption(str(error))
        too_many = not current_is_owner() and n > GUEST_MAX_SWEEP
        if too_many:
            st.caption(f"Guests run sweeps of at most 2 × 2 ({GUEST_MAX_SWEEP} runs); choose fewer values.")
        st.button("Run sweep", key="run_sweep", disabled=not ready or running or too_many, on_click=start,
                  kwargs={"batch": "sweep"})


def compare_panel(ready: bool, running: bool) -> None:
    state = st.session_state
    with st.expander("Compare methods"):
        st.multiselect("Methods", list(RECIPES), key="cmp_methods", format_func=lambda k: RECIPES[k].name)
        owner = current_is_owner()
        if not owner:  # a guest's comparison: at most 512 px and a minute each (nst/access.py)
            state["cmp_size"] = min(int(state["cmp_size"]), GUEST_MAX_SIZE)
            state["cmp_seconds"] = min(float(state["cmp_seconds"]), GUEST_MAX_SECONDS)
            state["cmp_native"] = False
        low, _ = controls.widget_range("size")
        st.number_input("Size (px)", low, COMPARE_MAX_SIZE if owner else GUEST_MAX_SIZE, key="cmp_size", step=32)
        st.number_input("Seconds each", 5.0, 3600.0 if owner else GUEST_MAX_SECONDS, key="cmp_seconds", step=5.0)
        if owner:
            st.checkbox("Native settings (each method's own size and iterations; no time limit)", key="cmp_native")
        if state["cmp_native"]:
            try:
                steps = sum(i.params.total_steps() for i in compare_items(state["cmp_methods"], native=True))
                st.warning(f"Native settings are slow: {steps} steps in all; on a 2-core CPU expect roughly "
                           f"{format_seconds(steps * 1.5)} at {COMPARE_SIZE} px and far longer at larger sizes.",
                           icon=":material/schedule:")
            except ParamsError as error:
                st.caption(str(error))
        st.button("Compare methods", key="run_compare", disabled=not ready or running, on_click=start,
                  kwargs={"batch": "compare"})
