"""Votes: stored one per voter and pair, removed with their run; the Bradley–Terry ranking; pair choice;
the making-of animation and sheet; ``nst gallery votes`` / ``export --animation / --sheet``."""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.errors import StoreError
from nst.leaderboard import pool_of_run, report
from nst.making_of import MAX_FRAMES, animation_bytes, frame_durations, run_frames
from nst.ranking import Rating, agreement, fit, next_pair, rank
from nst.store import Store
from vote_runs import fill_group


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "data"))
    with Store(tmp_path / "data") as opened:
        yield opened


def test_one_vote_per_voter_per_pair_whatever_the_sides(store: Store) -> None:
    a, b, c = fill_group(store)
    store.record_vote("alice-1", a, b, "left", now=1.0)
    store.record_vote("alice-1", b, a, "left", now=2.0)  # same pair, sides swapped: replaces, b wins now
    store.record_vote("bobby-2", a, b, "tie", now=3.0)
    votes = store.votes_among([a, b, c])
    assert [(v.voter, v.winner) for v in votes] == [("alice-1", b), ("bobby-2", None)]
    assert store.voted_pairs("alice-1") == {(a, b)} and store.voted_pairs("carol-3") == set()


def test_undo_removes_only_that_voters_newest_vote(store: Store) -> None:
    a, b, c = fill_group(store)
    store.record_vote("alice-1", a, b, "left", now=1.0)
    store.record_vote("alice-1", b, c, "right", now=2.0)
    store.record_vote("bobby-2", a, c, "right", now=3.0)
    undone = store.undo_last_vote("alice-1")
    assert (undone.run_a, undone.run_b, undone.winner) == (b, c, c)
    assert {(v.voter, v.run_a, v.run_b) for v in store.votes_among()} == {("alice-1", a, b), ("bobby-2", a, c)}
    assert store.undo_last_vote("nobody") is None


def test_votes_go_with_a_deleted_run(store: Store) -> None:
    a, b, c = fill_group(store)
    store.record_vote("alice-1", a, b, "left")
    store.record_vote("alice-1", b, c, "left")
    store.record_vote("alice-1", a, c, "left")
    store.delete_run(b)
    assert [(v.run_a, v.run_b) for v in store.votes_among()] == [(a, c)]
    assert store.reset_votes([a]) == 1 and store.votes_among() == []


def test_bad_votes_are_refused_with_a_sentence(store: Store) -> None:
    a, b, _ = fill_group(store)
    for voter, left, right, outcome in [("x", a, b, "left"), ("alice-1", a, a, "left"),
                                        ("alice-1", a, b, "both"), ("alice-1", a, 999, "left")]:
        with pytest.raises(StoreError):
            store.record_vote(voter, left, right, outcome)


def test_bradley_terry_matches_the_hand_computed_fit() -> None:
    # Two runs, 1 beats 2 three times of four: the MLE has P(1 > 2) = 3/4, so r1 - r2 = ln 3 (mean 0).
    ratings = fit([1, 2], [(1, 2, 1)] * 3 + [(1, 2, 2)], alpha=0.0)
    assert ratings[1] == pytest.approx(math.log(3) / 2, abs=1e-6) and ratings[2] == pytest.approx(-math.log(3) / 2,
                                                                                                    abs=1e-6)
    # A tie is half a win each way: one win and one tie is 1.5 of 2, P = 3/4 again.
    tied = fit([1, 2], [(1, 2, 1), (1, 2, None)], alpha=0.0)
    assert tied[1] - tied[2] == pytest.approx(math.log(3), abs=1e-6)
    # Three runs in a cycle (each beats the next once): all equal.
    cycle = fit([1, 2, 3], [(1, 2, 1), (2, 3, 2), (1, 3, 3)], alpha=0.0)
    assert all(abs(v) < 1e-6 for v in cycle.values())


def test_rank_orders_best_first_with_intervals_round_the_rating() -> None:
    votes = [(1, 2, 1)] * 4 + [(2, 3, 2)] * 4 + [(1, 3, 1)] * 4 + [(1, 2, 2)]
    board = rank([1, 2, 3, 4], votes)
    assert [r.run_id for r in board] == [1, 2, 3, 4]  # the unvoted run last
    for r in board[:3]:
        assert r.low <= r.rating <= r.high and r.votes > 0
    unvoted = next(r for r in board if r.run_id == 4)
    assert (unvoted.low, unvoted.high, unvoted.votes) == (None, None, 0)


def test_next_pair_shows_unseen_runs_first_then_the_closest() -> None:
    board = [Rating(1, 1.0, 0.5, 1.5, 5), Rating(2, 0.9, 0.4, 1.4, 5), Rating(3, -2.0, -2.5, -1.5, 5),
             Rating(4, 0.0, None, None, 0)]
    assert 4 in next_pair(board, set(), random.Random(0))  # the unseen run comes first
    seen = {(1, 4), (2, 4), (3, 4)}
    assert set(next_pair(board, seen, random.Random(0))) == {1, 2}  # then the closest pair
    sides = {next_pair(board, seen, random.Random(s))[0] for s in range(20)}
    assert sides == {1, 2}  # random sides
    everything = {(i, j) for i in range(1, 5) for j in range(i + 1, 5)}
    assert next_pair(board, everything) is None


