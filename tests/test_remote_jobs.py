"""The studio's run queue on Ray: progress, Stop, live re-weighting, batches, model state.

``JobRunner`` picks Ray from ``NST_RAY_ADDRESS``; the session's local cluster (``ray_cluster``)
is joined. The tiny test network reaches the workers as the runner's (picklable) net provider.
No timing assertions: everything waits on job state, with generous timeouts.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from nst.batch import sweep_items
from nst.job import Job
from nst.run_types import RunInputs, FAILED, FINISHED, STOPPED
from nst.jobs import MODEL_READY, MODEL_UNAVAILABLE, JobRunner
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams

FAST = StyleParams(size=64, scales=1, iterations=6, style_weight=10.0, snapshot_every=2)
LONG = FAST.replace(iterations=100_000)
WAIT = 180
TINY = functools.partial(tiny_feature_net_for_tests, seed=0)


class FakeGallery:
    def __init__(self) -> None:
        self.saved: list[tuple[str | None, float | None]] = []
        self.measured: list = []  # the scorecards the worker measured (nst.rescore.MeasuredRun)

    def __call__(self, job, result, *, item, score=None, measured=None) -> int:
        self.saved.append((item.label if job.group_id else None, score))
        self.measured.append(measured)
        return len(self.saved)


@pytest.fixture
def gallery():
    return FakeGallery()


@pytest.fixture
def runner(ray_cluster, monkeypatch, gallery):
    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    r = JobRunner(net_provider=TINY, watchdog_interval=0.05, save_result=gallery)
    yield r
    r.shutdown()


def test_a_run_on_ray_streams_progress_and_is_saved_by_the_driver(runner, gallery, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), FAST))
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == FINISHED, view.message
    assert view.step == 6 and len(view.history) == 6 and view.snapshots  # events came back from the worker
    assert view.image is not None and view.image.dtype == np.uint8
    assert runner.model_state()[0] == MODEL_READY and "Ray cluster" in runner.net().description
    assert view.run_ids == (1,) and gallery.saved[0][1] is not None and gallery.saved[0][1] > 0  # scored remotely


def test_stop_and_live_reweighting_reach_a_run_on_ray(runner, content_image, style_image):
    job = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert job.wait_until(lambda v: v.step >= 3, WAIT)
    job.set_weights(style=123.0)
    assert job.wait_until(lambda v: v.weights["style"] == 123.0 and v.weight_changes, WAIT)
    job.stop()
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == STOPPED and view.result is not None and view.result.steps < 100_000
    assert view.result.weight_changes  # the worker's own record says the new weights took effect


def test_two_runs_paint_at_once_on_a_two_cpu_cluster(runner, content_image, style_image):
    first = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert first.wait_until(lambda v: v.step >= 1, WAIT)  # the pool is ready: it knows its slots
    second = runner.submit(Job(RunInputs(content_image, [style_image]), LONG))
    assert second.wait_until(lambda v: v.step >= 1, WAIT)
    assert first.view().active and second.view().queue_position is None
    first.stop()
    second.stop()
    assert first.wait(WAIT) and second.wait(WAIT)


def test_a_studio_sweep_on_ray_saves_every_cell_as_one_group(runner, gallery, content_image, style_image):
    items = sweep_items(StyleParams(size=64), {"style_weight": [1, 10], "tv_weight": [0.5, 2]})
    job = runner.submit(Job(RunInputs(content_image, [style_image]), items=items, group_kind="sweep"))
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == FINISHED, view.message
    assert len(view.run_ids) == 4 and sorted(label for label, _ in gallery.saved) == sorted(i.label for i in items)
    assert all(score is not None for _, score in gallery.saved)


def test_runs_painted_on_ray_are_kept_with_the_scorecards_their_workers_measured(ray_cluster, monkeypatch, content_image,
                                                                                 style_image):
    from nst.job_saving import store_saver
    from nst.store import Store

    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    r = JobRunner(net_provider=TINY, watchdog_interval=0.05, save_result=store_saver())
    try:
        single = r.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert single.wait(WAIT)
        items = sweep_items(FAST, {"style_weight": [1, 10]})
        sweep = r.submit(Job(RunInputs(content_image, [style_image]), items=items, group_kind="sweep"))
        assert sweep.wait(WAIT)
    finally:
        r.shutdown()
    ids = [*single.view().run_ids, *sweep.view().run_ids]
    assert len(ids) == 3
    with Store() as store:
        cards, moments = store.scorecards(ids), store.run_moments(ids)
    assert sorted(cards) == sorted(ids) and all(0.0 <= c["copied"] <= 1.0 for c in cards.values())
    assert all(moments[i].candidates and moments[i].suggestion is not None for i in ids)


def test_a_bad_ray_address_is_the_model_state_in_one_sentence(monkeypatch, content_image, style_image):
    monkeypatch.setenv("NST_RAY_ADDRESS", "nowhere")
    r = JobRunner(net_provider=TINY, start_watchdog=False)
    try:
        job = r.submit(Job(RunInputs(content_image, [style_image]), FAST))
        assert job.wait(WAIT)
        state, message = r.model_state()
        assert state == MODEL_UNAVAILABLE and "NST_RAY_ADDRESS" in message and "\n" not in message
        assert job.view().status == FAILED and job.view().message == message
    finally:
        r.shutdown()
