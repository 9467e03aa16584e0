"""End to end in a real browser: the gallery page opens, compares two runs and shows one run.

Three runs are made quickly, without any weights, by the CLI (``python -m nst stylize ... --save``
called in-process with the tiny test network) into a temporary ``NST_DATA_DIR``; then
``streamlit run app.py`` is started on a free localhost port with that data directory and
headless Chromium, driven by Playwright, opens ``/Gallery`` (``views/gallery_page.py``).

Skips with a reason, like ``tests/test_browser.py`` (whose Chromium settings and browser fixture
are reused), when the Python ``playwright`` package or a Chromium binary is missing.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

# the server (studio_server) and the module-scoped `browser` fixture are shared with the
# studio's browser test (importing it skips this module the same way)
from test_browser import START_TIMEOUT, browser, studio_server  # noqa: E402,F401

STYLE_WEIGHTS = (3.0, 30.0, 300.0)
TITLES = ("weak style", "middle style", "strong style")
STYLE_WEIGHT_ROW = ["style_weight", "3", "300", "≠"]  # runs 1 and 3 compared: both values, marked differing
UI_TIMEOUT_MS = 120_000  # a slow, loaded machine: generous, never a timing assertion

expect = playwright_sync.expect


def _write_inputs(folder: Path) -> tuple[Path, Path]:
    """A small content photo (smooth gradient with structure) and a busy style picture."""
    y, x = np.mgrid[0:60, 0:80].astype(np.float32)
    content = np.stack([x / 80, y / 60, 0.5 + 0.4 * np.sin(x / 3.0) * np.cos(y / 4.0)], -1)
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    stripes = 0.5 + 0.5 * np.sin((xx + yy) / 2.0)
    style = 0.6 * rng.uniform(0, 1, (64, 64, 3)) + 0.4 * stripes[..., None] * np.array([1.0, 0.2, 0.6])
    content_path, style_path = folder / "meadow.png", folder / "stripes.png"
    Image.fromarray((np.clip(content, 0, 1) * 255).astype(np.uint8)).save(content_path)
    Image.fromarray((np.clip(style, 0, 1) * 255).astype(np.uint8)).save(style_path)
    return content_path, style_path


@pytest.fixture(scope="module")
def gallery_runs(tmp_path_factory) -> tuple[Path, list[int]]:
    """A data directory holding three saved runs (style weights 3, 30, 300); returns it and the run ids."""
    from nst.cli import main
    from nst.model import tiny_feature_net_for_tests

    work = tmp_path_factory.mktemp("gallery_inputs")
    data_dir = tmp_path_factory.mktemp("gallery_data")
    content, style = _write_inputs(work)
    ids = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NST_DATA_DIR", str(data_dir))
        for weight, title in zip(STYLE_WEIGHTS, TITLES):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["stylize", "--content", str(content), "--style", str(style),
                             "-o", str(work / f"out_{weight:g}.png"), "--size", "64", "--scales", "1",
                             "--iterations", "3", "--style-weight", str(weight), "--title", title,
                             "--save", "--json"],
                            net_factory=lambda weights: tiny_feature_net_for_tests())
            assert code == 0, err.getvalue()
            report = json.loads(out.getvalue().strip().splitlines()[-1])
            assert report["run_id"] is not None, err.getvalue()
            ids.append(int(report["run_id"]))
    assert len(set(ids)) == 3
    return data_dir, ids


@pytest.fixture(scope="module")
def gallery_server(gallery_runs, tmp_path_factory):
    """``streamlit run app.py`` on a free localhost port, reading the runs' data directory."""
    data_dir, _ = gallery_runs
    with studio_server(tmp_path_factory.mktemp("gallery_server"), NST_DATA_DIR=str(data_dir)) as url:
        yield url


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    page.close()


def _keyed(page, key: str):
    """The element of the widget with ``key`` (Streamlit gives its container the class ``st-key-<key>``)."""
    return page.locator(f".st-key-{key}")


def _card(page, run_id: int, title: str):
    """The bordered grid card of a run: the innermost block holding its title and its Select box
    (outer blocks hold them too, and come first in document order)."""
    return page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text(title, exact=True)).filter(
        has=_keyed(page, f"sel_{run_id}")).last


def _table_row(table, name: str):
    """A row of an ``st.dataframe`` by its first cell. The grid paints on a canvas; its cells are
    read from the accessible table inside that canvas (hidden, so CSS rather than role locators)."""
    return table.locator("tr[role=row]").filter(has=table.page.locator(f'td[aria-colindex="1"]:text-is("{name}")'))


