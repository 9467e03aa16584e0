"""Background jobs: queue, live control, stop, heartbeat watchdog, model state. Tiny net, tiny images.

No timing assertions: everything synchronises on job state changes, with generous timeouts.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nst.errors import ModelUnavailable
from nst.job import Job
from nst.run_types import RunInputs, FAILED, FINISHED, QUEUED, RUNNING, STOPPED
from nst.jobs import MODEL_READY, MODEL_UNAVAILABLE, JobRunner
from nst.units import format_seconds
from nst.params import StyleParams

FAST = StyleParams(size=64, scales=1, iterations=6, style_weight=10.0, snapshot_every=2)
LONG = FAST.replace(iterations=100_000)
WAIT = 120


@pytest.fixture
def runner(tiny_net):
    r = JobRunner(net_provider=lambda: tiny_net, watchdog_interval=0.05)
    yield r
    r.shutdown()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_runs_to_the_end_and_keeps_its_record(runner, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == FINISHED and view.done and not view.active
    assert view.result is not None and view.result.status == "finished"
    assert view.step == view.total_steps == FAST.total_steps()
    assert [h["step"] for h in view.history] == list(range(1, view.step + 1))
    assert {"total", "content", "style", "tv", "w_style"} <= set(view.history[0])
    assert view.image is not None and view.image.dtype == np.uint8 and view.image.shape == (48, 64, 3)
    assert [s.step for s in view.snapshots] and all(s.image.dtype == np.uint8 for s in view.snapshots)
    assert view.fraction == 1.0
    assert runner.get(job.id) is job and runner.model_state()[0] == MODEL_READY


def test_progress_is_visible_while_running(runner, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert job.wait_until(lambda v: v.step >= 3 and v.image is not None, WAIT)
    view = job.view()
    assert view.status == RUNNING and view.active
    assert view.steps_per_second is not None and view.steps_per_second > 0
    assert view.eta is not None and view.scale_size == (64, 48)
    assert view.scale_starts == (0,)
    job.stop()
    assert job.wait(WAIT)


def test_stop_keeps_the_best_image_so_far(runner, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert job.wait_until(lambda v: v.step >= 4, WAIT)
    job.stop()
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == STOPPED and "best image" in view.message
    assert view.result is not None and view.result.image.shape == (48, 64, 3)
    assert 4 <= view.result.steps < 100_000


def test_live_weights_reach_the_running_optimisation_and_are_marked(runner, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert job.wait_until(lambda v: v.step >= 3, WAIT)
    job.set_weights(style=50.0, tv=2.0)
    assert job.wait_until(lambda v: v.weight_changes and v.history[-1]["w_style"] == 50.0, WAIT)
    view = job.view()
    assert view.weights["style"] == 50.0 and view.weights["tv"] == 2.0
    change = view.weight_changes[0]
    assert view.history[change - 1]["w_style"] == 10.0  # the steps before the change kept the old weight
    job.stop()
    assert job.wait(WAIT)
    assert list(job.view().weight_changes) == list(job.view().result.weight_changes)


def test_only_one_job_runs_at_a_time_and_others_know_their_place(runner, content_image, style_image):
    first = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert first.wait_until(lambda v: v.step >= 1, WAIT)
    second = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
    third = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
    assert second.view().status == QUEUED and second.view().queue_position == 1
    assert third.view().queue_position == 2
    assert runner.busy()
    third.stop()  # leaving the queue: never starts, the one behind moves up
    assert third.wait(WAIT) and third.view().status == STOPPED and third.view().result is None
    assert second.view().status == QUEUED and second.view().step == 0
    first.stop()
    assert second.wait(WAIT)
    assert second.view().status == FINISHED and second.view().queue_position is None
    assert first.view().status == STOPPED


def test_a_job_nobody_watches_is_stopped_by_the_watchdog(tiny_net, content_image, style_image):
    clock = FakeClock()
    runner = JobRunner(net_provider=lambda: tiny_net, abandon_after=60.0, clock=clock, start_watchdog=False)
    try:
        watched = Job(RunInputs(content_image, [style_image]), LONG, clock=clock)
        abandoned = Job(RunInputs(content_image, [style_image]), LONG, clock=clock)
        runner.submit(abandoned)
        runner.submit(watched)
        assert abandoned.wait_until(lambda v: v.step >= 2, WAIT)
        clock.now += 45
        watched.touch()
        assert runner.reap_abandoned() == []  # 45 s without a look is still fine
        clock.now += 30
        watched.touch()
        assert runner.reap_abandoned() == [abandoned]
        assert abandoned.wait(WAIT)
        view = abandoned.view()
        assert view.status == STOPPED and "nobody watched" in view.message
        assert view.result is not None  # the best image is kept
        assert watched.wait_until(lambda v: v.status == RUNNING, WAIT)
        watched.stop()
        assert watched.wait(WAIT)
    finally:
        runner.shutdown()


def test_the_watchdog_thread_stops_abandoned_jobs_on_its_own(tiny_net, content_image, style_image):
    runner = JobRunner(net_provider=lambda: tiny_net, abandon_after=0.2, watchdog_interval=0.05)
    try:
        job = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
        assert job.wait(WAIT)  # nobody calls touch(): the watchdog must end it
        assert job.view().status == STOPPED and "nobody watched" in job.view().message
    finally:
        runner.shutdown()


def test_weights_unavailable_fails_the_job_with_the_message(content_image, style_image):
    def provider():
        raise ModelUnavailable("No VGG19 weights: set NST_VGG19_WEIGHTS to the .h5 file.")

    runner = JobRunner(net_provider=provider, start_watchdog=False)
    try:
        job = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert job.wait(WAIT)
        assert job.view().status == FAILED and "NST_VGG19_WEIGHTS" in job.view().message
        assert runner.model_state() == (MODEL_UNAVAILABLE, "No VGG19 weights: set NST_VGG19_WEIGHTS to the .h5 file.")
    finally:
        runner.shutdown()


def test_the_network_is_built_once_in_the_background(tiny_net, content_image, style_image):
    calls = []
    gate = threading.Event()

    def provider():
        calls.append(1)
        gate.wait(WAIT)
        return tiny_net

    runner = JobRunner(net_provider=provider, start_watchdog=False)
    try:
        runner.warm_up()
        job = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert job.wait_until(lambda v: "loading" in v.phase, WAIT)
        assert runner.model_state()[0] == "loading"
        gate.set()
        assert job.wait(WAIT) and job.view().status == FINISHED
        second = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert second.wait(WAIT) and second.view().status == FINISHED
        assert len(calls) == 1 and runner.model_state()[0] == MODEL_READY
    finally:
        runner.shutdown()


def test_unexpected_errors_become_a_failed_job_not_a_crash(runner, style_image):
    broken = np.zeros((48, 64), np.float32)  # no channel axis: the engine cannot use it
    job = runner.submit(Job(RunInputs(broken, [style_image]), FAST))
    assert job.wait(WAIT)
    assert job.view().status == FAILED and job.view().message
    ok = runner.submit(Job(RunInputs(np.zeros((48, 64, 3), np.float32), [style_image]), FAST))  # the worker lives on
    assert ok.wait(WAIT) and ok.view().status == FINISHED


def test_job_ids_are_unguessable_and_unknown_ids_find_nothing(runner, content_image, style_image):
    a, b = Job(RunInputs(content_image, [style_image]), FAST), Job(RunInputs(content_image, [style_image]), FAST)
    assert a.id != b.id and len(a.id) == 32
    assert runner.get("nope") is None and runner.get(None) is None


def test_old_finished_jobs_are_forgotten(tiny_net, content_image, style_image):
    runner = JobRunner(net_provider=lambda: tiny_net, keep_done=2, start_watchdog=False)
    try:
        jobs = [runner.submit(Job(RunInputs(content_image, [style_image]), FAST.replace(iterations=1))) for _ in range(4)]
        for job in jobs:
            assert job.wait(WAIT)
        runner.submit(Job(RunInputs(content_image, [style_image]), FAST.replace(iterations=1))).wait(WAIT)
        assert runner.get(jobs[0].id) is None and runner.get(jobs[-1].id) is jobs[-1]
    finally:
        runner.shutdown()


def test_format_seconds():
    assert format_seconds(None) == "—"
    assert format_seconds(3.21) == "3.2 s"
    assert format_seconds(42) == "42 s"
    assert format_seconds(125) == "2 min 05 s"
    assert format_seconds(3725) == "1 h 02 min"


# ---- the gallery store (issue 5) ------------------------------------------------------------
@pytest.fixture
def saving_runner(tiny_net, tmp_path, monkeypatch):
    from nst.job_saving import store_saver

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "data"))
    r = JobRunner(net_provider=lambda: tiny_net, watchdog_interval=0.05, save_result=store_saver())
    yield r
    r.shutdown()


def test_a_finished_run_is_saved_to_the_store_with_score_and_leakage(saving_runner, content_image, style_image):
    from nst.store import Store

    job = saving_runner.submit(Job(RunInputs(content_image, [style_image], content_name="photo.png",
                                             style_names=["stripes.png"]), FAST))
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == FINISHED and view.save_error is None and view.run_id is not None
    record = Store().get_run(view.run_id)
    assert record.params == FAST or StyleParams.from_dict(record.params.to_dict()) == FAST
    assert record.score is not None and record.leakage is not None
    # a single run is a batch of one, kept as a run of its own (no group, no label, no axes)
    assert [(i.label, i.params) for i in job.items] == [("", FAST)] and view.n_items == 1
    assert (record.group_id, record.group_label, record.group_axes) == (None, None, None)

    card = Store().scorecard(view.run_id)  # measured by the worker right after the save (issue #24)
    assert card is not None and 0.0 <= card["copied"] <= 1.0 and card["structure"] <= 1.0
    inputs = Store().input_images(view.run_id)
    assert inputs.content.shape == content_image.shape and inputs.content_name == "photo.png"
    assert inputs.style_names == ("stripes.png",)


def test_a_store_error_keeps_the_result_and_says_so_in_one_sentence(tiny_net, content_image, style_image):
    from nst.errors import StoreError

    def broken(job, result, **_):
        raise StoreError("The gallery folder is full.")

    r = JobRunner(net_provider=lambda: tiny_net, watchdog_interval=0.05, save_result=broken)
    try:
        job = r.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert job.wait(WAIT)
        view = job.view()
        assert view.status == FINISHED and view.result is not None and view.run_id is None
        assert view.save_error == "Not saved to the gallery: The gallery folder is full."
    finally:
        r.shutdown()


def test_a_sweep_is_one_job_and_its_runs_share_a_group(saving_runner, content_image, style_image):
    from nst.batch import sweep_items
    from nst.store import Store

    items = sweep_items(FAST, {"style_weight": [5.0, 20.0]}, preview=False)
    job = saving_runner.submit(Job(RunInputs(content_image, [style_image]), items=items, group_kind="sweep"))
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == FINISHED and view.n_items == 2 and len(view.run_ids) == 2
    records = [Store().get_run(i) for i in view.run_ids]
    assert {r.group_id for r in records} == {view.group_id} and view.group_id
    assert [r.group_kind for r in records] == ["sweep", "sweep"]
    assert [r.group_label for r in records] == [i.label for i in items]
    assert [r.group_axes for r in records] == [{"style_weight": 5.0}, {"style_weight": 20.0}]  # what the grid reads
    assert [r.params.style_weight for r in records] == [5.0, 20.0]


def test_stopping_a_batch_keeps_the_current_item_and_skips_the_rest(saving_runner, content_image, style_image):
    from nst.batch import sweep_items

    items = sweep_items(LONG, {"style_weight": [5.0, 20.0, 40.0]}, preview=False)
    job = saving_runner.submit(Job(RunInputs(content_image, [style_image]), items=items, group_kind="sweep"))
    assert job.wait_until(lambda v: v.step >= 2, WAIT)
    job.stop()
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == STOPPED and len(view.batch_results) == 1 and len(view.run_ids) == 1
    assert "1 of 3" in view.message
