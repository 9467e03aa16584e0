"""The run store (nst/store/): round trip, dedup, migrations, crashes, full disk, concurrency."""

from __future__ import annotations

import errno
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst import store as store_module
from nst.best_moment import MOMENTS
from nst.store import files as store_files
from nst.store import saving as store_saving
from nst.encode import to_uint8
from nst.images import read_png_metadata
from nst.params import StyleParams
from nst.run_types import LossTerms, RunInputs, Snapshot, StyleResult
from nst.errors import StoreError
from nst.store import SCHEMA_VERSION, Store, image_hash
from saved_runs import run_to_save

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- results


def picture(seed: int, h: int = 24, w: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (h, w, 3)).astype(np.float32)


def fake_result(seed: int = 0, *, n_snapshots: int = 3, h: int = 24, w: int = 32, **changes) -> StyleResult:
    """A real engine result (nst.run_types imports no TensorFlow), made without painting."""
    rng = np.random.default_rng(1000 + seed)
    history = [{"step": i + 1, "scale": 0, "elapsed": 0.1 * i, "total": 2.0 - 0.1 * i, "content": 0.3,
                "style": 0.2, "tv": 0.01, "w_content": 1.0, "w_style": 10.0, "w_tv": 1.0} for i in range(12)]
    snapshots = [Snapshot(step=(i + 1) * 4, scale_index=min(i, 1),
                          image=rng.integers(0, 256, (h // 2 if i == 0 else h, w // 2 if i == 0 else w, 3),
                                             dtype=np.uint8),
                          losses=LossTerms(2.0 - i, 0.3, 0.2, 0.01)) for i in range(n_snapshots)]
    result = StyleResult(image=picture(2000 + seed, h, w), status="finished", message="Finished.", steps=12,
                         seconds=3.5, losses=LossTerms(1.5, 0.25, 0.1, 0.05), history=history, snapshots=snapshots,
                         weight_changes=[5], trace_seconds={"lbfgs@32x24": 0.7}, params=StyleParams(size=64),
                         weights_id="sha256:abc", device="CPU")
    for key, value in changes.items():
        setattr(result, key, value)
    return result


def save(store: Store, seed: int = 0, *, content_seed: int = 1, style_seed: int = 2, **kwargs) -> int:
    result = kwargs.pop("result", None) or fake_result(seed)
    styles = kwargs.pop("styles", None) or [picture(style_seed, 20, 20)]
    return store.save(run_to_save(result, content=picture(content_seed), styles=styles, **kwargs))


def image_files(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "images").glob("*/*") if p.is_file() and p.parent.name != "manifests"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "data") as opened:
        yield opened


# ---------------------------------------------------------------------------- round trip


def test_a_run_saved_before_the_style_balance_comes_back_without_it(store: Store) -> None:
    run_id = save(store)
    conn = sqlite3.connect(store.db_path)
    params = json.loads(conn.execute("SELECT params_json FROM runs WHERE id = ?", (run_id,)).fetchone()[0])
    assert params.pop("style_balance") == StyleParams().style_balance
    with conn:
        conn.execute("UPDATE runs SET params_json = ? WHERE id = ?", (json.dumps(params), run_id))
    conn.close()
    assert store.get_run(run_id).params.style_balance == 0.0  # repainted as it was made, not with today's


def test_round_trip_returns_what_was_saved(store: Store) -> None:
    params = StyleParams(size=64, style_weight=30.0, optimizer="adam", style_blend=(0.7, 0.3))
    result = fake_result(1, params=params, status="stopped", message="Stopped; kept the best image so far.")
    content = picture(11)
    styles = [picture(12, 20, 20), picture(13, 16, 30)]
    run_id = store.save(run_to_save(result, content=content, styles=styles, title="Tübingen × Starry",
                            content_name="tubingen.jpg", style_names=["starry.jpg", "scream.jpg"],
                            group_id="g1", group_kind="sweep", group_label="style_weight=30", score=0.8))

    record = store.get_run(run_id)
    assert record.params == params
    assert record.status == "stopped" and record.message == result.message
    assert record.title == "Tübingen × Starry" and record.notes == "" and not record.favourite
    assert record.losses == result.losses.to_dict()
    assert record.history == result.history
    assert (record.steps, record.seconds, record.device, record.weights_id) == (12, 3.5, "CPU", "sha256:abc")
    assert record.weight_changes == [5] and record.trace_seconds == {"lbfgs@32x24": 0.7}
    assert (record.width, record.height) == (32, 24)
    assert record.blend == (0.7, 0.3)
    assert [s.name for s in record.styles] == ["starry.jpg", "scream.jpg"]
    assert (record.group_id, record.group_kind, record.group_label, record.score, record.leakage) == \
        ("g1", "sweep", "style_weight=30", 0.8, None)
    assert record.disk_bytes > 0

    output = store.output_image(run_id)
    assert output.dtype == np.float32 and output.shape == (24, 32, 3)
    assert np.array_equal(to_uint8(output), to_uint8(result.image))  # lossless PNG

    snaps = store.snapshots(run_id)
    assert [(s.step, s.scale_index) for s in snaps] == [(s.step, s.scale_index) for s in result.snapshots]
    for got, want in zip(snaps, result.snapshots):
        assert got.image.dtype == np.uint8 and np.array_equal(got.image, want.image)
        assert got.losses == want.losses.to_dict()

    inputs = store.input_images(run_id)
    assert np.array_equal(to_uint8(inputs.content), to_uint8(content))
    assert all(np.array_equal(to_uint8(a), to_uint8(b)) for a, b in zip(inputs.styles, styles))
    assert inputs.blend == (0.7, 0.3) and inputs.style_names == ("starry.jpg", "scream.jpg")
    assert inputs.content_name == "tubingen.jpg"

    thumb = store.thumbnail_bytes(run_id)
    assert thumb[:2] == b"\xff\xd8"  # JPEG
    with Image.open(__import__("io").BytesIO(thumb)) as image:
        assert max(image.size) <= store_module.THUMBNAIL_SIZE
    assert store.thumbnails([run_id, 999]) == {run_id: thumb}