def _no_errors(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("Something went wrong").count() == 0


def _image_loaded(image) -> None:
    """The ``st.image`` element's picture arrived and decoded (not just an empty <img>)."""
    img = image.locator("img").first
    img.wait_for()
    assert img.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0


def test_gallery_shows_the_runs_and_compares_two(gallery_server, gallery_runs, page, tmp_path):
    _, ids = gallery_runs
    page.goto(f"{gallery_server}/Gallery")
    page.get_by_text(re.compile(r"3 runs kept in")).wait_for(timeout=START_TIMEOUT * 1000)
    for run_id, title, weight in zip(ids, TITLES, STYLE_WEIGHTS):
        card = _card(page, run_id, title)  # one card per run: its thumbnail, title and key parameters
        expect(card).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(card.get_by_text(f"style {weight:g} · ")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(card.get_by_test_id("stImage")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        _image_loaded(card.get_by_test_id("stImage"))
    expect(page.get_by_role("button", name="Compare", exact=True)).to_be_disabled(timeout=UI_TIMEOUT_MS)

    # tick the weakest and the strongest style weight, one after the other
    weak, strong = ids[0], ids[2]
    _keyed(page, f"sel_{weak}").get_by_test_id("stCheckbox").click()
    page.get_by_text(f"Selected for comparison: #{weak} (1 of at most 4)").wait_for()
    _keyed(page, f"sel_{strong}").get_by_test_id("stCheckbox").click()
    page.get_by_text(f"Selected for comparison: #{weak}, #{strong} (2 of at most 4)").wait_for()
    compare = page.get_by_role("button", name="Compare", exact=True)
    expect(compare).to_be_enabled(timeout=UI_TIMEOUT_MS)
    compare.click()

    # the comparison: both pictures, titles, and the parameter table with style_weight flagged
    page.get_by_role("heading", name=re.compile("Compare runs")).wait_for()
    expect(page).to_have_url(re.compile(rf"compare={weak}(%2C|,){strong}"), timeout=UI_TIMEOUT_MS)
    page.get_by_text(f"#{weak} {TITLES[0]}", exact=True).wait_for()
    page.get_by_text(f"#{strong} {TITLES[2]}", exact=True).wait_for()
    images = page.get_by_test_id("stImage").locator("visible=true")  # not the hidden tabs' pictures
    expect(images).to_have_count(2, timeout=UI_TIMEOUT_MS)
    for index in range(2):
        _image_loaded(images.nth(index))
    page.get_by_text(re.compile(r"\d+ rows? differ \(highlighted\)\.")).wait_for()
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for()
    # every parameter is listed; style_weight carries both values and the ≠ mark, content_weight none
    expect(_table_row(table, "style_weight").locator("td")).to_have_text(STYLE_WEIGHT_ROW,
                                                                         timeout=UI_TIMEOUT_MS)
    expect(_table_row(table, "content_weight").locator("td").last).to_have_text("", timeout=UI_TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "gallery-compare.png"), full_page=True)
    assert (tmp_path / "gallery-compare.png").stat().st_size > 10_000

    # "Only differences": style_weight stays, content_weight goes
    page.get_by_test_id("stCheckbox").filter(has_text="Only differences").click()
    expect(_table_row(table, "content_weight")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    expect(_table_row(table, "style_weight").locator("td")).to_have_text(STYLE_WEIGHT_ROW,
                                                                         timeout=UI_TIMEOUT_MS)
    _no_errors(page)


def test_gallery_opens_one_run(gallery_server, gallery_runs, page):
    _, ids = gallery_runs
    middle = ids[1]
    page.goto(f"{gallery_server}/Gallery")
    open_button = _keyed(page, f"open_{middle}").get_by_role("button", name="Open", exact=True)
    open_button.wait_for(timeout=START_TIMEOUT * 1000)
    expect(_card(page, middle, TITLES[1])).to_be_visible(timeout=UI_TIMEOUT_MS)
    open_button.click()

    page.get_by_role("heading", name=re.compile(TITLES[1])).wait_for()
    expect(page).to_have_url(re.compile(rf"run={middle}"), timeout=UI_TIMEOUT_MS)
    page.get_by_text(re.compile(rf"#{middle} · .* · finished · \d+×\d+ px · 3 steps")).wait_for()
    result = page.get_by_test_id("stImage").first
    _image_loaded(result)
    page.get_by_role("button", name=re.compile("Download PNG")).wait_for()
    _no_errors(page)

    # the same view straight from its URL (a reload or a shared link)
    page.goto(f"{gallery_server}/Gallery?run={ids[2]}")
    page.get_by_role("heading", name=re.compile(TITLES[2])).wait_for(timeout=START_TIMEOUT * 1000)
    _image_loaded(page.get_by_test_id("stImage").first)
    _no_errors(page)


def test_the_sidebar_names_the_pages_and_rerun_opens_the_studio_with_the_run(gallery_server, gallery_runs, page):
    _, ids = gallery_runs
    page.goto(f"{gallery_server}/Gallery?run={ids[2]}")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Studio", exact=True)).to_be_visible(timeout=START_TIMEOUT * 1000)
    expect(nav.get_by_text("Gallery", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(nav.get_by_text("app", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Re-run with these settings").click()
    page.get_by_text(f"Loaded settings from run {ids[2]}").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text(re.compile(rf"From run {ids[2]}: ")).wait_for(timeout=UI_TIMEOUT_MS)  # its photo
    _no_errors(page)
