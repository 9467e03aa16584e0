"""The best moment on the run page (studio/gallery/moment.py) through AppTest: the suggestion and the
overdone stretch are shown, accepting the suggestion changes the gallery's card, and a guest can
neither see the choice nor make it with a forged click."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nst.access import REFUSED
from nst.store import Store
from test_gallery import PAGE, texts
from test_kept_moment import save_run, score

TIMEOUT = 60
KEEP_BUTTONS = {"keep_suggested", "keep_selected", "keep_final"}


@pytest.fixture
def scored_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_image, style_image) -> tuple[Path, int]:
    """A run whose step 30 keeps more of the photo than the final image, overdone from there on."""
    data = tmp_path / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(data))
    with Store(data) as store:
        run_id = save_run(store, content_image, style_image)
        score(store, run_id, {20: 0.5, 30: 0.8, 40: 0.7, None: 0.6})
    return data, run_id


def page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_the_run_page_shows_the_suggestion_and_accepting_it_changes_the_card(scored_run) -> None:
    data, run_id = scored_run
    at = page(run=str(run_id))
    said = texts(at)
    assert "kept: the final image" in said
    assert "Suggested: step 30: step 30 keeps more of the photo than the final image (structure 0.80 vs 0.60)" in said
    assert "Overdone from step 30 to the final image: structure fell by 0.200" in said
    slider = at.select_slider(key=f"snap_{run_id}")
    assert "step 30 (scale 2) · suggested · overdone" in slider.options
    with Store(data) as store:
        final_thumb = store.picture_thumbnails([run_id])[run_id]
    at.button(key="keep_suggested").click().run()
    assert not at.exception and "now shows step 30 in the gallery" in texts(at)
    assert "kept: step 30" in texts(at)
    with Store(data) as store:
        assert store.kept_steps([run_id]) == {run_id: 30}
        assert store.picture_thumbnails([run_id])[run_id] != final_thumb
    grid = page()
    assert f"kept moment: step 30 of 45" in texts(grid)
    at.button(key="keep_final").click().run()
    assert "kept: the final image" in texts(at) and "kept moment" not in texts(page())


def test_a_chosen_snapshot_of_the_timeline_can_be_kept(scored_run) -> None:
    data, run_id = scored_run
    at = page(run=str(run_id))
    at.select_slider(key=f"snap_{run_id}").set_value(1).run()  # step 20 (the first is the small step 10)
    at.button(key="keep_selected").click().run()
    with Store(data) as store:
        assert store.kept_steps([run_id]) == {run_id: 20}


def crafted_keep(run_id: int) -> None:
    """What a hand-made request for the keep callback runs: the callback itself, in this session."""
    from studio.access import apply_owner_link
    from studio.gallery import moment, nav

    apply_owner_link()
    moment._keep(nav.store(), run_id, 30)  # noqa: SLF001 - the callback a crafted request would reach


def test_a_guest_sees_the_suggestion_but_cannot_keep_a_moment(scored_run, monkeypatch) -> None:
    monkeypatch.setenv("NST_SHARE", "1")
    monkeypatch.setenv("NST_OWNER_TOKEN", "the-owner-token")
    data, run_id = scored_run
    at = page(run=str(run_id))
    assert "Suggested: step 30" in texts(at)
    assert not KEEP_BUTTONS & {b.key for b in at.button}
    at = AppTest.from_function(crafted_keep, args=(run_id,), default_timeout=TIMEOUT).run()
    assert [e.value for e in at.error] == [REFUSED]
    with Store(data) as store:
        assert store.kept_steps([run_id]) == {}
    owner = AppTest.from_function(crafted_keep, args=(run_id,), default_timeout=TIMEOUT)
    owner.query_params["owner"] = "the-owner-token"
    owner.run()
    assert not owner.error
    with Store(data) as store:
        assert store.kept_steps([run_id]) == {run_id: 30}
