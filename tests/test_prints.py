"""Prints in the gallery (#26): a run keeps its original photo, `nst poster RUN_ID` paints from it without
asking for --content, and the finished print is a run linked to its source with its 16-bit TIFF beside it;
deleting, sweeping and backing up treat those files like pictures. And a print runs alone in the queue."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.model import tiny_feature_net_for_tests
from nst.poster_job import GRID_SIDE
from nst.print_output import read_print
from nst.queue_policy import may_start
from nst.store import Store
from nst.store.run_files import ORIGINAL_MAX_SIDE, attachments
from nst.run_types import RunInputs, RunToSave

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


def _photo(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 3.0) * np.cos(y / 5.0)], axis=2)


@pytest.fixture
def files(tmp_path: Path, style_image: np.ndarray) -> dict[str, Path]:
    paths = {"photo": tmp_path / "photo.jpg", "style": tmp_path / "style.png"}
    # a JPEG: the CLI decodes it at the run's size (a draft), so only the kept original has its detail
    Image.fromarray((_photo(512, 384) * 255).astype(np.uint8)).save(paths["photo"], quality=95)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(paths["style"])
    return paths


def _saved_run(files: dict[str, Path], tmp_path: Path) -> int:
    code = main(["stylize", "--content", str(files["photo"]), "--style", str(files["style"]), "-o",
                 str(tmp_path / "run.png"), "--size", "64", "--scales", "1", "--iterations", "2", "--save"], **TINY)
    assert code == 0
    with Store() as store:
        return max(r.id for r in store.list_runs())


def test_a_saved_run_keeps_its_original_photo_and_a_print_needs_no_content_flag(files, tmp_path, capsys):
    run_id = _saved_run(files, tmp_path)
    with Store() as store:
        assert store.original_file(run_id) == files["photo"].read_bytes()  # byte for byte
        assert store.photo_size(run_id) == (512, 384)
        assert store.original_photo(run_id).shape == (384, 512, 3)
        assert max(store.input_images(run_id).content.shape[:2]) < 512  # the run's own copy is smaller
    capsys.readouterr()
    out = tmp_path / "print.tiff"
    assert main(["poster", str(run_id), "--size", "160", "-o", str(out), "--json"], **TINY) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source_run"] == run_id and report["run_id"] is not None
    with Store() as store:
        info = store.print_of(report["run_id"])
        assert (info.source_run, info.width, info.height, info.dpi) == (run_id, 160, 120, 300)
        assert [p.run_id for p in store.prints_of(run_id)] == [report["run_id"]]
        kept, dpi, meta = read_print(info.path)
        written = read_print(out)[0]
        assert kept.shape == (120, 160, 3) and dpi == 300 and np.array_equal(kept, written)
        assert meta["nst:poster"]["source_run"] == run_id
        assert max(store.output_image(report["run_id"]).shape[:2]) <= GRID_SIDE
        assert store.original_file(report["run_id"]) == files["photo"].read_bytes()  # kept once, named twice


def test_a_kept_original_smaller_than_the_print_is_enlarged_without_asking_for_another(files, tmp_path, capsys):
    """The person's own photo is the biggest there is: no --content to ask for, only a note (CLI and studio)."""
    from nst.poster_job import PosterOrder, estimate_order

    run_id = _saved_run(files, tmp_path)
    with Store() as store:
        estimate = estimate_order(store, PosterOrder(run_id, "A4", 150))
        assert estimate.original_kept and estimate.photo_note.startswith(f"Run {run_id}'s original photo is 512 x 384")
        from nst.memory import STUDIO_RESIDENT_BYTES
        from nst.poster_order import poster_plan_for

        # The studio's own memory is counted: the plan is a fresh process's plan for what is left of the budget
        # (whatever precision this machine chose: bfloat16 fits one tile where float32 may need several).
        fresh = poster_plan_for(SimpleNamespace(start=np.empty((48, 64, 0)), params=store.get_run(run_id).params),
                                estimate.target, estimate.plan.budget - STUDIO_RESIDENT_BYTES)
        assert estimate.peak_bytes == fresh.peak_bytes + STUDIO_RESIDENT_BYTES <= estimate.plan.budget
    capsys.readouterr()
    assert main(["poster", str(run_id), "--size", "640", "-o", str(tmp_path / "big.tiff")], **TINY) == 0
    assert "original photo is 512 x 384 px, smaller than the 640 x 480 px print" in capsys.readouterr().err
    assert read_print(tmp_path / "big.tiff")[0].shape == (480, 640, 3)


def test_deleting_a_print_removes_its_tiff_and_deleting_the_source_keeps_the_print(files, tmp_path, capsys):
    run_id = _saved_run(files, tmp_path)
    assert main(["poster", str(run_id), "--size", "160", "-o", str(tmp_path / "a.tiff")], **TINY) == 0
    assert main(["poster", str(run_id), "--size", "128", "-o", str(tmp_path / "b.tiff")], **TINY) == 0
    with Store() as store:
        first, second = sorted(p.run_id for p in store.prints_of(run_id))
        first_tiff, original = store.print_of(first).path, store.original_file(run_id)
        store.delete_run(first)
        assert not first_tiff.exists() and store.print_of(second).path.exists()
        store.delete_run(run_id)
        info = store.print_of(second)
        assert info.source_run == run_id and not info.source_exists  # it still says where it came from
        assert store.original_file(second) == original  # the photo stays with the print that names it
        store.delete_run(second)
        kept = list((store.images_dir / "files").rglob("*.*"))
        assert kept == []  # nothing names them any more


