"""The studio's process-wide pieces (one job runner, TensorFlow kept warm) and this session's job.

TEST HOOK: ``NST_STUDIO_TEST_TINY_NET=1`` makes the studio use a tiny *random* network
(``nst.model.tiny_feature_net_for_tests``) instead of VGG19, so the AppTest and browser tests
run in seconds without weights. It is read only here, the page shows a banner while it is
on, and without it a missing weight file is an error message, never a silent fallback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from nst.errors import ParamsError
from nst.job import Job
from nst.job_saving import store_saver
from nst.jobs import JobRunner
from nst.queue_policy import QueueRefused
from nst.run_types import RunInputs
from studio import keys
from studio.access import current_is_owner
from studio.session import notice

TEST_TINY_NET_ENV = "NST_STUDIO_TEST_TINY_NET"
SESSION_RESULTS = 6


def keep_tensorflow_warm_between_reruns() -> None:
    """Stop Streamlit from resetting TensorFlow after every script run.

    After *every* run (so also every poll of the live panel, about twice a second) Streamlit
    1.67 calls ``keras.backend.clear_session()`` (which clears TensorFlow's eager kernel cache and
    runs a full garbage collection) and, with ``runner.postScriptGC`` on, another ``gc.collect(2)``.
    Both hold the GIL and the first throws away the running optimisation's kernels: measured,
    a painting watched in the browser ran many times slower than an unwatched one. The page
    builds no Keras models (nst.model clears its own Keras session after building VGG19), so
    skipping that clean-up is safe. Private Streamlit API, pinned version: checked by
    tests/test_app.py; if it moves, the page still works, only slower.
    """
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner, "_clean_problem_modules", None) is not None:
        script_runner._clean_problem_modules = lambda: None
    try:
        config.set_option("runner.postScriptGC", False, "studio: keep TensorFlow warm")
        # "Magic" compiles the page script through ast.parse. On CPython 3.11.7 ast.parse is not
        # thread-safe (gh-106905): when the worker traces a tf.function (autograph parses Python
        # source too) at the same moment, the script run fails with "SystemError: AST constructor
        # recursion depth mismatch". The pages use no magic, so plain compile() is enough.
        config.set_option("runner.magicEnabled", False, "studio: no ast.parse next to autograph")
    except Exception:  # noqa: BLE001 - an unknown option in a later Streamlit: nothing to turn off
        pass


def tiny_net_hook() -> bool:
    return os.environ.get(TEST_TINY_NET_ENV) == "1"


@st.cache_resource(show_spinner=False)
def _studio_runner(tiny_test_net: bool) -> JobRunner:
    """The process's job runner; it builds the network once, in the background, and keeps it."""
    if tiny_test_net:
        from nst.model import tiny_feature_net_for_tests

        return JobRunner(net_provider=lambda: tiny_feature_net_for_tests(seed=0), save_result=store_saver())
    # nst.model.get_feature_net: the real VGG19; every finished or stopped run goes to the gallery
    # store ($NST_DATA_DIR), saved and scored in the worker thread
    return JobRunner(save_result=store_saver())


def runner() -> JobRunner:
    return _studio_runner(tiny_net_hook())


@st.cache_data(show_spinner=False)
def device() -> str:
    from nst.precision import compute_device

    return compute_device()


# ---- the job of this session ---------------------------------------------------------------------
@dataclass(frozen=True)
class ReadyInputs:
    """What Stylize would paint now: set by the page on each run, read by the button's callback."""

    run: RunInputs  # the pictures, masks and names
    blend_keys: list[str]  # the widget keys of the styles' blend sliders


def current_job() -> Job | None:
    job_id = st.session_state.get(keys.JOB_ID)
    return runner().get(job_id) if job_id else st.session_state.get(keys.JOB_REF)


def attach_from_url() -> None:
    """A reloaded tab has a fresh session: reattach to its run through ?job=<id>."""
    if keys.JOB_ID in st.session_state:
        return
    job_id = st.query_params.get("job")
    if not job_id:
        return
    job = runner().get(job_id)
    if job is None:
        notice("That run is no longer on this server (it was restarted or the run is old).")
        del st.query_params["job"]
        return
    _adopt(job)


def _adopt(job: Job) -> None:
    st.session_state[keys.JOB_ID] = job.id
    st.session_state[keys.JOB_REF] = job  # survives the registry forgetting old jobs
    history = st.session_state.setdefault(keys.RESULTS, [])
    if job not in history:
        history.insert(0, job)
        del history[SESSION_RESULTS:]


def submit(inputs: ReadyInputs, params, items=None, group_kind: str | None = None) -> None:
    """Queue a run (or a batch: ``items``) of the ready inputs as this session's job."""
    job = Job(inputs.run, None if items else params, owner=st.session_state.get(keys.SESSION_TOKEN), items=items,
              group_kind=group_kind)
    try:
        runner().submit(job, guest=not current_is_owner())
    except QueueRefused as error:  # a guest's second painting, or the guests' queue is full
        notice(str(error))
        return
    _adopt(job)
    st.query_params["job"] = job.id


def stop() -> None:
    job = current_job()
    if job is not None:
        job.stop()


def steer(weights: dict[str, float]) -> bool:
    """Send new weights to the running job (from its next step); False when nothing is running."""
    job = current_job()
    if job is None or not job.view().active:
        return False
    try:
        job.set_weights(**weights)
    except ParamsError as error:
        notice(str(error))
        return False
    return True
