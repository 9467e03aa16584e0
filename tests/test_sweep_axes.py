"""Sweep axes stored as data (schema 7): written with every sweep cell, migrated from the labels of
galleries made before, and what the gallery's group grid is laid out by."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from nst.cli import main
from nst.model import tiny_feature_net_for_tests
from nst.store import Store
from nst.store.schema import SCHEMA_VERSION
from studio.gallery import model as g

FIXTURE = Path(__file__).parent / "fixtures" / "gallery_v6.tar.xz"  # made by main d36e913 (make_gallery_v6.py)
TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


@pytest.fixture
def old_gallery(tmp_path: Path) -> Path:
    """A copy of the gallery the code of schema 6 made: a single run, a 2 x 2 sweep, a one-axis sweep and a
    two-method comparison (the fixture itself is never opened in place)."""
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    folder = tmp_path / "gallery_v6"
    assert sqlite3.connect(folder / "gallery.sqlite3").execute("PRAGMA user_version").fetchone()[0] == 6
    return folder


def _groups(store: Store) -> dict[str, list]:
    groups: dict[str, list] = {}
    for run in store.list_runs(sort="oldest", limit=100):
        groups.setdefault(run.group_kind or "single", []).append(run)
    return groups


def test_a_gallery_made_before_schema_7_gets_its_sweep_axes_from_the_labels(old_gallery: Path) -> None:
    with Store(old_gallery, grace_seconds=0) as store:
        assert store.schema_version == SCHEMA_VERSION
        groups = _groups(store)
        assert [r.group_axes for r in groups["single"]] == [None]
        assert [r.group_axes for r in groups["compare"]] == [None, None]  # method names are no axes
        two_axis = [r for r in groups["sweep"] if r.group_axes and len(r.group_axes) == 2]
        assert [list(r.group_axes.items()) for r in two_axis] == [
            [("style_weight", 0.01), ("tv_weight", 300.0)], [("style_weight", 0.01), ("tv_weight", 1000.0)],
            [("style_weight", 0.1), ("tv_weight", 300.0)], [("style_weight", 0.1), ("tv_weight", 1000.0)]]
        for run in two_axis:  # the stored values are the ones the cells were painted with
            params = store.get_run(run.id).params
            assert (params.style_weight, params.tv_weight) == tuple(run.group_axes.values())
        one_axis = [r for r in groups["sweep"] if r.group_axes and len(r.group_axes) == 1]
        assert [r.group_axes for r in one_axis] == [{"tv_weight": 500.0}, {"tv_weight": 2000.0}]
        assert store.get_run(one_axis[0].id).group_axes == {"tv_weight": 500.0}  # the run page's record too
        rows, cols, cells = g.grid_layout(two_axis)
        assert rows == ["style_weight=0.01", "style_weight=0.1"] and cols == ["tv_weight=300", "tv_weight=1000"]
        assert [[c.id for c in row] for row in cells] == [[r.id for r in two_axis[:2]], [r.id for r in two_axis[2:]]]
        assert store.integrity_check() == "ok" and len(store.list_runs(limit=100)) == 9


def test_the_migrated_grid_follows_the_data_even_when_the_label_changes(old_gallery: Path) -> None:
    with Store(old_gallery, grace_seconds=0) as store:
        cells = [r for r in _groups(store)["sweep"] if r.group_axes and len(r.group_axes) == 2]
    conn = sqlite3.connect(old_gallery / "gallery.sqlite3")
    conn.execute("UPDATE runs SET group_label = 'renamed'")  # nothing parses labels any more
    conn.commit()
    conn.close()
    with Store(old_gallery) as store:
        again = [r for r in store.list_runs(group_id=cells[0].group_id, sort="oldest") if r.group_axes]
    rows, cols, _ = g.grid_layout(again)
    assert rows == ["style_weight=0.01", "style_weight=0.1"] and cols == ["tv_weight=300", "tv_weight=1000"]


def test_a_sweep_saves_its_axes_in_the_order_of_the_grid(pictures, capsys) -> None:
    content, style = pictures
    # the columns' field comes first in the field order: only the stored axes can say it is the columns
    code = main(["sweep", "--content", content, "--style", style, "--grid", "tv_weight=0.5,2",
                 "--grid", "content_weight=1,3", "--size", "64", "--iterations", "2", "--save", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    with Store() as store:
        runs = store.list_runs(group_id=report["group_id"], sort="oldest")
        record = store.get_run(report["items"][0]["run_id"])
    assert [list(r.group_axes) for r in runs] == [["tv_weight", "content_weight"]] * 4
    assert record.to_dict()["group"]["axes"] == {"tv_weight": 0.5, "content_weight": 1.0}
    rows, cols, _ = g.grid_layout(runs)
    assert rows == ["tv_weight=0.5", "tv_weight=2"] and cols == ["content_weight=1", "content_weight=3"]
    assert main(["gallery", "list", "--json"]) == 0
    assert {tuple(r["group_axes"]) for r in json.loads(capsys.readouterr().out)} == {("tv_weight", "content_weight")}


def test_a_rebuilt_gallery_gets_the_axes_of_manifests_written_before_schema_7(old_gallery: Path, monkeypatch,
                                                                              capsys) -> None:
    (old_gallery / "gallery.sqlite3").unlink()  # lost; the manifests beside the pictures are from schema 6
    monkeypatch.setenv("NST_DATA_DIR", str(old_gallery))
    assert main(["gallery", "rebuild", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["restored"] == 9
    with Store(old_gallery) as store:
        axes = [r.group_axes for r in store.list_runs(sort="oldest", limit=100) if r.group_kind == "sweep"]
    assert axes[0] == {"style_weight": 0.01, "tv_weight": 300.0} and axes[-1] == {"tv_weight": 2000.0}