def test_a_big_original_is_kept_as_its_first_8192_px(tmp_path):
    big = (np.random.default_rng(0).uniform(0, 1, (410, 8200, 3)) * 255).astype(np.uint8)
    data = io.BytesIO()
    Image.fromarray(big).save(data, "PNG")
    run = RunToSave(SimpleNamespace(), RunInputs(big[:32, :640] / 255.0, [], original=data.getvalue()))
    (kept,) = attachments(run)
    assert kept.suffix == ".jpg" and (kept.width, kept.height) == (ORIGINAL_MAX_SIDE, round(410 * ORIGINAL_MAX_SIDE / 8200))
    small = RunToSave(SimpleNamespace(), RunInputs(big[:32, :64] / 255.0, [], original=big[:16, :32]))
    assert attachments(small) == []  # no bigger than the run's own photo: nothing to keep


def test_orphan_kept_files_are_swept_after_the_grace_period_and_backups_carry_kept_files(files, tmp_path):
    run_id = _saved_run(files, tmp_path)
    with Store(grace_seconds=0) as store:
        stray = store.images_dir / "files" / "ab" / ("ab" + "0" * 62 + ".jpg")
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"left by a crash")
        old = time.time() - 60
        os.utime(stray, (old, old))
        store.cleanup_orphans()
        assert not stray.exists() and store.original_file(run_id) is not None
        store.backup(tmp_path / "backup")
    with Store(tmp_path / "backup") as copy:
        assert copy.original_file(run_id) == files["photo"].read_bytes()


def test_a_print_runs_alone():
    job, other, poster = (SimpleNamespace(poster=None), SimpleNamespace(poster=None),
                          SimpleNamespace(poster=object()))
    assert may_start(poster, []) and may_start(job, [other])
    assert not may_start(poster, [job])  # a print waits for the paintings before it
    assert not may_start(job, [poster])  # and nothing paints beside a print


class _TwoSlots:
    """A backend that could paint two jobs at once (as a Ray pool can); a painting lasts until a print
    starts (at most ``HOLD`` s), so a print started beside it would show in the order of events."""

    HOLD = 3.0
    preparing, done_note, stop_note, scores_here, paints_here = "", "", "", False, True

    def __init__(self) -> None:
        self.events: list[str] = []
        self.print_started = threading.Event()

    def slots(self) -> int:
        return 2

    def build_net(self):
        return object()

    def paint(self, job, net, on_painted, *, score):
        from nst.errors import ParamsError

        self.events.append("run starts")
        self.print_started.wait(self.HOLD)
        self.events.append("run ends")
        raise ParamsError("a stand-in painting")  # the job ends (failed, in one sentence)

    def shutdown(self) -> None:
        pass


def test_the_runner_starts_nothing_beside_a_print(monkeypatch, content_image, style_image):
    from nst import jobs
    from nst.job import Job
    from nst.poster_job import PosterOrder
    from nst.run_types import FINISHED

    backend = _TwoSlots()

    def fake_print(job, net, here=True):
        backend.events.append("print starts")
        backend.print_started.set()
        backend.events.append("print ends")
        job.finish(FINISHED, "printed", None)

    monkeypatch.setattr("nst.poster_job.paint_poster_job", fake_print)
    runner = jobs.JobRunner(start_watchdog=False)
    runner._backend = backend  # noqa: SLF001 - the two-slot stand-in
    inputs = RunInputs(content_image, [style_image])
    submitted = [runner.submit(Job(inputs, _params())), runner.submit(Job(inputs, _params(), poster=PosterOrder(1))),
                 runner.submit(Job(inputs, _params()))]
    assert all(job.wait(30) for job in submitted)
    runner.shutdown(5)
    assert backend.events == ["run starts", "run ends", "print starts", "print ends", "run starts", "run ends"]


def _params():
    from nst.params import StyleParams

    return StyleParams(size=64)


def test_a_lost_database_is_rebuilt_with_its_prints_links_and_kept_files(files, tmp_path, capsys):
    run_id = _saved_run(files, tmp_path)
    assert main(["poster", str(run_id), "--size", "128", "-o", str(tmp_path / "p.tiff")], **TINY) == 0
    with Store() as store:
        data_dir, (made,) = store.data_dir, store.prints_of(run_id)
    db = data_dir / "gallery.sqlite3"
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)
    with Store() as empty:  # a database that is not the pictures' own: nothing is swept, kept files included
        assert empty.count_runs() == 0 and made.path.exists()
    capsys.readouterr()
    assert main(["gallery", "rebuild", "--json"]) == 0
    with Store() as store:
        assert [p.run_id for p in store.prints_of(run_id)] == [made.run_id]
        assert store.print_of(made.run_id).path == made.path
        assert store.original_file(run_id) == files["photo"].read_bytes()


def test_a_print_is_not_stopped_when_nobody_watches_it(monkeypatch, content_image, style_image):
    from nst import jobs
    from nst.job import Job
    from nst.poster_job import PosterOrder

    backend = _TwoSlots()
    monkeypatch.setattr("nst.poster_job.paint_poster_job", lambda job, net, here=True: job.finish("finished", "", None))
    runner = jobs.JobRunner(start_watchdog=False)
    runner._backend = backend  # noqa: SLF001
    inputs = RunInputs(content_image, [style_image])
    painting = runner.submit(Job(inputs, _params()))
    printing = runner.submit(Job(inputs, _params(), poster=PosterOrder(1)))
    runner.reap_abandoned(now=time.monotonic() + 3600)  # an hour after anyone looked
    assert painting.control.cancelled and not printing.control.cancelled  # half an hour's print goes on
    backend.print_started.set()
    assert printing.wait(30) and printing.view().status == "finished"
    runner.shutdown(5)
