"""End to end in a real browser: two friends vote on the Vote page (``/Vote``).

A comparison of three runs of one photo is saved into a temporary ``NST_DATA_DIR``; the studio
runs on a free localhost port (``tests/test_browser.py``'s server and Chromium). Checked: the
voter id is put in the URL and survives a reload, clicks and keys vote, undo takes back the last
vote, every pair is asked once per voter, and a second browser is a different voter. Skips like
the other browser tests when Playwright or Chromium is missing.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")

from test_browser import browser, studio_server  # noqa: E402,F401

from nst.store import Store  # noqa: E402
from vote_runs import fill_group  # noqa: E402

UI_TIMEOUT_MS = 120_000
expect = playwright_sync.expect


@pytest.fixture(scope="module")
def vote_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("vote_data")
    with Store(data_dir) as store:
        ids = fill_group(store, 3)
    with studio_server(tmp_path_factory.mktemp("vote_server"), NST_DATA_DIR=str(data_dir)) as url:
        yield url, data_dir, ids


def _voter(page) -> str:
    return parse_qs(urlparse(page.url).query)["voter"][0]


def _votes_shown(page, n: int) -> None:
    expect(page.get_by_text(re.compile(rf"\({n} votes\)"))).to_be_visible()


def _open(context, url: str):
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{url}/Vote")
    expect(page.get_by_text("Which do you like better?")).to_be_visible()
    expect(page.get_by_role("button", name="◀ Left")).to_be_visible()
    page.wait_for_url(re.compile(r"voter="))
    return page


def test_two_friends_vote_undo_and_reload_keeps_the_voter(browser, vote_server) -> None:  # noqa: F811
    url, data_dir, ids = vote_server
    alice_ctx = browser.new_context(viewport={"width": 1200, "height": 1000})
    bob_ctx = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        alice = _open(alice_ctx, url)
        alice_id = _voter(alice)
        _votes_shown(alice, 0)
        alice.get_by_role("button", name="◀ Left").click()
        _votes_shown(alice, 1)
        alice.reload()
        expect(alice.get_by_role("button", name="◀ Left")).to_be_visible()
        assert _voter(alice) == alice_id
        _votes_shown(alice, 1)  # the same voter after a reload
        alice.keyboard.press("ArrowRight")
        _votes_shown(alice, 2)
        alice.get_by_role("button", name="Undo last vote").click()
        _votes_shown(alice, 1)
        expect(alice.get_by_text("Last vote undone")).to_be_visible()
        alice.get_by_role("button", name="Can't tell").click()
        _votes_shown(alice, 2)
        alice.get_by_role("button", name="Right ▶").click()
        _votes_shown(alice, 3)
        expect(alice.get_by_text("You have voted on every pair here")).to_be_visible()  # 3 runs: 3 pairs

        bob = _open(bob_ctx, url)
        assert _voter(bob) != alice_id
        _votes_shown(bob, 0)
        images = bob.get_by_test_id("stImage")
        expect(images).to_have_count(2)
        first, second = images.nth(0).bounding_box(), images.nth(1).bounding_box()
        assert second["y"] >= first["y"] + first["height"] - 1  # stacked on a 390 px screen
        assert first["width"] > 250
        bob.get_by_role("button", name="Right ▶").click()
        _votes_shown(bob, 1)
    finally:
        alice_ctx.close()
        bob_ctx.close()
    with Store(data_dir) as store:
        votes = store.votes_among(ids)
    by_voter = {}
    for vote in votes:
        by_voter.setdefault(vote.voter, []).append((vote.run_a, vote.run_b))
    assert sorted(len(p) for p in by_voter.values()) == [1, 3]
    assert len(set(by_voter[alice_id])) == 3  # one vote per pair
    assert [w for w in (v.winner for v in votes if v.voter == alice_id)].count(None) == 1  # the "can't tell"
