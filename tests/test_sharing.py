"""Sharing mode (#23) through AppTest: guests cannot delete or edit, the owner link grants the owner,
a wrong token is a guest, and without sharing mode everyone is the owner; and `dev.sh share`'s lines."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nst.access import REFUSED
from nst.params import StyleParams
from nst.store import Store
from studio import keys
from test_gallery import PAGE, fill, texts

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
TOKEN = "the-owner-token-for-tests"
TIMEOUT = 60
OWNER_WIDGETS = {"delete", "fav_", "title_", "notes_", "keep_"}


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    data = tmp_path / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data))
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")
    monkeypatch.setenv("NST_OWNER_TOKEN", TOKEN)
    with Store(data) as store:
        return data, fill(store)


@pytest.fixture
def share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_SHARE", "1")


def run_ids(data: Path) -> list[int]:
    with Store(data) as store:
        return sorted(r.id for r in store.list_runs())


def owner_widgets(at: AppTest) -> set[str]:
    keys = [w.key or "" for w in [*at.button, *at.toggle, *at.text_input, *at.text_area]]
    return {prefix for prefix in OWNER_WIDGETS for key in keys if key.startswith(prefix)}


def gallery_through_app(run_id: int, **query: str) -> AppTest:
    """app.py as a browser opens it (the owner link applies there), then the gallery's page of one run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert "owner" not in at.query_params  # the token never stays in the address bar
    at.switch_page("views/gallery_page.py")
    at.query_params["run"] = str(run_id)
    return at.run()


def gallery_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def crafted_delete(run_id: int) -> None:
    """What a hand-made request for the delete callback runs: the callback itself, in this session."""
    from studio.access import apply_owner_link
    from studio.gallery import detail, nav

    apply_owner_link()
    detail._delete(nav.store(), run_id)  # noqa: SLF001 - the callback a crafted request would reach


def test_a_guest_sees_no_owner_controls_and_no_data_folder(runs, share) -> None:
    data, ids = runs
    at = gallery_page(run=str(ids[0]))
    assert not at.exception
    assert owner_widgets(at) == set()
    assert any(b.key == "download" for b in at.download_button) and any(b.key == "rerun" for b in at.button)
    grid = gallery_page()
    assert "3 runs." in texts(grid) and str(data) not in texts(grid)


def test_a_crafted_delete_by_a_guest_is_refused_and_the_run_stays(runs, share) -> None:
    data, ids = runs
    at = AppTest.from_function(crafted_delete, args=(ids[1],), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]
    assert run_ids(data) == ids


def test_the_same_crafted_delete_works_for_the_owner_link(runs, share) -> None:
    data, ids = runs
    at = AppTest.from_function(crafted_delete, args=(ids[1],), default_timeout=TIMEOUT)
    at.query_params["owner"] = TOKEN
    at.run()
    assert not at.exception and not at.error
    assert run_ids(data) == [ids[0], ids[2]]


def test_the_owner_link_grants_delete_across_pages(runs, share) -> None:
    data, ids = runs
    at = gallery_through_app(ids[1], owner=TOKEN)
    assert not at.exception
    assert owner_widgets(at) == OWNER_WIDGETS
    at = at.button(key="delete").click().run()
    at = at.button(key="delete_yes").click().run()
    assert not at.exception
    assert run_ids(data) == [ids[0], ids[2]]


def test_a_wrong_token_is_a_guest(runs, share) -> None:
    data, ids = runs
    at = gallery_through_app(ids[1], owner=TOKEN + "x")
    assert not at.exception
    assert owner_widgets(at) == set()
    assert run_ids(data) == ids