def test_nan_losses_and_diverged_status_survive(store: Store) -> None:
    nan = float("nan")
    result = fake_result(0, status="diverged", message="The loss became infinite or NaN.",
                         losses=LossTerms(nan, nan, nan, nan), snapshots=[])
    result.history.append({"step": 13, "total": nan, "content": float("inf")})
    run_id = save(store, result=result)
    record = store.get_run(run_id)
    assert record.status == "failed"  # documented: the engine's "diverged" is stored as failed
    assert all(math.isnan(v) for v in record.losses.values())
    assert math.isnan(record.history[-1]["total"]) and record.history[-1]["content"] == math.inf
    assert store.snapshots(run_id) == []
    assert math.isnan(store.list_runs()[0].loss_total)


def test_params_as_a_mapping_and_uint8_inputs_are_accepted(store: Store) -> None:
    fields = {"image": (picture(3) * 255).astype(np.uint8), "status": "finished", "message": "", "steps": 1,
              "seconds": 0.5, "losses": LossTerms(1.0, 0.5, 0.25, 0.0),
              "history": [], "snapshots": [], "params": StyleParams(size=64).to_dict()}
    run_id = store.save(run_to_save(fields, content=(picture(1) * 255).astype(np.uint8), styles=[picture(2)]))
    assert store.get_run(run_id).params == StyleParams(size=64)
    assert store.get_run(run_id).blend == (1.0,)


def test_bad_arguments_are_refused_with_a_sentence(store: Store) -> None:
    with pytest.raises(StoreError, match="status"):
        save(store, result=fake_result(status="exploded"))
    with pytest.raises(StoreError, match="blend weights"):
        save(store, blend=[0.5, 0.5])
    with pytest.raises(StoreError, match="at least one style"):
        store.save(run_to_save(fake_result(), content=picture(1), styles=[]))
    with pytest.raises(StoreError, match="H x W x 3"):
        store.save(run_to_save(fake_result(), content=np.zeros((4, 4)), styles=[picture(2)]))
    with pytest.raises(StoreError, match="no run 42"):
        store.get_run(42)
    assert store.count_runs() == 0 and image_files(store.data_dir) == set()


def test_snapshots_are_thinned_evenly_keeping_the_last(store: Store) -> None:
    run_id = save(store, result=fake_result(0, n_snapshots=20))
    steps = [s.step for s in store.snapshots(run_id)]
    evenly = {4 * (1 + round(i)) for i in np.linspace(0, 19, store_module.MAX_SNAPSHOTS - MOMENTS)}
    assert evenly <= set(steps) and len(steps) <= store_module.MAX_SNAPSHOTS
    assert steps[0] == 4 and steps[-1] == 80 and steps == sorted(steps)


def test_the_final_scales_moments_are_kept_beside_the_evenly_spaced_ones(store: Store) -> None:
    # 30 snapshots over a run whose final scale (index 1) holds the last 10: the timeline keeps 9 over
    # the run, and the best moment's candidates are MOMENTS evenly spaced over the final scale
    result = fake_result(0, n_snapshots=30)
    result.snapshots = [Snapshot(s.step, 0 if i < 20 else 1, s.image, s.losses) for i, s in enumerate(result.snapshots)]
    kept = {s.step for s in store.snapshots(save(store, result=result)) if s.scale_index == 1}
    assert {84 + 4 * round(i) for i in np.linspace(0, 9, MOMENTS)} <= kept and len(kept) < 10


# ---------------------------------------------------------------------------- dedup and delete


def test_inputs_are_stored_once(store: Store) -> None:
    first = save(store, 0, content_seed=1, style_seed=2, content_name="photo.jpg")
    second = save(store, 1, content_seed=1, style_seed=3)
    conn = sqlite3.connect(store.db_path)
    content_sha = image_hash(picture(1))
    assert conn.execute("SELECT COUNT(*) FROM images WHERE sha256 = ?", (content_sha,)).fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM images WHERE role = 'content'").fetchone()[0] == 1
    assert store.get_run(first).content_sha256 == store.get_run(second).content_sha256 == content_sha
    assert sum(1 for name in image_files(store.data_dir) if name.startswith(content_sha)) == 1
    contents = store.distinct_contents()
    assert [(c.sha256, c.name, c.runs) for c in contents] == [(content_sha, "photo.jpg", 2)]
    assert contents[0].thumbnail[:2] == b"\xff\xd8"
    assert {s.sha256 for s in store.distinct_styles()} == {image_hash(picture(2, 20, 20)), image_hash(picture(3, 20, 20))}
    assert np.array_equal(to_uint8(store.image(content_sha)), to_uint8(picture(1)))


