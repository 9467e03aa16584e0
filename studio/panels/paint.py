"""Step 3's buttons: Stylize, Refine (from the fast preview), Stop, and what a run would paint."""

from __future__ import annotations

import streamlit as st

from nst.access import guest_params_error
from nst.batch import compare_items, sweep_items
from nst.errors import ParamsError
from nst.params import StyleParams
from studio import controls, keys, runtime, state
from studio.access import current_is_owner
from studio.session import notice
from studio.text import plain


def start(init: str | None = None, batch: str | None = None) -> None:
    """Stylize's / Refine's / the batches' callback: runs before the next script run, so the job
    starts without an extra rerun. ``init="fast"``: Refine (start from the fast preview);
    ``batch``: "sweep" or "compare", one queued job for the whole batch."""
    s = st.session_state
    inputs: runtime.ReadyInputs | None = s.pop(keys.READY_INPUTS, None)
    s.pop(keys.LOADED_NOTE, None)
    job = runtime.current_job()
    if inputs is None or (job is not None and job.view().active):
        return
    try:  # the controls as they are now (a setting changed just before the click counts)
        params = state.build_params([float(s.get(key, 1.0)) for key in inputs.blend_keys])
        if init:
            params = params.replace(init=init)
        items = batch_items(batch, params)
    except ParamsError as error:
        notice(str(error))
        return
    refusal = guest_refusal(params, items)
    if refusal:
        notice(refusal)
        return
    runtime.submit(inputs, params, items=items, group_kind=batch)


def guest_refusal(params: StyleParams, items) -> str | None:
    """Why a guest may not paint this (one sentence), or None (always None for the owner): checked
    here, where the run starts, whatever the widgets allowed."""
    if current_is_owner():
        return None
    for each in [item.params for item in items] if items else [params]:
        error = guest_params_error(each, len(items) if items else 1)
        if error:
            return error
    return None


def batch_items(batch: str | None, params: StyleParams):
    """The items of a sweep or a method comparison over ``params`` (None for a single run)."""
    s = st.session_state
    if batch == "sweep":
        names = list(s.get("sweep_params") or [])
        texts = {n: s.get(f"sweep_values_{n}", controls.SWEEP_DEFAULTS.get(n, "")) for n in names}
        return sweep_items(params, controls.sweep_grid(names, texts))
    if batch == "compare":
        if not s.get("cmp_methods"):
            raise ParamsError("Choose at least one method to compare.")
        return compare_items(s["cmp_methods"], size=int(s["cmp_size"]), seconds=float(s["cmp_seconds"]),
                             native=bool(s["cmp_native"]), seed=int(s["seed"]),
                             overrides={"style_blend": params.style_blend})  # the runs blend too
    return None


def paint_buttons(ready: bool, running: bool, fast_ok: bool, params: StyleParams | None, what: str) -> None:
    button_col, refine_col, stop_col, info_col = st.columns([1, 1, 1, 2])
    with button_col:
        st.button("Stylize", type="primary", disabled=not ready or running, width="stretch", on_click=start,
                  help="One run per browser session: stop the current one first." if running else None)
    with refine_col:
        st.button("Refine", disabled=not ready or running or not fast_ok, width="stretch", on_click=start,
                  kwargs={"init": "fast"}, help="Stylize, starting from the fast preview.")
    with stop_col:
        st.button("Stop", disabled=not running, on_click=runtime.stop, width="stretch",
                  help="Stop now and keep the best image so far.")
    with info_col:
        if params is not None:
            st.caption(f"{params.total_steps()} steps over scales {', '.join(map(str, params.scale_sizes()))} px"
                       f" · {plain(what)}")