def test_without_sharing_mode_everyone_is_the_owner(runs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NST_SHARE", raising=False)
    data, ids = runs
    at = gallery_page(run=str(ids[0]))
    assert owner_widgets(at) == OWNER_WIDGETS
    assert str(data) in texts(gallery_page())


def paint_refusal(size: int) -> None:
    import streamlit as st

    from nst.params import StyleParams
    from studio.panels.paint import guest_refusal

    st.write(f"refusal: {guest_refusal(StyleParams(size=size), None)}")


@pytest.mark.parametrize("shared, size, refused", [(True, 1024, True), (True, 512, False), (False, 1024, False)])
def test_guests_paint_at_most_512_px(shared: bool, size: int, refused: bool, monkeypatch) -> None:
    if shared:
        monkeypatch.setenv("NST_SHARE", "1")
    else:
        monkeypatch.delenv("NST_SHARE", raising=False)
    at = AppTest.from_function(paint_refusal, args=(size,), default_timeout=TIMEOUT).run()
    said = at.markdown[0].value
    assert ("512 px" in said) == refused and ("None" in said) == (not refused)


def test_dev_sh_share_prints_the_friends_address_and_a_fresh_owner_link() -> None:
    def lines() -> tuple[str, str]:
        env = dict(os.environ, NST_SHARE_DRY_RUN="1", NST_SHARE_PORT="8765")
        out = subprocess.run(["bash", str(REPO / "dev.sh"), "share"], env=env, capture_output=True, text=True,
                             timeout=120, check=True).stdout
        friends = re.search(r"Give friends.*?(http://\S+)", out)
        owner = re.search(r"owner link.*?(http://\S+)", out)
        assert friends and owner, out
        return friends.group(1), owner.group(1)

    friends, owner = lines()
    match = re.fullmatch(r"http://([\d.]+):8765/\?owner=([\w-]{20,})", owner)
    assert match, owner
    assert friends == f"http://{match.group(1)}:8765/" and match.group(2) not in friends
    assert lines()[1] != owner  # a new random token every start


@pytest.mark.parametrize("shared", [True, False])
def test_only_the_owner_can_reset_friends_votes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool) -> None:
    from vote_runs import fill_group

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    if shared:
        monkeypatch.setenv("NST_SHARE", "1")
    else:
        monkeypatch.delenv("NST_SHARE", raising=False)
    with Store(tmp_path / "gallery") as store:
        a, b, _ = fill_group(store, scores=[1.0, 2.0, 3.0])
        store.record_vote("alice-1", a, b, "left")
    at = gallery_page(run=str(b))
    assert not at.exception
    resets = [x for x in at.button if (x.key or "").startswith("reset_votes_")]
    assert bool(resets) == (not shared)
    if resets:
        resets[0].click().run()
    with Store(tmp_path / "gallery") as store:
        assert (store.votes_among() == []) == (not shared)


# ---- the studio page: what a guest may paint (hidden in the UI, refused in start()) ----------------
def studio_through_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def painting_controls(at: AppTest) -> dict[str, object]:
    """What the sidebar and the batch panels offer: the owner-only knobs, and the sizes on offer."""
    keyed = {w.key for w in [*at.radio, *at.number_input, *at.checkbox]}
    return {"quality": "quality" in keyed, "scales": "scales" in keyed, "iterations": "iterations" in keyed,
            "native": "cmp_native" in keyed, "expert": any(e.label.startswith("Expert") for e in at.expander),
            "largest size": max(at.select_slider(key="size").options, key=int),
            "largest comparison": at.number_input(key="cmp_size").max}


@pytest.mark.parametrize("query, owner", [({}, False), ({"owner": TOKEN}, True), ({"owner": TOKEN + "x"}, False)])
def test_the_studio_hides_from_guests_what_they_may_not_paint(runs, share, query, owner) -> None:
    at = studio_through_app(**query)
    assert not at.exception
    shown = painting_controls(at)
    knobs = {k: v for k, v in shown.items() if not k.startswith("largest")}
    assert knobs == dict.fromkeys(knobs, owner)
    assert int(shown["largest size"]) == (2048 if owner else 512)
    assert shown["largest comparison"] == (1024 if owner else 512)
    assert any("at most 512 px" in c.value for c in at.caption) == (not owner)