def test_agreement_is_kendall_tau_with_the_number_of_runs() -> None:
    board = [Rating(1, 1.0, 0, 2, 3), Rating(2, 0.0, -1, 1, 3), Rating(3, -1.0, -2, 0, 3), Rating(4, 0.0, None, None, 0)]
    result = agreement(board, {"same": {1: 3.0, 2: 2.0, 3: 1.0, 4: 9.0}, "reversed": {1: 1.0, 2: 2.0, 3: 3.0},
                               "one": {1: 1.0}})
    assert result["same"] == {"tau": 1.0, "runs": 3} and result["reversed"] == {"tau": -1.0, "runs": 3}
    assert result["one"] == {"tau": None, "runs": 1}


def test_animation_has_every_snapshot_then_the_result_within_five_seconds(store: Store) -> None:
    run = fill_group(store, 2)[0]
    frames = run_frames(store, run)
    assert len(frames) == len(store.snapshots(run)) + 1
    for fmt in ("WEBP", "GIF"):
        with Image.open(io.BytesIO(animation_bytes(frames, fmt))) as anim:
            assert anim.n_frames == len(frames) and anim.info.get("loop") == 0
            durations = []
            for k in range(anim.n_frames):
                anim.seek(k)
                anim.load()
                durations.append(anim.info["duration"])
                assert anim.size == (32, 24)
            last = np.asarray(anim.convert("RGB"), dtype=np.float32)
        assert sum(durations) <= 5000 and durations[-1] == max(durations)  # the result is held last
        if fmt == "WEBP":
            result, before = (np.asarray(f, dtype=np.float32) for f in (frames[-1], frames[-2]))
            assert np.abs(last - result).mean() < 0.7 * np.abs(last - before).mean()  # the result is last
    noise = np.random.default_rng(0).integers(0, 200, (200, 16, 16, 3), np.uint8)
    noise[-1] = 255
    with Image.open(io.BytesIO(animation_bytes(list(noise)))) as many:
        assert many.n_frames == MAX_FRAMES
        many.seek(MAX_FRAMES - 1)
        assert np.asarray(many.convert("RGB")).mean() > 240  # thinned evenly, the last kept
    assert sum(frame_durations(MAX_FRAMES)) <= 5000


def test_cli_votes_json_and_share_exports(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from nst.scorecard_measures import SCORECARD_VERSION

    a, b, c = fill_group(store, scores=[1.0, 2.0, 3.0])
    for run_id, structure in ((a, 0.9), (b, 0.8), (c, 0.7)):  # the stored scorecard agrees with the votes
        store.save_scorecard(run_id, {"version": SCORECARD_VERSION, "structure": structure, "style_gap": 0.5,
                                       "colour_gap": 0.5, "copied": structure})
    for voter in ("alice-1", "bobby-2", "carol-3"):
        store.record_vote(voter, a, b, "left")
        store.record_vote(voter, b, c, "left")
        store.record_vote(voter, c, a, "right")
    assert main(["gallery", "votes", "--group", "g0123", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in out["runs"]] == [a, b, c]
    assert set(out["runs"][0]) == {"id", "rating", "low", "high", "votes"} and out["runs"][0]["votes"] == 6
    assert out["agreement"]["score (lower loss)"] == {"tau": 1.0, "runs": 3}
    assert out["agreement"]["structure"] == {"tau": 1.0, "runs": 3}
    assert out["agreement"]["copied (less)"] == {"tau": -1.0, "runs": 3}
    assert main(["gallery", "votes", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["runs"]) == 3
    assert main(["gallery", "votes", "--group", "nope"]) != 0
    assert "No single group" in capsys.readouterr().err
    anim, sheet = tmp_path / "making-of.webp", tmp_path / "board.png"
    assert main(["gallery", "export", str(a), "--animation", str(anim)]) == 0
    assert main(["gallery", "export", str(a), "--sheet", str(sheet)]) == 0
    with Image.open(anim) as opened:
        assert opened.n_frames == 4
    with Image.open(sheet) as opened:
        assert opened.width > 3 * 256
    assert main(["gallery", "export", str(a), "--animation", str(tmp_path / "x.mp3")]) != 0
    assert ".webp or .gif" in capsys.readouterr().err
    assert main(["gallery", "export", str(a), "-o", str(tmp_path / "png")]) == 0  # the old export still works
    assert list((tmp_path / "png").glob("*.png"))
    assert pool_of_run(store, a).key == "group:g0123456789" and report(store, pool_of_run(store, a))["runs"]


def test_gallery_shows_the_leaderboard_with_intervals_agreement_and_downloads(store: Store) -> None:
    from streamlit.testing.v1 import AppTest

    a, b, c = fill_group(store, scores=[1.0, 2.0, 3.0])
    for voter in ("alice-1", "bobby-2"):
        store.record_vote(voter, a, b, "left")
        store.record_vote(voter, b, c, "left")
    page = str(Path(__file__).resolve().parents[1] / "views" / "gallery_page.py")
    for query in ({"run": str(b)}, {"group": "g0123456789"}):
        at = AppTest.from_file(page, default_timeout=60)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception and not any("Something went wrong" in e.value for e in at.error)
        assert any("Friends' votes" in e.label for e in at.expander)
        tables = [t.value for t in at.dataframe]
        board = next(t for t in tables if "90 % interval" in t.columns)
        agree = next(t for t in tables if "τ" in t.columns)
        assert list(board["run"]) == [f"#{a} run 0", f"#{b} run 1", f"#{c} run 2"]
        assert list(board["votes"]) == [2, 4, 2] and all("…" in v for v in board["90 % interval"])
        assert dict(zip(agree["measure"], agree["runs"]))["score (lower loss)"] == 3
