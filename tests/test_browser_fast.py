"""Every style at once in a real browser: `streamlit run app.py` with the ONNX stand-in as the fast model,
headless Chromium clicks the sheet's button, a tile's "Paint this", and downloads the sheet.

Skips like tests/test_browser.py without playwright or Chromium.
"""

from __future__ import annotations

import pytest
from PIL import Image

from fast_standin import write_onnx_standin_pair
from nst.examples import STYLE_EXAMPLES
from test_browser import CHROMIUM, CHROMIUM_ARGS, START_TIMEOUT, UI_TIMEOUT_MS, playwright_sync, studio_server


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    pair = write_onnx_standin_pair(tmp_path_factory.mktemp("onnx-pair"))
    with studio_server(tmp_path_factory.mktemp("studio-fast"), NST_FAST_MODEL=str(pair)) as url:
        yield url


def test_the_sheet_appears_a_tile_picks_the_style_and_the_sheet_downloads(studio, tmp_path):
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        page.goto(studio)
        page.get_by_text("Fast preview (one pass").wait_for(timeout=START_TIMEOUT * 1000)
        page.get_by_role("button", name="Every style at once").click()
        page.get_by_role("button", name="Download the sheet (PNG)").wait_for(timeout=UI_TIMEOUT_MS)
        tiles = page.get_by_role("button", name="Paint this")
        assert tiles.count() == len(STYLE_EXAMPLES)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the sheet (PNG)").click()
        download.value.save_as(tmp_path / "sheet.png")
        with Image.open(tmp_path / "sheet.png") as sheet:
            assert sheet.format == "PNG" and sheet.width > 1000
        tiles.nth(list(STYLE_EXAMPLES).index("great_wave")).click()
        page.get_by_text("Picked on the sheet of every style: The Great Wave.").wait_for(timeout=UI_TIMEOUT_MS)
        chosen = page.get_by_test_id("stMultiSelect").filter(has_text="examples")
        assert "The Great Wave" in chosen.inner_text() and "The Starry Night" not in chosen.inner_text()
        browser.close()