def test_a_guests_controls_are_brought_within_the_limits_after_a_print_rerun(runs, share) -> None:
    from nst.params import with_quality

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[keys.RERUN_PARAMS] = with_quality(StyleParams(size=2048), "Print").to_dict()
    at.switch_page("views/studio_page.py").run()
    assert not at.exception
    assert at.select_slider(key="size").value == 512
    caption = next(c.value for c in at.caption if "steps over scales" in c.value)
    assert caption.startswith(f"{StyleParams().total_steps()} steps over scales")  # Standard's steps


def forged_sweep(at: AppTest) -> None:
    """A crafted request through this session's own widget callbacks: the Run sweep button is
    enabled for a 2 x 2 sweep, and the click is sent together with values for a 3 x 3 one (what a
    hand-edited websocket message can do; Streamlit itself drops clicks on hidden or disabled
    widgets and out-of-range numbers, so free text is what is left to forge)."""
    at.text_input(key="sweep_values_style_weight").set_value("1, 3")
    at.text_input(key="sweep_values_content_weight").set_value("1, 2").run()
    assert not at.button(key="run_sweep").disabled
    at.text_input(key="sweep_values_style_weight").set_value("1, 2, 3")
    at.text_input(key="sweep_values_content_weight").set_value("1, 2, 3")
    at.button(key="run_sweep").click().run()


def test_a_forged_guest_sweep_gets_one_sentence_and_queues_nothing(runs, share) -> None:
    at = studio_through_app()
    forged_sweep(at)
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith("Guests")] == [
        "Guests run sweeps of at most 2 × 2; choose fewer values."]
    assert keys.JOB_REF not in at.session_state
    assert at.button(key="run_sweep").disabled  # and the page now says so beside the button
    assert any("at most 2 × 2 (4 runs)" in c.value for c in at.caption)


def test_the_same_sweep_is_the_owners_to_run(runs, share) -> None:
    at = studio_through_app(owner=TOKEN)
    forged_sweep(at)
    assert not at.exception
    assert not [w for w in at.warning if w.value.startswith("Guests")]
    job = at.session_state[keys.JOB_REF]
    assert len(job.items) == 9
    job.stop()
    assert job.wait(TIMEOUT)  # not left painting in the background


# ---- errors: one sentence on the page, the traceback in the server log ------------------------------
def failing_page() -> None:
    from studio.access import run_page

    class Page:
        title = "Broken"

        def run(self) -> None:
            raise RuntimeError("secret detail at /srv/private/gallery.db")

    run_page(Page())


@pytest.fixture(autouse=True)
def error_details():
    """Streamlit's client.showErrorDetails restored after every test here (run_page turns it off in
    sharing mode, process-wide, and AppTest runs in this process)."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    yield
    config.set_option("client.showErrorDetails", before)


def test_in_sharing_mode_an_error_is_one_sentence_and_its_traceback_goes_to_the_log(
        runs, share, error_details, caplog: pytest.LogCaptureFixture) -> None:
    from streamlit import config

    from studio.access import PAGE_FAILED

    with caplog.at_level("ERROR", logger="nst.studio"):
        at = AppTest.from_function(failing_page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [e.value for e in at.error] == [PAGE_FAILED]
    assert "secret" not in texts(at) and "/srv/private" not in str([e.value for e in at.error])
    logged = [r for r in caplog.records if r.name == "nst.studio" and r.exc_info]
    assert logged and "secret detail at /srv/private/gallery.db" in caplog.text and "Traceback" in caplog.text
    assert config.get_option("client.showErrorDetails") == "none"


def test_without_sharing_mode_the_owner_sees_the_error_itself(runs, error_details, monkeypatch) -> None:
    monkeypatch.delenv("NST_SHARE", raising=False)
    at = AppTest.from_function(failing_page, default_timeout=TIMEOUT).run()
    assert at.exception and "secret detail" in at.exception[0].message
