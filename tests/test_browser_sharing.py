"""Sharing mode (#23) in a real browser: a friend's phone, a guest, a wrong token, the owner link.

One ``streamlit run app.py`` with ``NST_SHARE=1`` and a known ``NST_OWNER_TOKEN``, on a free
loopback port (``test_browser.studio_server``: 127.0.0.1 only, the tiny test network), reading
three saved runs (``test_browser_gallery.gallery_runs``); headless Chromium through Playwright.
Every test opens its own browser context, so each is its own Streamlit session (a browser on this
very machine, like these, is a guest too unless it opened the owner link).

How a crafted request is made (``Wire``): Playwright's ``page.route_web_socket`` puts the test
between the page and the server on the page's own websocket, as a guest's own browser (its dev
tools, or a proxy) could. Streamlit's protocol is protobuf: the page sends ``BackMsg.rerun_script``
with every widget's state, and a click is a ``trigger_value`` for the widget's id. The test
reads the ids of the owner's Delete buttons from what the server sent to the *owner's* page (ids
come from the widget's key and parameters, the same in every session, so a guest who saw them
once, or read the source, has them), then sends, in the guest's session, a rerun that clicks them.
Streamlit runs a widget's callback only for widgets the session's previous script run drew, and
a guest's run never draws Delete, so that request is dropped before any callback: the run stays.
(Had it got through, ``studio.access.refused`` inside the callback says the one sentence;
tests/test_sharing.py calls that callback in a guest session directly.) What a guest *can* forge
is the values of widgets it is shown: the test rewrites the values sent with an enabled "Run
sweep" click into a 3 x 3 sweep, and the page answers with the one sentence and paints nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

from test_browser import START_TIMEOUT, browser, studio_server  # noqa: E402,F401
from test_browser_gallery import TITLES, gallery_runs  # noqa: E402,F401

from nst.access import REFUSED  # noqa: E402
from nst.store import Store  # noqa: E402

TOKEN = "the-browser-tests-owner-token"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1000}
UI_TIMEOUT_MS = 120_000
SWEEP_SENTENCE = "Guests run sweeps of at most 2 × 2; choose fewer values."
OWNER_LABELS = ("Delete…", "Favourite", "Title", "Notes")
RUNS = re.compile(r"^\d+ runs\.$")  # a guest's grid caption: the count, no data folder (a painted run adds one)

expect = playwright_sync.expect


@pytest.fixture(scope="module")
def shared(gallery_runs, tmp_path_factory):  # noqa: F811
    """The studio in sharing mode (loopback only) on the three saved runs; yields its URL."""
    data_dir, _ = gallery_runs
    with studio_server(tmp_path_factory.mktemp("shared"), NST_DATA_DIR=str(data_dir), NST_SHARE="1",
                       NST_OWNER_TOKEN=TOKEN) as url:
        yield url


@pytest.fixture
def new_page(browser):  # noqa: F811
    contexts = []

    def make(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        return page

    yield make
    for context in contexts:
        context.close()


class Wire:
    """The page's own websocket, routed through the test: what the server sent is kept (parsed),
    and the page's next rerun request can be rewritten, or a made-up one sent in its session."""

    def __init__(self, page) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._back, self._forward = BackMsg, ForwardMsg
        self.received: list = []
        self.last_rerun = None
        self.rewrite: Callable | None = None
        self._server = None
        page.route_web_socket(re.compile(r"/_stcore/stream"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        self._server = server
        ws.on_message(lambda message: server.send(self._outgoing(message)))
        server.on_message(lambda message: (self._incoming(message), ws.send(message)))

    def _outgoing(self, message):
        if isinstance(message, str):
            return message
        msg = self._back()
        msg.ParseFromString(message)
        if msg.WhichOneof("type") != "rerun_script":
            return message
        if self.rewrite is not None:
            self.rewrite(msg)
            self.rewrite = None
            message = msg.SerializeToString()
        self.last_rerun = msg
        return message

    def _incoming(self, message) -> None:
        if isinstance(message, bytes):
            msg = self._forward()
            msg.ParseFromString(message)
            self.received.append(msg)

    def button_id(self, label: str) -> str:
        """The widget id of the last button the server drew with this label."""
        ids = [m.delta.new_element.button.id for m in self.received
               if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "button"
               and m.delta.new_element.button.label == label]
        assert ids, f"no {label!r} button was drawn"
        return ids[-1]

    def click(self, widget_ids: list[str]) -> None:
        """Send a rerun, in this page's session, that clicks these widgets (as a hand-made message)."""
        assert self.last_rerun is not None and self._server is not None
        msg = self._back()
        msg.CopyFrom(self.last_rerun)
        for widget_id in widget_ids:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id, state.trigger_value = widget_id, True
        self._server.send(msg.SerializeToString())


def run_ids(data_dir: Path) -> list[int]:
    with Store(data_dir) as store:
        return sorted(r.id for r in store.list_runs())


def no_errors(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("Something went wrong").count() == 0


def owner_controls(page) -> dict[str, int]:
    """How many of each owner-only control the page shows (the run's detail view), by widget key."""
    main = page.get_by_test_id("stMain")
    prefixes = {"Delete…": "delete", "Favourite": "fav_", "Title": "title_", "Notes": "notes_"}
    return {label: main.locator(f"[class*='st-key-{prefix}']").count() for label, prefix in prefixes.items()}


def open_run(page, url: str, run_id: int, title: str) -> None:
    page.goto(f"{url}/Gallery?run={run_id}")
    page.get_by_role("heading", name=re.compile(title)).wait_for(timeout=START_TIMEOUT * 1000)
    page.get_by_role("button", name=re.compile("Download PNG")).wait_for()


def sidebar_to(page, name: str) -> None:
    """Change page inside the session (the sidebar's link; on a phone, open the sidebar first)."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    phone = expand.is_visible()  # a phone: the sidebar starts collapsed, and covers the page when open
    if phone:
        expand.click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    if phone and page.get_by_test_id("stSidebarCollapseButton").is_visible():
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()


# ---- a friend's phone ----------------------------------------------------------------------------------
def horizontal_overflow(page) -> list[str]:
    """The page's scrolling boxes that are wider than the screen (a horizontal scroll bar)."""
    return page.evaluate("""() => {
        const boxes = [document.documentElement, document.body,
                       ...document.querySelectorAll('[data-testid=stAppViewContainer], [data-testid=stMain],'
                                                    + ' [data-testid=stMainBlockContainer]')];
        return boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
                    .map(b => `${b.dataset.testid || b.tagName}: ${b.scrollWidth} > ${b.clientWidth}`);
    }""")


def reachable(button) -> None:
    """Within the phone's width once scrolled to, and clickable when enabled (nothing covers it)."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
    if button.is_enabled():
        button.click(trial=True, timeout=10_000)  # not covered by anything (a disabled one cannot be tried)


def test_a_friends_phone_can_paint_and_browse_without_scrolling_sideways(shared, gallery_runs, new_page):
    _, ids = gallery_runs
    page = new_page(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(shared)
    stylize = page.get_by_role("button", name="Stylize", exact=True)
    stylize.wait_for(timeout=START_TIMEOUT * 1000)
    page.get_by_text("model ready").wait_for()
    assert horizontal_overflow(page) == []
    for name in ("Stylize", "Refine", "Stop"):
        reachable(page.get_by_role("button", name=name, exact=True))
    stylize.click()  # a guest paints (Standard, 512 px): progress shows, and Stop is in reach
    page.get_by_test_id("stProgress").first.wait_for()
    assert horizontal_overflow(page) == []
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled()
    reachable(stop)
    stop.click()
    page.get_by_text("kept the best image so far").first.wait_for()
    no_errors(page)

    sidebar_to(page, "Gallery")
    page.get_by_text(RUNS).wait_for()
    assert horizontal_overflow(page) == []
    for run_id in ids:
        reachable(page.locator(f".st-key-open_{run_id}").get_by_role("button", name="Open"))
    reachable(page.get_by_role("button", name="Compare", exact=True))
    page.locator(f".st-key-open_{ids[0]}").get_by_role("button", name="Open").click()
    page.get_by_role("heading", name=re.compile(TITLES[0])).wait_for()
    assert horizontal_overflow(page) == []
    for name in (re.compile("Download PNG"), re.compile("Re-run")):
        reachable(page.get_by_role("button", name=name))
    reachable(page.get_by_role("button", name="← Gallery"))
    no_errors(page)


# ---- guests, a wrong token, the owner ---------------------------------------------------------------------
def test_a_guest_reaches_no_owner_action_and_a_forged_delete_is_dropped(shared, gallery_runs, new_page):
    data_dir, ids = gallery_runs
    target = ids[1]
    # the owner's page draws Delete and "Yes, delete": their widget ids go over the owner's wire
    owner = new_page()
    owner_wire = Wire(owner)
    owner.goto(f"{shared}/?owner={TOKEN}")
    owner.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    sidebar_to(owner, "Gallery")
    owner.locator(f".st-key-open_{target}").get_by_role("button", name="Open").click()
    owner.get_by_role("button", name="Delete…").click()
    owner.get_by_role("button", name="Yes, delete").wait_for()
    forged = [owner_wire.button_id("Delete…"), owner_wire.button_id("Yes, delete")]
    owner.get_by_role("button", name="Cancel").click()
    owner.get_by_role("button", name="Delete…").wait_for()

    guest = new_page()
    wire = Wire(guest)
    open_run(guest, shared, target, TITLES[1])
    assert owner_controls(guest) == dict.fromkeys(OWNER_LABELS, 0)
    guest.get_by_role("button", name=re.compile("Re-run")).wait_for()  # what a guest may do is there
    wire.click(forged)  # "Delete…" and "Yes, delete" clicked in the guest's own session
    guest.wait_for_timeout(1500)  # nothing on the page can change; give the server time to (not) act
    guest.get_by_role("heading", name=re.compile(TITLES[1])).wait_for()
    assert target in run_ids(data_dir)
    assert owner_controls(guest) == dict.fromkeys(OWNER_LABELS, 0)
    assert guest.get_by_text(REFUSED).count() == 0 and guest.get_by_text("was deleted").count() == 0

    # the grid: no data folder for a guest; the studio: no Print, no larger sizes, no Expert
    guest.get_by_role("button", name="← Gallery").click()
    guest.get_by_text(RUNS).wait_for()
    assert guest.get_by_text(str(data_dir)).count() == 0
    sidebar_to(guest, "Studio")
    sidebar = guest.get_by_test_id("stSidebar")
    sidebar.get_by_text("at most 512 px").wait_for()
    assert sidebar.get_by_text("Print", exact=True).count() == 0
    assert sidebar.get_by_text(re.compile("^Expert")).count() == 0
    size = sidebar.get_by_test_id("stSlider").filter(has_text="Output size").get_by_role("slider")
    size.focus()
    guest.keyboard.press("End")  # the largest size a guest is offered
    expect(size).to_have_attribute("aria-valuetext", "512", timeout=UI_TIMEOUT_MS)
    no_errors(guest)


def test_a_guests_forged_sweep_gets_the_sentence_and_paints_nothing(shared, new_page):
    guest = new_page()
    wire = Wire(guest)
    guest.goto(shared)
    guest.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    guest.get_by_text(re.compile("^Sweep: a grid")).click()
    for name, values in (("style_weight", "1, 3"), ("content_weight", "1, 2")):
        field = guest.get_by_label(re.compile(f"^{name} values"))
        field.fill(values)
        field.press("Enter")
        guest.get_by_text(re.compile(r"^\d runs at Preview quality")).wait_for()
    guest.get_by_text("4 runs at Preview quality", exact=False).wait_for()
    run_sweep = guest.get_by_role("button", name="Run sweep")
    expect(run_sweep).to_be_enabled()

    def three_by_three(msg) -> None:  # the click goes out with 3 values for each parameter
        states = msg.rerun_script.widget_states.widgets
        # only the click's message: a fragment's poll rerun rewritten first would show 9 runs and disable the button
        if not any(state.WhichOneof("value") == "trigger_value" and state.trigger_value for state in states):
            return
        for state in states:
            if state.WhichOneof("value") == "string_value" and state.string_value in ("1, 3", "1, 2"):
                state.string_value = "1, 2, 3"

    wire.rewrite = three_by_three
    run_sweep.click()
    guest.get_by_text(SWEEP_SENTENCE).first.wait_for()
    assert guest.get_by_test_id("stProgress").count() == 0
    assert guest.get_by_text(re.compile("^Live:")).count() == 0
    no_errors(guest)


def test_a_wrong_token_is_a_guest(shared, gallery_runs, new_page):
    _, ids = gallery_runs
    page = new_page()
    page.goto(f"{shared}/?owner={TOKEN}x")
    page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    expect(page).not_to_have_url(re.compile("owner="), timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("stSidebar").get_by_text("at most 512 px").wait_for()
    sidebar_to(page, "Gallery")
    page.get_by_text(RUNS).wait_for()
    page.locator(f".st-key-open_{ids[0]}").get_by_role("button", name="Open").click()
    page.get_by_role("heading", name=re.compile(TITLES[0])).wait_for()
    page.get_by_role("button", name=re.compile("Download PNG")).wait_for()
    assert owner_controls(page) == dict.fromkeys(OWNER_LABELS, 0)
    no_errors(page)


def test_the_owner_link_grants_the_owners_actions_across_pages(shared, gallery_runs, new_page):
    """Last in this module: it deletes a run."""
    data_dir, ids = gallery_runs
    target = ids[2]
    page = new_page()
    page.goto(f"{shared}/?owner={TOKEN}")
    page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    expect(page).not_to_have_url(re.compile("owner="), timeout=UI_TIMEOUT_MS)  # the token leaves the address bar
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Print", exact=True).wait_for()  # every quality
    assert sidebar.get_by_text("at most 512 px").count() == 0
    sidebar_to(page, "Gallery")  # a page change clears the query string; the grant stays in the session
    page.get_by_text(re.compile(rf"^\d+ runs kept in .*{re.escape(data_dir.name)}")).wait_for()
    page.locator(f".st-key-open_{target}").get_by_role("button", name="Open").click()
    page.get_by_role("heading", name=re.compile(TITLES[2])).wait_for()
    page.get_by_role("button", name="Delete…").wait_for()
    assert owner_controls(page) == dict.fromkeys(OWNER_LABELS, 1)
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Yes, delete").click()
    page.get_by_text(f"Run {target} was deleted.").wait_for()
    assert target not in run_ids(data_dir) and ids[0] in run_ids(data_dir)
    no_errors(page)