def test_delete_removes_only_files_no_other_run_uses(store: Store) -> None:
    keep = save(store, 0, content_seed=1, style_seed=2)
    doomed = save(store, 1, content_seed=1, style_seed=3)
    doomed_record = store.get_run(doomed)
    before = image_files(store.data_dir)
    store.delete_run(doomed)
    after = image_files(store.data_dir)
    gone = {name[:64] for name in before - after}
    own = {doomed_record.output_sha256, doomed_record.styles[0].sha256}
    assert own <= gone
    assert doomed_record.content_sha256 not in gone  # shared with the kept run
    assert [r.id for r in store.list_runs()] == [keep]
    store.output_image(keep), store.input_images(keep), store.snapshots(keep)  # still complete
    with pytest.raises(StoreError, match="no run"):
        store.delete_run(doomed)
    store.delete_run(keep)
    assert image_files(store.data_dir) == set()
    assert sqlite3.connect(store.db_path).execute("SELECT COUNT(*) FROM images").fetchone()[0] == 0
    assert save(store, 5) > doomed  # ids are never reused


# ---------------------------------------------------------------------------- listing


def test_filters_sorting_and_paging(store: Store) -> None:
    a = save(store, 0, content_seed=1, style_seed=2, result=fake_result(0, seconds=9.0), score=0.5)
    b = save(store, 1, content_seed=1, style_seed=2, result=fake_result(1, seconds=2.0), score=0.2)
    c = save(store, 2, content_seed=1, style_seed=3, result=fake_result(2, seconds=5.0))
    d = save(store, 3, content_seed=4, style_seed=2, result=fake_result(3, seconds=1.0), group_id="g",
             group_kind="sweep", group_label="cw=1")
    e = save(store, 4, content_seed=1, style_seed=2, result=fake_result(4, seconds=4.0,
                                                                         losses=LossTerms(0.1, 0, 0, 0)))
    c1, s2 = image_hash(picture(1)), image_hash(picture(2, 20, 20))
    ids = lambda runs: [r.id for r in runs]  # noqa: E731

    assert ids(store.list_runs()) == [e, d, c, b, a]
    assert ids(store.list_runs(sort="oldest")) == [a, b, c, d, e]
    assert ids(store.list_runs(sort="fastest")) == [d, b, e, c, a]
    assert ids(store.list_runs(limit=2, offset=1)) == [d, c]
    assert ids(store.list_runs(content_hash=c1)) == [e, c, b, a]
    assert ids(store.list_runs(style_hash=s2)) == [e, d, b, a]
    assert ids(store.list_runs(content_hash=c1, style_hash=s2)) == [e, b, a]
    assert ids(store.list_runs(group_id="g")) == [d]
    assert store.count_runs() == 5 and store.count_runs(content_hash=c1, style_hash=s2) == 3
    # score: scored runs lowest first, then unscored by lowest final loss
    assert ids(store.list_runs(content_hash=c1, style_hash=s2, sort="score")) == [b, a, e]
    for kwargs in ({}, {"content_hash": c1}, {"style_hash": s2}):
        with pytest.raises(StoreError, match="one content \\+ style pair"):
            store.list_runs(sort="score", **kwargs)
    with pytest.raises(StoreError, match="sort must be one of"):
        store.list_runs(sort="best")

    summary = store.list_runs(group_id="g")[0]
    assert (summary.group_kind, summary.group_label, summary.size, summary.optimizer) == ("sweep", "cw=1", 64, "lbfgs")
    assert (summary.content_weight, summary.style_weight, summary.tv_weight) == (1.0, StyleParams().style_weight, 1.0)
    assert summary.styles[0].sha256 == s2 and summary.seconds == 1.0 and summary.loss_total == 1.5
    assert [(g.group_id, g.group_kind, g.runs) for g in store.groups()] == [("g", "sweep", 1)]
    store.set_score(c, 0.01)
    store.set_leakage(c, 0.3)
    assert store.list_runs(content_hash=c1, style_hash=image_hash(picture(3, 20, 20)), sort="score")[0].leakage == 0.3


def test_favourites_rename_and_notes(store: Store) -> None:
    a, b = save(store, 0), save(store, 1)
    store.set_favourite(b, True)
    assert [r.id for r in store.list_runs(favourites=True)] == [b]
    assert store.count_runs(favourites=True) == 1
    store.set_favourite(b, False)
    assert store.list_runs(favourites=True) == []
    store.rename(a, "  Blue evening  ")
    store.set_notes(a, "try more TV")
    record = store.get_run(a)
    assert (record.title, record.notes) == ("Blue evening", "try more TV")
    with pytest.raises(StoreError, match="no run 99"):
        store.rename(99, "x")


