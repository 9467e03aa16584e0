"""Batches on Ray: a tiny sweep on a local 2-CPU cluster, killed workers, a lost cluster.

The cluster is started once per test session (the ``ray_cluster`` fixture); cells use the
tiny test network, shipped to the workers as an explicit ``NetSpec`` test hook. No timing
assertions.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.batch import sweep_items
from nst.cli import main
from nst.errors import ParamsError
from nst.params import StyleParams
from nst.run_types import RunInputs
from nst.remote import ClusterError, NetSpec, ray_address, run_batch_on_ray
from saved_runs import run_to_save

TINY_SPEC = NetSpec.tiny_for_tests(seed=0)

# workers cannot import this test module: ship its test hooks (DieOnFirstAttempts) by value
import ray.cloudpickle  # noqa: E402

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
REPO = Path(__file__).resolve().parents[1]


class DieOnFirstAttempts:
    """TEST HOOK for a cell: the worker painting item ``index`` kills itself (SIGKILL, mid-task) on
    its first ``times`` attempts; attempts are counted with files, since each one is a new process."""

    def __init__(self, folder: Path, index: int, times: int) -> None:
        self.folder, self.index, self.times = str(folder), index, times

    def __call__(self, index: int) -> None:
        if index != self.index:
            return
        attempt = len(os.listdir(self.folder))
        Path(self.folder, f"attempt-{attempt}-pid-{os.getpid()}").touch()
        if attempt < self.times:
            os.kill(os.getpid(), signal.SIGKILL)


def _sweep(size: int = 64):
    return sweep_items(StyleParams(size=size), {"style_weight": [1, 10], "tv_weight": [0.5, 2]})


@pytest.mark.parametrize("value, expected", [("", None), ("local", "local"), ("auto", "auto"),
                                             ("ray://head:10001", "ray://head:10001"), ("10.0.0.5:6379", "10.0.0.5:6379")])
def test_the_ray_address_comes_from_the_flag_or_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("NST_RAY_ADDRESS", value)
    assert ray_address() == expected
    assert ray_address("local") == "local"  # --ray wins


def test_a_bad_ray_address_is_one_sentence(monkeypatch, pictures, capsys):
    monkeypatch.setenv("NST_RAY_ADDRESS", "http://head")
    with pytest.raises(ParamsError, match="local, auto, ray://host:port"):
        ray_address()
    content, style = pictures
    assert main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NST_RAY_ADDRESS" in err


def test_a_sweep_runs_on_ray_and_the_driver_saves_every_cell(ray_cluster, pictures, tmp_path, capsys, monkeypatch):
    from nst.store import Store

    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    content, style = pictures
    code = main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,10",
                 "--grid", "tv_weight=0.5,2", "--size", "64", "--save", "--json", "-o", str(tmp_path / "cells")],
                net_spec=TINY_SPEC)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["backend"] == "ray" and len(report["items"]) == 4
    assert [(i["row"], i["col"]) for i in report["items"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(i["status"] == "finished" and i["score"] > 0 for i in report["items"])
    assert len(list((tmp_path / "cells").glob("sweep_*.png"))) == 4
    with Store() as store:
        runs = store.list_runs(limit=10)
        assert {r.group_id for r in runs} == {report["group_id"]} and len(runs) == 4
        record = store.get_run(report["items"][3]["run_id"])
    assert (record.params.style_weight, record.params.tv_weight) == (10.0, 2.0)
    assert record.steps > 0 and record.score is not None



def test_a_sweep_on_ray_keeps_the_scorecards_its_workers_measured(ray_cluster, pictures, capsys, monkeypatch):
    """The driver has no network: the workers measure; the numbers are the ones `gallery rescore` gets."""
    from nst.model import tiny_feature_net_for_tests
    from nst.rescore import rescore
    from nst.store import Store

    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    content, style = pictures
    code = main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,10", "--size", "64",
                 "--scales", "2", "--iterations", "4", "--save", "--json"], net_spec=TINY_SPEC)
    report = json.loads(capsys.readouterr().out)
    ids = [item["run_id"] for item in report["items"]]
    assert code == 0 and len(ids) == 2 and all(item["scorecard"] is not None for item in report["items"])
    with Store() as store:
        kept, moments = store.scorecards(ids), store.run_moments(ids)
        assert store.runs_without_scorecard() == [] and store.runs_without_moment_scorecards() == []
        assert all(moments[i].candidates and moments[i].suggestion is not None for i in ids)
        rescore(store, tiny_feature_net_for_tests(seed=0), ids)  # measured again from the store's copies
        again, moments_again = store.scorecards(ids), store.run_moments(ids)
    for i in ids:
        assert _measures(again[i]) == pytest.approx(_measures(kept[i]), rel=1e-4, abs=1e-6)
        assert [m.step for m in moments_again[i].moments] == [m.step for m in moments[i].moments]
        for m, m_again in zip(moments[i].moments, moments_again[i].moments):
            assert _measures(m_again.card) == pytest.approx(_measures(m.card), rel=1e-4, abs=1e-6)


def _measures(card) -> dict[str, float]:
    return {name: value for name, value in card.items() if name != "version"}


def test_the_local_backend_says_so_in_the_json(pictures, capsys, monkeypatch, tiny_net):
    monkeypatch.delenv("NST_RAY_ADDRESS", raising=False)
    content, style = pictures
    code = main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,10", "--size", "64",
                 "--json"], net_factory=lambda weights: tiny_net)
    assert code == 0 and json.loads(capsys.readouterr().out)["backend"] == "local"


def test_each_worker_process_builds_the_network_once(ray_cluster, content_image, style_image):
    items = sweep_items(StyleParams(size=64), {"style_weight": [1, 2, 3, 4, 5], "tv_weight": [1, 2]})
    outputs, failures = run_batch_on_ray(items, RunInputs(content_image, [style_image]), address=ray_cluster, spec=TINY_SPEC)
    assert not failures and len(outputs) == 10
    builds_by_pid: dict[int, int] = {}
    for out in outputs:
        builds_by_pid[out.pid] = max(builds_by_pid.get(out.pid, 0), out.net_builds)
    assert set(builds_by_pid.values()) == {1}
    assert len(builds_by_pid) < len(outputs)  # workers were reused across cells


def test_a_worker_killed_once_is_retried_and_its_cell_finishes(ray_cluster, content_image, style_image, tmp_path):
    items = _sweep()
    outputs, failures = run_batch_on_ray(items, RunInputs(content_image, [style_image]), address=ray_cluster, spec=TINY_SPEC,
                                         test_fault=DieOnFirstAttempts(tmp_path, index=2, times=1))
    assert not failures and len(outputs) == 4
    assert len(list(tmp_path.iterdir())) == 2  # killed once, then painted by a fresh worker
    assert sorted(o.result.params.style_weight for o in outputs) == [1, 1, 10, 10]


def test_a_worker_killed_twice_fails_its_cell_and_the_others_are_saved(ray_cluster, pictures, tmp_path, capsys,
                                                                       monkeypatch):
    from nst.store import Store

    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    content, style = pictures
    kills = tmp_path / "kills"
    kills.mkdir()
    saved: list = []
    failed: list = []
    items = _sweep()
    with Store() as store:
        def save(item, out):
            saved.append(store.save(run_to_save(out.result, content=np.zeros((8, 8, 3), np.float32),
                                        styles=[np.ones((8, 8, 3), np.float32)], blend=(1.0,), title=item.label)))

        run_batch_on_ray(items, RunInputs(np.asarray(Image.open(content), np.float32) / 255,
                                          [np.asarray(Image.open(style), np.float32) / 255]),
                         address=ray_cluster, spec=TINY_SPEC,
                         on_result=save, on_failure=failed.append,
                         test_fault=DieOnFirstAttempts(kills, index=1, times=99))
        titles = sorted(r.title for r in store.list_runs(limit=10))
    assert len(list(kills.iterdir())) == 2  # the first attempt and exactly one retry
    assert [f.item.label for f in failed] == [items[1].label]
    assert "died twice" in failed[0].message and "\n" not in failed[0].message
    assert len(saved) == 3 and titles == sorted(i.label for i in items if i is not items[1])


def test_the_cli_reports_a_failed_cell_in_one_line_and_exits_1(ray_cluster, pictures, capsys, monkeypatch):
    monkeypatch.setenv("NST_RAY_ADDRESS", ray_cluster)
    content, style = pictures
    broken = NetSpec(weights="/nonexistent/vgg19.h5")  # every worker fails to find these weights
    code = main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,10", "--size", "64",
                 "--json"], net_spec=broken)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and {i["status"] for i in report["items"]} == {"failed"}
    assert all("vgg19.h5" in i["message"] and "\n" not in i["message"] for i in report["items"])


def test_an_unreachable_cluster_is_one_sentence(pictures):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    content, style = pictures
    env = {**os.environ, "NST_RAY_ADDRESS": f"127.0.0.1:{port}"}
    done = subprocess.run([sys.executable, "-m", "nst", "sweep", "--content", content, "--style", style,
                           "--grid", "style_weight=1,2", "--size", "64"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: Could not reach the Ray cluster at '127.0.0.1:{port}'")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_lost_cluster_mid_batch_is_one_sentence(ray_cluster, content_image, style_image, monkeypatch):
    import ray
    import ray.exceptions

    def lost(*args, **kwargs):
        raise ray.exceptions.RaySystemError("GCS connection lost")

    monkeypatch.setattr(ray, "wait", lost)
    with pytest.raises(ClusterError, match="Lost the Ray cluster") as caught:
        run_batch_on_ray(_sweep(), RunInputs(content_image, [style_image]), address=ray_cluster, spec=TINY_SPEC)
    assert "\n" not in str(caught.value)
