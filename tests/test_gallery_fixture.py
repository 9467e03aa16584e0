"""Issue #18 on a gallery made by the main before its data-safety work (tests/fixtures/gallery_v5: schema 5,
no gallery id, no manifests): today's code opens it without losing a run, an emptied or removed database
deletes none of its pictures, and `nst gallery rebuild` puts every picture back as an untitled run."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.store import SCHEMA_VERSION, Store

FIXTURE = Path(__file__).parent / "fixtures" / "gallery_v5"
OLD = time.time() - 30 * 24 * 3600  # older than any grace period
TITLES = ["style_weight=30", "style_weight=3", "second", "first"]  # newest first, as `gallery list` shows them


@pytest.fixture
def old_gallery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    data_dir = tmp_path / "gallery"
    shutil.copytree(FIXTURE, data_dir)
    pictures = sorted((data_dir / "images").glob("*/*.png"))
    for path in pictures:
        os.utime(path, (OLD, OLD))
    monkeypatch.setenv("NST_DATA_DIR", str(data_dir))
    return data_dir, pictures


def _lose_database(data_dir: Path, how: str) -> None:
    db = data_dir / "gallery.sqlite3"
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)
    if how == "emptied":
        db.write_bytes(b"")
    else:
        db.unlink()


def _listing(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    capsys.readouterr()
    assert main(["gallery", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_old_gallery_opens_with_every_run_and_picture(old_gallery, capsys):
    data_dir, pictures = old_gallery
    rows = _listing(capsys)
    assert [row["title"] for row in rows] == TITLES
    with Store(data_dir) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.sweep_refusal is None  # adopted: the database knows these pictures
        assert store.output_image(rows[-1]["id"]).shape == (48, 64, 3)
        assert len(store.snapshots(rows[-1]["id"])) >= 2
    assert sorted((data_dir / "images").glob("*/*.png")) == pictures
    assert (data_dir / "images" / ".store-id").is_file()


@pytest.mark.parametrize("how", ["emptied", "removed"])
def test_losing_the_old_gallerys_database_deletes_no_picture(old_gallery, capsys, how):
    data_dir, pictures = old_gallery
    _lose_database(data_dir, how)
    assert main(["gallery", "list"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing was deleted" in err[0] and "gallery rebuild" in err[0]
    assert sorted((data_dir / "images").glob("*/*.png")) == pictures


@pytest.mark.parametrize("how", ["emptied", "removed"])
def test_rebuild_puts_every_picture_of_the_old_gallery_back_as_an_untitled_run(old_gallery, capsys, how):
    data_dir, pictures = old_gallery
    _lose_database(data_dir, how)
    assert main(["gallery", "rebuild", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"restored": 0, "skipped": 0, "recovered": len(pictures)}
    rows = _listing(capsys)
    assert len(rows) == len(pictures) and all(row["title"] == "" for row in rows)
    on_disk = {path.stem: np.asarray(Image.open(path).convert("RGB")) for path in pictures}
    with Store(data_dir) as store:
        assert store.sweep_refusal is None  # the rebuilt database owns the pictures again
        for row in rows:
            record = store.get_run(row["id"])
            assert "recovered" in record.message
            output = np.round(store.output_image(row["id"]) * 255).astype(np.uint8)
            assert any(np.array_equal(output, pixels) for pixels in on_disk.values())
        assert store.thumbnails([rows[0]["id"]])[rows[0]["id"]]
    assert main(["gallery", "check", "--json"]) == 0
    health = json.loads(capsys.readouterr().out)
    assert health["ok"] and health["runs"] == len(pictures) and not health["images_missing"]
    assert sorted((data_dir / "images").glob("*/*.png")) == pictures
    assert main(["gallery", "rebuild", "--json"]) == 0  # twice is harmless
    assert json.loads(capsys.readouterr().out)["recovered"] == 0
    assert len(_listing(capsys)) == len(pictures)


def test_a_recovered_run_survives_losing_the_database_again(old_gallery, capsys):
    data_dir, pictures = old_gallery
    _lose_database(data_dir, "emptied")
    assert main(["gallery", "rebuild"]) == 0
    first = _listing(capsys)
    _lose_database(data_dir, "removed")
    assert main(["gallery", "rebuild", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"restored": len(pictures), "skipped": 0, "recovered": 0}
    assert _listing(capsys) == first


def test_the_gallery_pages_show_recovered_runs(old_gallery, capsys):
    from test_gallery import app, texts

    data_dir, pictures = old_gallery
    _lose_database(data_dir, "emptied")
    assert main(["gallery", "rebuild"]) == 0
    run_id = _listing(capsys)[0]["id"]
    grid = app()
    assert f"**Run {run_id}**" in texts(grid)  # untitled runs are listed by number
    page = app(run=str(run_id))
    assert "recovered" in texts(page)