def test_export_writes_png_with_params_and_json_sidecar(store: Store, tmp_path: Path) -> None:
    run_id = save(store, 0, title="My run!")
    png = store.export_run(run_id, tmp_path / "out")
    assert png.name == f"run-{run_id}-my-run.png"
    meta = read_png_metadata(png)
    assert StyleParams.from_dict(json.loads(meta["nst:params"])) == StyleParams(size=64)
    sidecar = json.loads(png.with_suffix(".json").read_text())
    assert sidecar["id"] == run_id and sidecar["title"] == "My run!" and len(sidecar["history"]) == 12
    with Image.open(png) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), to_uint8(store.output_image(run_id)))


# ---------------------------------------------------------------------------- schema versions

# The DDL exactly as shipped in schema version 1 (a frozen copy: the migration test must not
# follow later edits of nst/store/schema.py).
V1_DDL = """
CREATE TABLE images (sha256 TEXT PRIMARY KEY, role TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    nbytes INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '', thumbnail BLOB, created REAL NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, title TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '', favourite INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('finished', 'stopped', 'failed')), message TEXT NOT NULL DEFAULT '',
    content_weight REAL NOT NULL, style_weight REAL NOT NULL, tv_weight REAL NOT NULL, size INTEGER NOT NULL,
    optimizer TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, steps INTEGER NOT NULL,
    seconds REAL NOT NULL, loss_total REAL, loss_content REAL, loss_style REAL, loss_tv REAL,
    device TEXT NOT NULL DEFAULT '', weights_id TEXT NOT NULL DEFAULT '',
    content_sha256 TEXT NOT NULL REFERENCES images(sha256), content_name TEXT NOT NULL DEFAULT '',
    output_sha256 TEXT NOT NULL REFERENCES images(sha256), params_json TEXT NOT NULL);
CREATE TABLE run_styles (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES images(sha256), name TEXT NOT NULL DEFAULT '', weight REAL NOT NULL,
    PRIMARY KEY (run_id, position));
CREATE TABLE run_snapshots (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, step INTEGER NOT NULL, scale_index INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES images(sha256), losses_json TEXT NOT NULL, PRIMARY KEY (run_id, position));
CREATE TABLE run_details (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    history_json TEXT NOT NULL, extra_json TEXT NOT NULL);
CREATE INDEX runs_created ON runs(created);
CREATE INDEX runs_content ON runs(content_sha256, created);
CREATE INDEX runs_output ON runs(output_sha256);
CREATE INDEX runs_favourite ON runs(favourite, created);
CREATE INDEX run_styles_sha ON run_styles(sha256, run_id);
CREATE INDEX run_snapshots_sha ON run_snapshots(sha256);
PRAGMA user_version = 1;
"""


def _write_v1_image(data_dir: Path, conn: sqlite3.Connection, pixels: np.ndarray, role: str) -> str:
    values = to_uint8(pixels)
    sha = image_hash(values)
    path = data_dir / "images" / sha[:2] / f"{sha}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values).save(path, format="PNG")
    conn.execute("INSERT OR IGNORE INTO images VALUES (?, ?, ?, ?, ?, 'old.jpg', ?, 1.0)",
                 (sha, role, values.shape[1], values.shape[0], path.stat().st_size, b"\xff\xd8thumb"))
    return sha


def build_v0(data_dir: Path) -> dict:
    """Version 0: no gallery yet (an empty or missing database file)."""
    data_dir.mkdir(parents=True)
    sqlite3.connect(data_dir / store_module.DB_NAME).close()
    return {}


def build_v1(data_dir: Path) -> dict:
    data_dir.mkdir(parents=True)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.executescript(V1_DDL)
    content = _write_v1_image(data_dir, conn, picture(1), "content")
    style = _write_v1_image(data_dir, conn, picture(2), "style")
    output = _write_v1_image(data_dir, conn, picture(3), "output")
    params = StyleParams(size=64, style_weight=3.0)
    conn.execute(
        "INSERT INTO runs (created, title, notes, favourite, status, message, content_weight, style_weight, "
        "tv_weight, size, optimizer, width, height, steps, seconds, loss_total, loss_content, loss_style, loss_tv, "
        "device, weights_id, content_sha256, content_name, output_sha256, params_json) "
        "VALUES (1700000000.0, 'old run', 'n', 1, 'finished', 'Finished.', 1, 3, 1, 64, 'lbfgs', 32, 24, 7, 2.5, "
        "1.0, 0.5, 0.25, 0.125, 'CPU', 'w', ?, 'old.jpg', ?, ?)", (content, output, json.dumps(params.to_dict())))
    conn.execute("INSERT INTO run_styles VALUES (1, 0, ?, 'style.jpg', 1.0)", (style,))
    conn.execute("INSERT INTO run_details VALUES (1, ?, ?)", (json.dumps([{"step": 1, "total": 1.0}]),
                                                              json.dumps({"weight_changes": [], "trace_seconds": {}})))
    conn.close()
    return {"params": params, "output": picture(3)}


