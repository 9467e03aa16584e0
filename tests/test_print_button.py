"""The studio's "Make a print" on a gallery run (#26) through AppTest on the tiny network: the owner picks
paper, dpi and fit, sees the size, time and memory, confirms, and gets a print linked to its run; while it
paints the page shows its progress and Stop keeps what is done; guests neither see it nor can trigger it."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nst.access import REFUSED
from nst.store import Store
from studio import keys
from test_gallery import PAGE, fill, texts

TIMEOUT = 120
TINY_PAPER = (12, 8)  # mm: "A4" in these tests, 71 x 47 px at 150 dpi, so the tiny network paints it at once


@pytest.fixture
def gallery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    data = tmp_path / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data))
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")
    monkeypatch.setenv("NST_OWNER_TOKEN", "owner-token-for-tests")
    monkeypatch.setitem(__import__("nst.print_output", fromlist=["PAPERS_MM"]).PAPERS_MM, "A4", TINY_PAPER)
    with Store(data) as store:
        return data, fill(store)


def run_page(run_id: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params["run"] = str(run_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def print_widgets(at: AppTest) -> list[str]:
    keyed = [*at.button, *at.segmented_control, *at.radio]
    return sorted(w.key for w in keyed if (w.key or "").startswith(("print_paper", "print_dpi", "print_fit",
                                                                      "print_start", "print_yes", "print_stop")))


def choose_a4_150(at: AppTest, run_id: int) -> AppTest:
    at.segmented_control(key=f"print_paper_{run_id}").set_value("A4")
    at.segmented_control(key=f"print_dpi_{run_id}").set_value(150)
    return at.run()


def until(at: AppTest, predicate, what: str) -> AppTest:
    end = time.monotonic() + TIMEOUT
    while not predicate(at.run()):
        assert not at.exception, [e.value for e in at.exception]
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)
    return at


def test_the_owner_sees_the_estimate_confirms_and_gets_a_print_linked_to_the_run(gallery) -> None:
    data, ids = gallery
    at = choose_a4_150(run_page(ids[0]), ids[0])
    estimate = texts(at).replace("\\", "")  # as it reads: Markdown escapes (studio.text.plain) render away
    assert "71 x 47 px" in estimate and "peak memory about" in estimate and " s on 2 AVX-512 cores" in estimate
    assert "smaller than the 71 x 47 px print" in estimate  # this old run kept no original photo
    at.button(key="print_start").click().run()
    assert any("Paint this print now?" in w.value for w in at.warning)  # nothing starts before the confirmation
    assert not runner_prints()
    at.button(key="print_yes").click().run()
    job = at.session_state[keys.PRINT_JOB]
    assert job.wait(TIMEOUT) and job.view().status == "finished"
    at = until(at, lambda a: any("The print is ready" in s.value for s in a.success), "the print's outcome")
    print_id = job.view().run_id
    with Store(data) as store:
        info = store.print_of(print_id)
        assert (info.source_run, info.width, info.height, info.dpi, info.paper) == (ids[0], 71, 47, 150, "A4")
        assert [p.run_id for p in store.prints_of(ids[0])] == [print_id]
    page = run_page(print_id)
    assert "A print of run 1" in texts(page) and any(d.key == "print_download" for d in page.download_button)
    assert any(b.key == "print_source" for b in page.button) and not print_widgets(page)  # no print of a print
    assert any(b.key == "print_of_0" for b in run_page(ids[0]).button)  # the run links to its print


def runner_prints() -> list:
    from studio import runtime

    return [job for job in runtime.runner().active_jobs() if job.poster is not None]


def test_progress_with_time_left_and_stop_keeps_what_is_done(gallery, monkeypatch) -> None:
    from nst.poster import PosterProgress
    from nst.poster_paint import PosterResult

    data, ids = gallery

    def slow_print(plan, content, styles, start, params, *, net, control, on_progress, resume_dir):
        snapshot = np.full((24, 36, 3), 200, np.uint8)
        on_progress(PosterProgress(0, 2, 1, 6, 0.25, 30.0, 90.0, snapshot))
        end = time.monotonic() + TIMEOUT
        while not control.cancelled and time.monotonic() < end:
            time.sleep(0.05)
        return PosterResult(np.full((plan.height, plan.width, 3), 0.5, np.float32), "stopped", 31.0, 12)

    monkeypatch.setattr("nst.poster_paint.paint_poster", slow_print)
    at = choose_a4_150(run_page(ids[1]), ids[1])
    at.button(key="print_start").click().run()
    at.button(key="print_yes").click().run()
    at = until(at, lambda a: any("tile 2 of 6" in p.proto.text for p in a.get("progress")), "the progress")
    line = next(p.proto.text for p in at.get("progress"))
    assert "scale 1 of 2" in line and "25%" in line and "1 min 30 s left" in line
    assert any(b.key == "print_stop" for b in at.button)
    studio = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=TIMEOUT).run()
    note = " ".join(i.value for i in studio.info)
    assert "The studio is painting a print (A4 150 dpi print of run 2" in note and "a print runs alone" in note
    at.button(key="print_stop").click().run()
    job = at.session_state[keys.PRINT_JOB]
    assert job.wait(TIMEOUT) and job.view().status == "stopped"
    with Store(data) as store:
        (made,) = store.prints_of(ids[1])
        assert store.get_run(made.run_id).status == "stopped"  # the tiles painted so far are kept


def test_a_guest_neither_sees_nor_can_trigger_a_print(gallery, monkeypatch) -> None:
    data, ids = gallery
    monkeypatch.setenv("NST_SHARE", "1")
    at = run_page(ids[0])
    assert print_widgets(at) == [] and "Make a print" not in [e.label for e in at.expander]
    crafted = AppTest.from_function(_crafted_start, args=(ids[0],), default_timeout=TIMEOUT).run()
    assert [e.value for e in crafted.error] == [REFUSED]
    assert not runner_prints()
    with Store(data) as store:
        assert store.prints_of(ids[0]) == []


def _crafted_start(run_id: int) -> None:
    """What a hand-made request for the confirmation's callback runs, in a guest's session."""
    from studio.gallery import nav, prints

    store = nav.store()
    prints._start(store, store.get_run(run_id))  # noqa: SLF001 - the callback a crafted request would reach


def test_an_uploaded_photo_bigger_than_the_studio_reads_is_kept_whole_with_its_run(gallery) -> None:
    import io

    from PIL import Image

    from studio.uploads import MAX_INPUT_SIDE

    data, _ = gallery
    y, x = np.mgrid[0:1950, 0:2600]
    photo = np.stack([x % 256, y % 256, (x + y) % 256], axis=2).astype(np.uint8)
    upload = io.BytesIO()
    Image.fromarray(photo).save(upload, "JPEG", quality=90)
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=TIMEOUT)
    at = until(at, lambda a: any("model ready" in c.value for c in a.caption), "the model")
    at.file_uploader(key="content_upload").set_value([("big.jpg", upload.getvalue(), "image/jpeg")])
    at.select_slider(key="size").set_value(256)
    at.number_input(key="scales").set_value(1)
    at.number_input(key="iterations").set_value(2)
    at.run()
    next(b for b in at.button if b.label == "Stylize").click()
    at = until(at, lambda a: a.success, "the result")
    run_id = at.session_state[keys.JOB_REF].view().run_id
    with Store(data) as store:
        assert max(store.input_images(run_id).content.shape[:2]) == MAX_INPUT_SIDE  # what the studio paints from
        assert store.photo_size(run_id) == (2600, 1950) and store.original_file(run_id) == upload.getvalue()
