"""Issue #18, data safety: an emptied, missing or foreign gallery database never deletes a picture,
a damaged database page is one sentence (CLI exit 2, the Gallery page says it), and `gallery check`
reports integrity. Each test failed on main before the fix (pictures were swept, tracebacks shown)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from nst.cli import main
from nst.params import StyleParams
from nst.run_types import LossTerms
from nst.store import Store
from saved_runs import run_to_save

OLD = time.time() - 30 * 24 * 3600  # older than any grace period


def _save(store: Store, seed: int, shape: tuple[int, int] = (24, 32)) -> int:
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 1, (*shape, 3)).astype(np.float32)
    result = {"image": image, "status": "finished", "message": "", "steps": 1, "seconds": 1.0,
              "losses": LossTerms(1.0, 0.5, 0.4, 0.1), "history": [], "snapshots": [], "weight_changes": [],
              "trace_seconds": {}, "params": StyleParams(size=64), "weights_id": "tiny", "device": "CPU",
              "leakage": None}
    return store.save(run_to_save(result, content=image[::-1].copy(), styles=[image[:, ::-1].copy()],
                                  content_name=f"photo{seed}.png", style_names=("s.png",)))


def _pictures(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "images").glob("*/*.png"))


@pytest.fixture
def gallery(tmp_path, monkeypatch):
    data_dir = tmp_path / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data_dir))
    with Store(data_dir) as store:
        for seed in range(2):
            _save(store, seed)
    pictures = _pictures(data_dir)
    for path in pictures:
        os.utime(path, (OLD, OLD))
    assert len(pictures) >= 6
    return data_dir, pictures


@pytest.mark.parametrize("damage", ["emptied", "removed", "foreign"])
def test_a_database_that_is_not_the_pictures_own_never_deletes_them(gallery, tmp_path, capsys, damage):
    data_dir, pictures = gallery
    db = data_dir / "gallery.sqlite3"
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)
    if damage == "emptied":
        db.write_bytes(b"")
    elif damage == "removed":
        db.unlink()
    else:
        with Store(tmp_path / "other") as other:
            _save(other, 9)
        shutil.copy(tmp_path / "other" / "gallery.sqlite3", db)
    assert main(["gallery", "list"]) == 0
    err = capsys.readouterr().err
    assert "nothing was deleted" in err and len(err.strip().splitlines()) == 1
    assert _pictures(data_dir) == pictures  # every picture is still there
    with Store(data_dir) as store:
        assert store.sweep_refusal and store.last_cleanup.orphan_files == 0


def test_a_gallery_made_before_ids_is_adopted_and_still_cleaned(gallery):
    import sqlite3

    data_dir, pictures = gallery
    (data_dir / "images" / ".store-id").unlink()
    conn = sqlite3.connect(data_dir / "gallery.sqlite3")
    conn.execute("DELETE FROM store_identity")
    conn.commit()
    conn.close()
    stray = data_dir / "images" / "00" / ("0" * 64 + ".png")  # a crash's leftover, no row names it
    stray.parent.mkdir(exist_ok=True)
    shutil.copy(pictures[0], stray)
    os.utime(stray, (OLD, OLD))
    with Store(data_dir) as store:
        assert store.sweep_refusal is None and store.last_cleanup.orphan_files == 1
    assert _pictures(data_dir) == pictures and (data_dir / "images" / ".store-id").is_file()


def _damage_a_page(db: Path) -> None:
    data = bytearray(db.read_bytes())
    assert len(data) > 8192
    data[4096:5120] = os.urandom(1024)
    db.write_bytes(bytes(data))


def test_a_damaged_database_page_is_one_sentence_and_check_reports_it(gallery, capsys):
    data_dir, _ = gallery
    with Store(data_dir) as store:
        for seed in range(2, 12):
            _save(store, seed)
        store.db.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage_a_page(data_dir / "gallery.sqlite3")
    codes = [main(["gallery", "list"]), main(["gallery", "show", "1"])]
    err = capsys.readouterr().err
    assert codes == [2, 2] and "Traceback" not in err
    assert all(line.startswith("error: The gallery database") and "damaged" in line and "gallery check" in line
               for line in err.strip().splitlines())
    code = main(["gallery", "check", "--json"])
    out = capsys.readouterr()
    assert code in (1, 2)
    if code == 1:
        assert json.loads(out.out)["ok"] is False and json.loads(out.out)["integrity"] != "ok"


def test_gallery_check_says_ok_for_a_healthy_gallery(gallery, capsys):
    assert main(["gallery", "check", "--json"]) == 0
    health = json.loads(capsys.readouterr().out)
    assert health["ok"] and health["runs"] == 2 and health["images_missing"] == []


def test_backup_and_restore_round_trip(gallery, tmp_path, capsys):
    data_dir, pictures = gallery
    before = json.loads(_listing(capsys))
    assert main(["gallery", "backup", str(tmp_path / "copy"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pictures"] == len(pictures)
    assert main(["gallery", "delete", str(before[0]["id"])]) == 0
    with Store(data_dir, grace_seconds=0):
        pass  # the deleted run's pictures are gone
    assert len(_pictures(data_dir)) < len(pictures)
    assert main(["gallery", "restore", str(tmp_path / "copy")]) == 0
    capsys.readouterr()
    assert json.loads(_listing(capsys)) == before  # the same runs, the same scorecards
    assert _pictures(data_dir) == pictures
    with Store(data_dir) as store:
        for run in before:
            store.output_image(run["id"])  # every picture reads back
    assert main(["gallery", "backup", str(tmp_path / "copy")]) == 2  # never over an existing backup
    assert "already holds a gallery backup" in capsys.readouterr().err


def _listing(capsys) -> str:
    capsys.readouterr()
    assert main(["gallery", "list", "--json"]) == 0
    return capsys.readouterr().out


@pytest.fixture
def full_disk(tmp_path):
    """A 3 MB tmpfs filled to the last byte (root only: CI runs as root; skips elsewhere)."""
    import subprocess

    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_on_a_full_disk_commands_say_so_and_delete_makes_room(full_disk, monkeypatch, capsys):
    data_dir = full_disk / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data_dir))
    with Store(data_dir) as store:
        ids = [_save(store, seed, (160, 200)) for seed in range(3)]  # ~100 kB per picture: room once deleted
    _fill(full_disk)
    assert main(["gallery", "list"]) == 2
    err = capsys.readouterr().err
    assert "is full" in err and "disk I/O" not in err and len(err.strip().splitlines()) == 1
    assert main(["gallery", "delete", str(ids[0])]) == 0, capsys.readouterr().err
    # SQLite's -wal/-shm left by the failed opens go with the first successful close (deleting them by
    # hand could lose a transaction of a studio holding the database open)
    assert sorted(p.name for p in data_dir.iterdir()) == ["gallery.sqlite3", "images"]
    capsys.readouterr()
    assert main(["gallery", "list", "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [ids[2], ids[1]]
    with Store(data_dir) as store:
        for run_id in ids[1:]:
            store.output_image(run_id)  # the others are untouched


def test_a_gallery_on_a_read_only_mount_is_listed_and_refuses_changes(full_disk, monkeypatch, capsys):
    import subprocess

    data_dir = full_disk / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data_dir))
    with Store(data_dir) as store:
        ids = [_save(store, seed) for seed in range(2)]
    assert subprocess.run(["mount", "-o", "remount,ro", str(full_disk)]).returncode == 0
    assert main(["gallery", "list", "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == ids[::-1]
    assert main(["gallery", "show", str(ids[0]), "--json"]) == 0
    capsys.readouterr()
    assert main(["gallery", "delete", str(ids[0])]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and len(err.strip().splitlines()) == 1


def test_rebuild_puts_the_runs_back_from_their_manifests_after_the_database_is_lost(gallery, capsys):
    data_dir, pictures = gallery
    before = json.loads(_listing(capsys))
    assert len(list((data_dir / "images" / "manifests").glob("*.json"))) == len(before)
    with Store(data_dir) as store:
        shown = store.get_run(before[0]["id"]).to_dict(history=True)
    db = data_dir / "gallery.sqlite3"
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
    assert main(["gallery", "rebuild", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"restored": len(before), "skipped": 0, "recovered": 0}
    assert json.loads(_listing(capsys)) == before
    with Store(data_dir) as store:
        assert store.sweep_refusal is None  # the rebuilt database owns the pictures again
        assert store.get_run(before[0]["id"]).to_dict(history=True) == shown
        assert store.thumbnails([before[0]["id"]])[before[0]["id"]]
    assert _pictures(data_dir) == pictures
    assert main(["gallery", "delete", str(before[0]["id"])]) == 0
    assert len(list((data_dir / "images" / "manifests").glob("*.json"))) == len(before) - 1