def build_v2(data_dir: Path) -> dict:
    """Version 2 (groups, score, leakage), as that release's migration left it: no run_masks."""
    expected = build_v1(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    for column in ("group_id TEXT", "group_kind TEXT", "group_label TEXT", "score REAL", "leakage REAL"):
        conn.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    return expected


def build_v3(data_dir: Path) -> dict:
    """Version 3 (run_masks), as that release left it: no votes table."""
    expected = build_v2(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("CREATE TABLE run_masks (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
                 "kind TEXT NOT NULL CHECK (kind IN ('style', 'detail')), "
                 "sha256 TEXT NOT NULL REFERENCES images(sha256), PRIMARY KEY (run_id, kind))")
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    return expected


def build_v4(data_dir: Path) -> dict:
    """Version 4 (votes), as that release left it: no scorecards table."""
    expected = build_v3(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("CREATE TABLE votes (voter TEXT NOT NULL, created REAL NOT NULL, "
                 "run_low INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
                 "run_high INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
                 "outcome TEXT NOT NULL CHECK (outcome IN ('low', 'high', 'tie')), "
                 "PRIMARY KEY (voter, run_low, run_high), CHECK (run_low < run_high))")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    return expected


def build_v5(data_dir: Path) -> dict:
    """Version 5 (scorecards), as that release left it: no gallery id (pictures must survive the migration)."""
    expected = build_v4(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("CREATE TABLE scorecards (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
                 "version TEXT NOT NULL, created REAL NOT NULL, measures TEXT NOT NULL, PRIMARY KEY (run_id, version))")
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    return expected


def build_v6(data_dir: Path) -> dict:
    """Version 6 (the gallery id), as that release left it: sweep axes only in the labels
    (tests/test_sweep_axes.py opens a real gallery made by that release)."""
    expected = build_v5(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("CREATE TABLE store_identity (id TEXT NOT NULL)")
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    return expected


def build_v7(data_dir: Path) -> dict:
    """Version 7 (sweep axes as data), before the best moment's tables and kept files."""
    expected = build_v6(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("ALTER TABLE runs ADD COLUMN group_axes TEXT")
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    return expected


def build_v8(data_dir: Path) -> dict:
    """Version 8 (the best moment's tables), before kept originals and prints."""
    expected = build_v7(data_dir)
    conn = sqlite3.connect(data_dir / store_module.DB_NAME, isolation_level=None)
    conn.execute("CREATE TABLE moment_scorecards (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, "
                 "version TEXT NOT NULL, step INTEGER NOT NULL, measures TEXT NOT NULL, "
                 "PRIMARY KEY (run_id, version, step))")
    conn.execute("CREATE TABLE kept_moments (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, "
                 "step INTEGER NOT NULL, created REAL NOT NULL)")
    conn.execute("PRAGMA user_version = 8")
    conn.close()
    return expected


OLDER_VERSIONS = {0: build_v0, 1: build_v1, 2: build_v2, 3: build_v3, 4: build_v4, 5: build_v5, 6: build_v6,
                  7: build_v7, 8: build_v8}


def test_every_older_version_has_a_migration_test() -> None:
    assert sorted(OLDER_VERSIONS) == list(range(SCHEMA_VERSION))


@pytest.mark.parametrize("version", sorted(OLDER_VERSIONS))
def test_migrates_from_older_version(tmp_path: Path, version: int) -> None:
    data_dir = tmp_path / "data"
    expected = OLDER_VERSIONS[version](data_dir)
    with Store(data_dir, grace_seconds=0) as opened:
        assert opened.schema_version == SCHEMA_VERSION
        columns = {row[1] for row in sqlite3.connect(opened.db_path).execute("PRAGMA table_info(runs)")}
        assert {"group_id", "group_kind", "group_label", "group_axes", "score", "leakage"} <= columns
        tables = {row[0] for row in sqlite3.connect(opened.db_path).execute("SELECT name FROM sqlite_master")}
        assert {"votes", "scorecards", "store_identity", "moment_scorecards", "kept_moments", "run_files",
                "print_links"} <= tables
        if expected:
            record = opened.get_run(1)
            assert (record.title, record.notes, record.favourite, record.params) == \
                ("old run", "n", True, expected["params"])
            assert (record.group_id, record.score, record.leakage) == (None, None, None)
            assert record.losses == {"total": 1.0, "content": 0.5, "style": 0.25, "tv": 0.125}
            assert np.array_equal(to_uint8(opened.output_image(1)), to_uint8(expected["output"]))
            assert opened.thumbnail_bytes(1) == b"\xff\xd8thumb"
            assert [r.id for r in opened.list_runs(favourites=True)] == [1]
            opened.set_score(1, 0.5)
        new_id = save(opened, 9, masks={"style": np.full((12, 16), 0.5, np.float32)})  # takes new runs
        assert opened.get_run(new_id).group_id is None
        assert opened.input_images(new_id).style_mask is not None
        assert opened.integrity_check() == "ok"
    with Store(data_dir) as reopened:  # opening again is a no-op
        assert reopened.schema_version == SCHEMA_VERSION and reopened.count_runs() == (2 if expected else 1)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    Store(data_dir).close()
    conn = sqlite3.connect(data_dir / store_module.DB_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(data_dir)


# ---------------------------------------------------------------------------- crashes and full disk


def test_crash_between_file_write_and_commit_leaves_no_run(tmp_path: Path, monkeypatch) -> None:
    data_dir = tmp_path / "data"
    with Store(data_dir) as opened:
        earlier = save(opened, 0)
        earlier_files = image_files(data_dir)

        def crash(*args, **kwargs):
            raise RuntimeError("simulated crash after the files were written")

        monkeypatch.setattr(store_saving, "insert_run", crash)
        monkeypatch.setattr(store_saving, "_forget", lambda *args: None)  # a dead process cleans nothing up
        with pytest.raises(RuntimeError):
            save(opened, 1, content_seed=5, style_seed=6)
        assert image_files(data_dir) > earlier_files  # the files are there ...
        assert [r.id for r in opened.list_runs()] == [earlier]  # ... but no run is visible
    monkeypatch.undo()
    with Store(data_dir, grace_seconds=3600) as reopened:  # young orphans may be a save in flight: kept
        assert reopened.last_cleanup.orphan_files == 0 and image_files(data_dir) > earlier_files
    with Store(data_dir, grace_seconds=0) as reopened:
        assert reopened.last_cleanup.orphan_files > 0
        assert image_files(data_dir) == earlier_files
        assert [r.id for r in reopened.list_runs()] == [earlier]
        reopened.output_image(earlier), reopened.snapshots(earlier), reopened.input_images(earlier)


def test_failed_save_removes_the_files_it_wrote(store: Store, monkeypatch) -> None:
    earlier = save(store, 0)
    files = image_files(store.data_dir)
    monkeypatch.setattr(store_saving, "insert_run",
                        lambda *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("boom")))
    with pytest.raises(StoreError, match="Cannot save the run"):
        save(store, 1, content_seed=5, style_seed=6)
    assert image_files(store.data_dir) == files and store.count_runs() == 1
    store.output_image(earlier)


def test_cleanup_racing_a_save_cannot_leave_a_run_without_files(tmp_path: Path, monkeypatch) -> None:
    """Another process's cleanup (grace 0) removes this save's files before its commit: it rewrites them."""
    data_dir = tmp_path / "data"
    saver, cleaner = Store(data_dir), Store(data_dir, cleanup=False)
    real = store_saving.write_blobs
    removed = []

    def write_then_cleanup(images_dir, blobs, created):
        real(images_dir, blobs, created)
        if not removed:  # the first call, outside the lock: files written, no row yet
            removed.append(cleaner.cleanup_orphans(grace_seconds=0).orphan_files)

    monkeypatch.setattr(store_saving, "write_blobs", write_then_cleanup)
    run_id = save(saver, 0)
    assert removed[0] > 0  # the race happened ...
    assert assert_every_run_complete(saver) == 1  # ... and the run is complete anyway
    assert saver.output_image(run_id).shape == (24, 32, 3)
    saver.close(), cleaner.close()


def test_stale_temp_files_are_cleaned_young_ones_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    Store(data_dir).close()
    shard = data_dir / "images" / "ab"
    shard.mkdir()
    own = ".ab" + "1" * 62 + ".png." + "f" * 32 + ".tmp"  # how the store names its temp files
    old, young = shard / own, shard / own.replace("ab1", "ab2")
    foreign = [shard / "notes.tmp", data_dir / "images" / "mine" / ".ab12.png.1.tmp"]  # not the store's: kept
    foreign[1].parent.mkdir()
    for path in (old, young, *foreign):
        path.write_bytes(b"half")
    for path in (old, *foreign):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    with Store(data_dir) as opened:
        assert opened.last_cleanup.temp_files == 1
    assert not old.exists() and young.exists() and all(path.exists() for path in foreign)


def test_full_disk_gives_a_clear_error_and_keeps_earlier_runs(store: Store, monkeypatch) -> None:
    earlier = save(store, 0)
    files = image_files(store.data_dir)
    calls = []

    def full(path, data):
        calls.append(path)
        if len(calls) > 1:  # fail mid-save, after one new file went in
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    real_write = store_files.write_file
    monkeypatch.setattr(store_files, "write_file", full)
    with pytest.raises(StoreError, match="disk is full") as caught:
        save(store, 1, content_seed=7, style_seed=8)
    assert "saved earlier are safe" in str(caught.value)
    monkeypatch.undo()
    assert [r.id for r in store.list_runs()] == [earlier]
    assert image_files(store.data_dir) == files  # the partial save's files were removed
    assert not list(store.data_dir.glob("images/*/.*.tmp"))
    assert np.array_equal(to_uint8(store.output_image(earlier)), to_uint8(fake_result(0).image))
    assert save(store, 1, content_seed=7, style_seed=8) > earlier  # works again once there is space


def test_full_disk_at_commit_gives_a_clear_error(store: Store, monkeypatch) -> None:
    earlier = save(store, 0)
    monkeypatch.setattr(store_saving, "insert_run",
                        lambda *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("database or disk is full")))
    with pytest.raises(StoreError, match="is full; free some space"):
        save(store, 1, content_seed=7)
    monkeypatch.undo()
    assert [r.id for r in store.list_runs()] == [earlier]


SAVER = r"""
import sys
import numpy as np
from types import SimpleNamespace
from nst.params import StyleParams
from nst.run_types import LossTerms, RunInputs, RunLabels, RunToSave, Snapshot
from nst.store import Store

data_dir, tag, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = Store(data_dir)
print("started", flush=True)
rng = np.random.default_rng(abs(hash(tag)) % 2**32)
shared = np.random.default_rng(0).uniform(0, 1, (size, size, 3)).astype(np.float32)
i = 0
while count < 0 or i < count:
    snaps = [Snapshot(s, 0, rng.integers(0, 256, (size, size, 3), dtype=np.uint8), LossTerms(1.0, 0.0, 0.0, 0.0))
             for s in (1, 2, 3)]
    fields = {"image": rng.uniform(0, 1, (size, size, 3)).astype(np.float32), "status": "finished",
              "message": "", "steps": 3, "seconds": 1.0, "losses": LossTerms(1.0, 0.5, 0.25, 0.0),
              "history": [{"step": s, "total": 1.0} for s in range(50)], "snapshots": snaps,
              "params": StyleParams(size=64)}
    content = shared if i % 2 else rng.uniform(0, 1, (size, size, 3)).astype(np.float32)
    run_id = store.save(RunToSave(SimpleNamespace(**fields), RunInputs(content, [shared]), RunLabels(title=f"{tag}-{i}")))
    print("saved", run_id, flush=True)
    i += 1
"""


def start_saver(tmp_path: Path, data_dir: Path, tag: str, count: int, size: int = 48) -> subprocess.Popen:
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(data_dir), tag, str(count), str(size)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)


def assert_every_run_complete(store: Store) -> int:
    assert store.integrity_check() == "ok"
    runs = store.list_runs(limit=10_000)
    for summary in runs:
        record = store.get_run(summary.id)
        assert store.output_image(summary.id).shape == (record.height, record.width, 3)
        assert len(store.snapshots(summary.id)) == len(record.snapshot_steps)
        assert len(store.input_images(summary.id).styles) == len(record.styles)
        assert len(store.thumbnail_bytes(summary.id)) > 0
    return len(runs)


def test_kill_9_mid_save_leaves_only_complete_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(5)
    survivors = 0
    for round_ in range(4):
        saver = start_saver(tmp_path, data_dir, f"kill{round_}", -1, size=96)
        try:
            assert saver.stdout.readline().strip() == "started"
            for _ in range(round_ + 1):  # let it save a few runs; then kill it somewhere inside the next
                assert saver.stdout.readline().startswith("saved")
            time.sleep(rng.uniform(0, 0.05))
            saver.send_signal(signal.SIGKILL)
        finally:
            saver.wait(timeout=30)
            saver.stdout.close()
        assert saver.returncode == -signal.SIGKILL
        with Store(data_dir, grace_seconds=0) as reopened:
            count = assert_every_run_complete(reopened)
            assert count >= survivors + round_ + 1  # nothing saved earlier was lost
            survivors = count
            # after the cleanup, every file on disk belongs to a run and no temp file is left
            known = {row[0] for row in sqlite3.connect(reopened.db_path).execute("SELECT sha256 FROM images")}
            assert {name[:-4] for name in image_files(data_dir)} == known


def test_concurrent_writers_threads_and_processes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shared = Store(data_dir)
    processes = [start_saver(tmp_path, data_dir, f"proc{i}", 4, size=32) for i in range(2)]
    ids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for k in range(4):
                run_id = save(shared, 10 * n + k, content_seed=1, style_seed=2 + k % 2, title=f"thread{n}-{k}")
                with lock:
                    ids.append(run_id)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        ids += [int(line.split()[1]) for line in out.splitlines() if line.startswith("saved")]
    assert not errors
    assert len(ids) == 24 and len(set(ids)) == 24
    runs = shared.list_runs(limit=100)
    assert sorted(r.id for r in runs) == sorted(ids)
    assert shared.count_runs() == 24
    assert sum(1 for r in runs if r.content_sha256 == image_hash(picture(1))) == 16  # deduplicated once
    assert assert_every_run_complete(shared) == 24
    shared.close()


OPENER = r"""
import sys, time
from pathlib import Path
from nst.store import Store
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
with Store(sys.argv[1]) as store:
    print("version", store.schema_version, flush=True)
"""


def test_processes_creating_the_same_gallery_at_once(tmp_path: Path) -> None:
    script, go, data_dir = tmp_path / "opener.py", tmp_path / "go", tmp_path / "data"
    script.write_text(OPENER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    openers = [subprocess.Popen([sys.executable, str(script), str(data_dir), str(go)], stdout=subprocess.PIPE,
                                text=True, env=env, cwd=REPO) for _ in range(3)]
    for opener in openers:
        assert opener.stdout.readline().strip() == "ready"
    go.touch()
    for opener in openers:
        out, _ = opener.communicate(timeout=60)
        assert opener.returncode == 0 and out.split() == ["version", str(SCHEMA_VERSION)]


# ---------------------------------------------------------------------------- environment


def test_data_dir_default_follows_env(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert store_module.default_data_dir() == tmp_path / "xdg" / "nst-studio"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert store_module.default_data_dir() == Path.home() / ".local" / "share" / "nst-studio"
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "mine"))
    with Store() as opened:
        assert opened.data_dir == tmp_path / "mine" and opened.db_path.is_file()


def test_unwritable_data_dir_is_a_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Cannot create the gallery folder"):
        Store(blocker / "data")


def test_importing_the_store_stays_light() -> None:
    code = "import sys, nst.store; print('tensorflow' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    assert out.split() == ["False", "False"]


def test_connections_of_finished_threads_are_released(store: Store) -> None:
    save(store, 0)

    def look() -> None:
        store.list_runs()

    for _ in range(20):  # Streamlit runs every rerun in a fresh thread
        t = threading.Thread(target=look)
        t.start()
        t.join()
    import gc

    gc.collect()
    assert len(store.db.connections) <= 2  # this thread's (and at most one not yet collected)


def test_a_real_engine_result_round_trips(store: Store, tiny_net, content_image, style_image) -> None:
    """The real StyleResult from stylize() (tiny network), not a stand-in."""
    from nst.engine import stylize

    params = StyleParams(size=64, scales=2, iterations=4, snapshot_every=1, optimizer="adam")
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    run_id = store.save(run_to_save(result, content=content_image, styles=[style_image], title="engine"))
    record = store.get_run(run_id)
    assert record.params == result.params and record.history == result.history
    assert record.losses == result.losses.to_dict() and record.status == result.status
    assert (record.width, record.height) == result.size and record.device == result.device
    assert np.array_equal(to_uint8(store.output_image(run_id)), to_uint8(result.image))
    kept = store.snapshots(run_id)
    assert kept[-1].step == result.snapshots[-1].step and len(kept) <= store_module.MAX_SNAPSHOTS
    by_step = {s.step: s for s in result.snapshots}
    assert all(np.array_equal(k.image, by_step[k.step].image) for k in kept)


def test_a_runs_masks_are_kept_and_given_back_for_a_rerun(store: Store) -> None:
    mask = np.zeros((12, 16), np.float32)
    mask[:, 8:] = 1.0
    detail = np.linspace(0.0, 1.0, 12 * 16, dtype=np.float32).reshape(12, 16)
    with_masks = save(store, 1, masks={"style": mask, "detail": detail})
    without = save(store, 2)
    inputs = store.input_images(with_masks)
    assert np.array_equal(inputs.style_mask, mask)
    assert np.allclose(inputs.detail_mask, detail, atol=1 / 255)
    assert store.input_images(without).style_mask is None and store.input_images(without).detail_mask is None
    files = image_files(store.data_dir)
    store.delete_run(with_masks)
    assert len(image_files(store.data_dir)) < len(files)  # the mask pictures went with their run
    assert store.cleanup_orphans(grace_seconds=0) is not None and store.integrity_check() == "ok"
    with pytest.raises(StoreError, match="Unknown mask kind"):
        save(store, 3, masks={"sky": mask})


# ---------------------------------------------------------------------------- the typed boundary


def test_save_keeps_every_field_of_a_run_to_save(store: Store) -> None:
    from nst.run_types import RunInputs, RunLabels, RunToSave

    content, style, mask = picture(1), picture(2, 20, 20), np.linspace(0, 1, 24 * 32).reshape(24, 32)
    run = RunToSave(fake_result(3), RunInputs(content, [style], content_name="photo.jpg", style_names=["starry.jpg"],
                                              masks={"style": mask, "detail": None}),
                    RunLabels(title="typed", favourite=True, group_id="g1", group_kind="sweep",
                              group_label="style_weight=1", score=0.5, leakage=0.25))
    typed = store.get_run(store.save(run))
    assert (typed.title, typed.favourite, typed.group_label, typed.score, typed.leakage) == \
           ("typed", True, "style_weight=1", 0.5, 0.25)
    assert typed.content_name == "photo.jpg" and [s.name for s in typed.styles] == ["starry.jpg"]
    inputs = store.input_images(typed.id)
    assert inputs.style_mask is not None and inputs.detail_mask is None
    again = store.get_run(store.save(run))
    assert again.id != typed.id and again.output_sha256 == typed.output_sha256  # the same pixels, stored once


def test_the_export_sidecar_is_the_records_dict_and_its_moment(store: Store, tmp_path: Path) -> None:
    run_id = save(store, 0, title="Sidecar")
    png = store.export_run(run_id, tmp_path / "out")
    sidecar = json.loads(png.with_suffix(".json").read_text())
    record = store.get_run(run_id)
    moment = sidecar.pop("moment")  # which picture the PNG is (nst.store.moments): here the final image
    assert moment == {"kept": {"step": None, "final": True}, "suggested": None, "moments": []}
    assert sidecar == json.loads(json.dumps(record.to_dict()))
    assert "history" in sidecar and "history" not in record.to_dict(history=False)
    summary = store.list_runs()[0].to_dict()
    assert summary["id"] == run_id and summary["title"] == "Sidecar"
