"""The gallery: studio/gallery/model.py's pure helpers, nst.comparison, and the page (views/gallery_page.py)
through AppTest."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nst.comparison import common_box, comparison_image, fit_box, fit_height
from studio.gallery import model as g
from nst.params import StyleParams
from nst.run_types import LossTerms
from nst.store import Store, StyleRef
from studio import keys
from saved_runs import run_to_save

REPO = Path(__file__).resolve().parents[1]
PAGE = str(REPO / "views" / "gallery_page.py")
TIMEOUT = 60


# ---------------------------------------------------------------------------- fakes


def picture(seed: int, h: int = 24, w: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (h, w, 3)).astype(np.float32)


def fake_result(seed: int, params: StyleParams, *, seconds: float = 3.0, total: float = 2.0) -> SimpleNamespace:
    """A stand-in for nst.engine.StyleResult (the store reads these attributes)."""
    history = [{"step": i + 1, "scale": 0, "elapsed": 0.1 * i, "total": total - 0.1 * i, "content": 0.3,
                "style": 0.2, "tv": 0.01} for i in range(8)]
    rng = np.random.default_rng(seed)
    snapshots = [SimpleNamespace(step=4 * (i + 1), scale_index=0, image=rng.integers(0, 256, (24, 32, 3), np.uint8),
                                 losses=LossTerms(total - i, 0.3, 0.2, 0.01))
                 for i in range(2)]
    return SimpleNamespace(image=picture(100 + seed), status="finished", message="Finished.", steps=8,
                           seconds=seconds, losses=LossTerms(total - 0.7, 0.3, 0.2, 0.01),
                           history=history, snapshots=snapshots, weight_changes=[], trace_seconds={},
                           params=params, weights_id="sha256:test", device="CPU")


def fill(store: Store) -> list[int]:
    """Three runs: two on content A (style weights 3 and 30), one on content B; all with style S."""
    style = [picture(7, 20, 20)]
    ids = []
    for seed, (content_seed, name, sw, seconds) in enumerate(
            [(1, "alpha.jpg", 3.0, 5.0), (1, "alpha.jpg", 30.0, 2.0), (2, "beta.jpg", 10.0, 9.0)]):
        params = StyleParams(size=64, style_weight=sw)
        ids.append(store.save(run_to_save(fake_result(seed, params, seconds=seconds), content=picture(content_seed),
                                  styles=style, content_name=name, style_names=["stripes.png"],
                                  title=f"run sw{sw:g}")))
    return ids


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "gallery"
    monkeypatch.setenv("NST_DATA_DIR", str(path))
    return path


@pytest.fixture
def filled(data_dir: Path) -> list[int]:
    with Store(data_dir) as store:
        return fill(store)


def app(**query: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return ok(at.run())


def ok(at):
    """No exception and no "something went wrong" fallback message (the page catches the rest)."""
    assert not at.exception
    assert not any("Something went wrong" in e.value for e in at.error), [e.value for e in at.error]
    return at


def texts(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.warning] + [e.value for e in at.title] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def card_ids(at) -> list[int]:
    return sorted(int(c.key.split("_")[1]) for c in at.checkbox if c.key and c.key.startswith("sel_"))


# ---------------------------------------------------------------------------- param_diff


def test_param_diff_flags_only_the_differing_rows() -> None:
    a, b = StyleParams(size=64, style_weight=3.0), StyleParams(size=64, style_weight=30.0, optimizer="adam")
    rows = g.param_diff([a, b])
    by_name = {row.name: row for row in rows}
    assert by_name["style_weight"].differs and by_name["style_weight"].values == (3.0, 30.0)
    assert by_name["optimizer"].differs
    assert not by_name["content_weight"].differs and not by_name["size"].differs
    assert {row.name for row in rows if row.differs} == {"style_weight", "optimizer"}
    # key parameters come first, then every other field of the dataclass
    assert [row.name for row in rows[:len(g.KEY_PARAMS)]] == list(g.KEY_PARAMS)
    assert {row.name for row in rows} == set(StyleParams().to_dict())


def test_param_diff_of_records_compares_inputs_and_results_too() -> None:
    def record(run_id, sw, style_sha, seconds):
        return SimpleNamespace(id=run_id, params=StyleParams(style_weight=sw), content_sha256="c" * 64,
                               content_name="photo.jpg", styles=(StyleRef(style_sha, "same-name.png", 1.0),),
                               status="finished", steps=10, seconds=seconds, losses={"total": 1.0}, score=None)

    rows = {r.name: r for r in g.param_diff([record(1, 10.0, "a" * 64, 2.0), record(2, 10.0, "b" * 64, 2.0),
                                             record(3, 10.0, "a" * 64, 3.0)], include_results=True)}
    assert not rows["content image"].differs
    assert rows["style images"].differs  # same file name, different pictures
    assert not rows["style_weight"].differs
    assert rows["seconds"].differs and not rows["steps"].differs
    assert rows["seconds"].section == "result" and rows["content image"].section == "inputs"


def test_param_diff_accepts_dicts_with_missing_keys_and_nan() -> None:
    rows = {r.name: r for r in g.param_diff([{"style_weight": 1.0, "x": float("nan")},
                                             {"style_weight": 1.0, "x": float("nan"), "new": 2}])}
    assert not rows["style_weight"].differs and not rows["x"].differs
    assert rows["new"].differs and rows["new"].values == (None, 2)


# ---------------------------------------------------------------------------- grid_layout


def summary(run_id: int, axes: dict | None = None, **fields) -> SimpleNamespace:
    """A run summary as the store lists it; ``axes``: a sweep cell's stored axes (rows' field first)."""
    label = " · ".join(f"{k}={v:g}" for k, v in axes.items()) if axes else None
    base = dict(id=run_id, title="", group_label=label, group_axes=axes, style_weight=10.0, content_weight=1.0,
                tv_weight=1.0, size=256, optimizer="lbfgs")
    base.update(fields)
    return SimpleNamespace(**base)


def test_grid_layout_of_a_two_axis_sweep_follows_the_stored_axes() -> None:
    runs = [summary(i, {"style_weight": float(sw), "content_weight": float(cw)}, style_weight=float(sw),
                    content_weight=float(cw))
            for i, (sw, cw) in enumerate([(30, 2), (3, 0.5), (3, 2), (10, 0.5), (10, 2), (30, 0.5)], start=1)]
    rows, cols, cells = g.grid_layout(runs)
    assert rows == ["style_weight=3", "style_weight=10", "style_weight=30"]  # sorted numerically
    assert cols == ["content_weight=0.5", "content_weight=2"]
    assert [[c.id for c in row] for row in cells] == [[2, 3], [4, 5], [6, 1]]


def test_grid_layout_one_axis_missing_cells_and_no_labels() -> None:
    # one varying parameter: one row; a stopped sweep leaves a hole
    rows, cols, cells = g.grid_layout([summary(1, {"tv_weight": 0.1}, tv_weight=0.1),
                                       summary(2, {"tv_weight": 10.0}, tv_weight=10.0)])
    assert rows == [""] and cols == ["tv_weight=0.1", "tv_weight=10"] and [c.id for c in cells[0]] == [1, 2]
    rows, cols, cells = g.grid_layout([summary(1, {"style_weight": 1.0, "content_weight": 1.0}),
                                       summary(2, {"style_weight": 1.0, "content_weight": 2.0}),
                                       summary(3, {"style_weight": 5.0, "content_weight": 1.0})])
    assert rows == ["style_weight=1", "style_weight=5"] and cols == ["content_weight=1", "content_weight=2"]
    assert cells[1][1] is None and cells[1][0].id == 3
    # no stored axes: the axes come from the parameters that vary
    rows, cols, cells = g.grid_layout([summary(1, style_weight=3.0, optimizer="adam"),
                                       summary(2, style_weight=3.0, optimizer="lbfgs"),
                                       summary(3, style_weight=9.0, optimizer="adam")])
    assert rows == ["style_weight=3", "style_weight=9"] and cols == ["optimizer=adam", "optimizer=lbfgs"]
    # nothing varies (e.g. the same settings twice): one row, one column per run
    rows, cols, cells = g.grid_layout([summary(1, title="first"), summary(2)])
    assert rows == [""] and cols == ["first", "Run 2"] and [c.id for c in cells[0]] == [1, 2]
    assert g.grid_layout([]) == ([], [], [])


def test_grid_layout_uses_full_params_of_records() -> None:
    records = [SimpleNamespace(id=i, title="", group_label=None, params=StyleParams(style_scale=s))
               for i, s in enumerate([2.0, 0.5, 1.0])]
    rows, cols, cells = g.grid_layout(records)
    assert cols == ["style_scale=0.5", "style_scale=1", "style_scale=2"] and [c.id for c in cells[0]] == [1, 2, 0]


def test_grid_layout_takes_the_axes_order_from_the_data_not_the_label() -> None:
    # the columns' field comes first in the field order, yet the stored axes make it the columns
    runs = [summary(i, {"tv_weight": tv, "content_weight": cw}, title=f"run {i}", group_label="not parsed",
                    tv_weight=tv, content_weight=cw)
            for i, (tv, cw) in enumerate([(0.5, 1.0), (0.5, 2.0), (2.0, 1.0), (2.0, 2.0)], start=1)]
    rows, cols, cells = g.grid_layout(runs)
    assert rows == ["tv_weight=0.5", "tv_weight=2"] and cols == ["content_weight=1", "content_weight=2"]
    assert [[c.id for c in row] for row in cells] == [[1, 2], [3, 4]]


# ---------------------------------------------------------------------------- pictures, curves, sorts


def test_comparison_image_wipe_and_blend() -> None:
    black, white = np.zeros((10, 20, 3), np.float32), np.ones((5, 10, 3), np.float32)
    wipe = comparison_image(black, white, "wipe", 50)
    assert wipe.shape == (5, 10, 3) and wipe.dtype == np.uint8
    assert wipe[:, :4].max() == 0 and wipe[:, 6:].min() == 255
    blend = comparison_image(black, white, "blend", 25)
    assert abs(int(blend[0, 0, 0]) - 64) <= 1
    assert fit_height(np.zeros((10, 20, 3), np.uint8), 5).shape == (5, 10, 3)


def test_loss_curve_rows_and_sort_options() -> None:
    runs = [SimpleNamespace(id=1, title="a", history=[{"step": 1, "total": 2.0}, {"step": 2, "total": float("nan")}]),
            SimpleNamespace(id=2, title="", group_label=None, history=[{"step": s, "total": 1.0} for s in range(900)])]
    rows = g.loss_curve_rows(runs, max_points=100)
    assert [r for r in rows if r["run"] == "#1 a"] == [{"run": "#1 a", "step": 1, "loss": 2.0}]
    assert 50 <= len([r for r in rows if r["run"] == "#2"]) <= 101
    assert g.sort_options(True, False) == ["newest", "fastest", "structure", "style_gap", "colour_gap", "copied"]
    assert g.sort_options(True, True)[-1] == "score"
    assert g.SORT_LABELS["score"] == "lowest loss (under this studio's objective)"


# ---------------------------------------------------------------------------- the page


def test_empty_gallery_points_to_the_studio(data_dir: Path) -> None:
    at = app()
    assert not at.exception
    assert "No paintings yet" in texts(at) and "Open the **Studio** page" in texts(at)


def test_grid_lists_runs_and_filters_narrow_them(filled: list[int]) -> None:
    at = app()
    assert not at.exception
    assert card_ids(at) == sorted(filled)
    assert "run sw30" in texts(at) and "style 30 · content 1 · tv 1 · 64 px · lbfgs" in texts(at)
    # content filter: only the two runs on alpha.jpg
    content = at.selectbox(key="f_content")
    alpha = next(o for o in content.options if o.startswith("alpha.jpg"))
    at = content.select_index(content.options.index(alpha)).run()
    assert card_ids(at) == sorted(filled[:2])
    sort = at.selectbox(key="f_sort")
    assert g.SCORE_SORT_LABEL not in sort.options  # only with a content AND a style
    style = at.selectbox(key="f_style")
    at = style.select_index(next(i for i, o in enumerate(style.options) if o.startswith("stripes.png"))).run()
    sort = at.selectbox(key="f_sort")
    assert g.SCORE_SORT_LABEL in sort.options
    at = sort.select_index(sort.options.index(g.SCORE_SORT_LABEL)).run()
    assert not at.exception and not at.error
    assert card_ids(at) == sorted(filled[:2])
    # favourites: none yet
    at = at.toggle(key="f_fav").set_value(True).run()
    assert card_ids(at) == [] and "No runs match" in texts(at)


def test_cards_and_the_run_page_show_local_time_with_its_offset(filled: list[int], data_dir: Path, time_zone) -> None:
    import sqlite3

    with sqlite3.connect(data_dir / "gallery.sqlite3") as conn:
        conn.execute("UPDATE runs SET created = 1700000000 WHERE id = ?", (filled[0],))  # 22:13 UTC
    time_zone("IST-5:30")
    assert "2023-11-15 03:43 UTC+05:30" in texts(app())  # the card
    assert "2023-11-15 03:43 UTC+05:30" in texts(app(run=str(filled[0])))  # the run page


def test_fastest_sort_orders_the_cards(filled: list[int]) -> None:
    at = app()
    sort = at.selectbox(key="f_sort")
    at = sort.select_index(sort.options.index("fastest")).run()
    order = [int(c.key.split("_")[1]) for c in at.checkbox if c.key.startswith("sel_")]
    assert order == [filled[1], filled[0], filled[2]]  # 2 s, 5 s, 9 s


def test_select_two_and_compare_shows_the_differences(filled: list[int]) -> None:
    at = app()
    compare = at.button(key="compare")
    assert compare.disabled
    at = at.checkbox(key=f"sel_{filled[0]}").check().run()
    at = at.checkbox(key=f"sel_{filled[1]}").check().run()
    assert not at.button(key="compare").disabled
    at = at.button(key="compare").click().run()
    ok(at)
    assert at.query_params["compare"] == [f"{filled[0]},{filled[1]}"] or \
        at.query_params["compare"] == f"{filled[0]},{filled[1]}"
    assert "Compare runs" in texts(at)
    table = at.dataframe[0].value
    frame = table.data if hasattr(table, "data") else table
    assert list(frame.columns)[0] == "parameter" and "differs" in frame.columns
    differing = set(frame.loc[frame["differs"] == "≠", "parameter"])
    assert "style_weight" in differing and "content_weight" not in differing
    assert "seconds" in differing


def test_compare_allows_at_most_four(data_dir: Path) -> None:
    with Store(data_dir) as store:
        ids = fill(store) + fill(store)
    at = app()
    for run_id in ids[:5]:
        at = at.checkbox(key=f"sel_{run_id}").check().run()
    assert at.session_state[keys.GALLERY_SELECTED] == ids[:4]
    assert "at most 4" in texts(at)


def test_open_run_then_delete_needs_confirmation(filled: list[int], data_dir: Path) -> None:
    at = app()
    at = at.button(key=f"open_{filled[1]}").click().run()
    ok(at)
    assert "run sw30" in texts(at) and any(b.key == "rerun" for b in at.button)
    at = at.button(key="delete").click().run()
    assert "cannot be undone" in texts(at)
    with Store(data_dir) as store:
        assert store.count_runs() == 3  # not yet
    at = at.button(key="delete_no").click().run()
    assert any(b.key == "delete" for b in at.button)
    at = at.button(key="delete").click().run()
    at = at.button(key="delete_yes").click().run()
    ok(at)
    with Store(data_dir) as store:
        assert sorted(r.id for r in store.list_runs()) == [filled[0], filled[2]]
    assert f"Run {filled[1]} was deleted" in texts(at)
    assert card_ids(at) == [filled[0], filled[2]]


def test_rerun_puts_the_params_into_session_state(filled: list[int]) -> None:
    at = app(run=str(filled[1]))
    assert not at.exception
    at = at.button(key="rerun").click().run()
    ok(at)
    params = at.session_state[keys.RERUN_PARAMS]
    assert StyleParams.from_dict(params) == StyleParams(size=64, style_weight=30.0)
    assert at.session_state[keys.RERUN_RUN_ID] == filled[1]


def test_run_details_edit_title_notes_and_favourite(filled: list[int], data_dir: Path) -> None:
    at = app(run=str(filled[0]))
    at = at.text_input(key=f"title_{filled[0]}").input("my best").run()
    at = at.text_area(key=f"notes_{filled[0]}").input("keep this one").run()
    at = at.toggle(key=f"fav_{filled[0]}").set_value(True).run()
    ok(at)
    with Store(data_dir) as store:
        record = store.get_run(filled[0])
        assert (record.title, record.notes, record.favourite) == ("my best", "keep this one", True)
    assert "Snapshot" in [s.label for s in at.select_slider]


def test_sweep_group_shows_a_labelled_grid(data_dir: Path) -> None:
    from nst.store import new_group_id

    group = new_group_id()
    with Store(data_dir) as store:
        for i, (sw, cw) in enumerate([(3, 0.5), (3, 2), (30, 0.5), (30, 2)]):
            params = StyleParams(size=64, style_weight=float(sw), content_weight=float(cw))
            store.save(run_to_save(fake_result(i, params), content=picture(1), styles=[picture(7, 20, 20)],
                           group_id=group, group_kind="sweep", group_label=f"style_weight={sw} · content_weight={cw}",
                           group_axes={"style_weight": float(sw), "content_weight": float(cw)}))
    at = app(group=group)
    assert not at.exception
    shown = texts(at)
    for label in ("style_weight=3", "style_weight=30", "content_weight=0.5", "content_weight=2"):
        assert f"**{label}**" in shown
    assert len([b for b in at.button if b.key.startswith("open_")]) == 4


def test_store_error_is_one_sentence(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "gallery.sqlite3").write_bytes(b"this is not a database" * 100)
    at = app()
    assert not at.exception
    assert at.error and "Traceback" not in at.error[0].value


def test_fit_box_gives_every_picture_the_same_size() -> None:
    wide, tall = np.ones((10, 40, 3), np.float32), np.zeros((30, 10, 3), np.uint8)
    width, height = common_box([wide.shape, tall.shape])
    assert (width, height) == (120, 30)
    boxed = [fit_box(p, width, height) for p in (wide, tall)]
    assert all(b.shape == (30, 120, 3) and b.dtype == np.uint8 for b in boxed)
    assert boxed[1][15, 60, 0] == 0 and boxed[1][15, 0, 0] == 240  # centred, padded


def test_paging_shows_24_cards_a_page(data_dir: Path) -> None:
    with Store(data_dir) as store:
        for i in range(g.PAGE_SIZE + 2):
            store.save(run_to_save(fake_result(i, StyleParams(size=64)), content=picture(1), styles=[picture(7, 20, 20)]))
    at = app()
    assert len(card_ids(at)) == g.PAGE_SIZE and "Page 1 of 2" in texts(at)
    at = at.button(key="next_page").click().run()
    assert card_ids(at) == [1, 2] and "Page 2 of 2" in texts(at)


# ---------------------------------------------------------------------------- leakage beside the scores


def test_result_line_shows_score_and_leakage() -> None:
    run = SimpleNamespace(score=1.23456, leakage=0.0020218, losses={"total": 2.5})
    assert g.result_line(run) == "score 1.235 · leakage 0.002022"
    assert g.result_line(run, loss=True) == "loss 2.5 · score 1.235 · leakage 0.002022"
    assert g.result_line(SimpleNamespace(score=None, leakage=None)) == "score — · leakage —"
    assert "lower = cleaner flat areas" in g.LEAKAGE_NOTE


def test_param_diff_has_a_leakage_row() -> None:
    def record(run_id, leak):
        return SimpleNamespace(id=run_id, params=StyleParams(), status="finished", steps=10, seconds=2.0,
                               losses={"total": 1.0}, score=1.5, leakage=leak)

    rows = {r.name: r for r in g.param_diff([record(1, 0.03), record(2, 0.002)], include_results=True)}
    assert rows["leakage"].values == (0.03, 0.002) and rows["leakage"].differs
    assert rows["leakage"].section == "result"


def _save_with_leakage(store: Store, seed: int, leak: float, **group) -> int:
    params = StyleParams(size=64, protect_flat=float(seed % 2))
    return store.save(run_to_save(fake_result(seed, params), content=picture(1), styles=[picture(7, 20, 20)],
                          content_name="golden_gate.jpg", style_names=["starry.png"], title=f"protect {seed % 2}",
                          score=1.0 + seed, leakage=leak, **group))


def test_compared_runs_show_leakage_beside_the_scores(data_dir: Path) -> None:
    with Store(data_dir) as store:
        plain = _save_with_leakage(store, 0, 0.0342725)
        protected = _save_with_leakage(store, 1, 0.0020218)
    at = app(compare=f"{plain},{protected}")
    shown = texts(at)
    assert "leakage 0.03427" in shown and "leakage 0.002022" in shown
    assert "lower = cleaner flat areas" in shown
    table = at.dataframe[0].value
    frame = table.data if hasattr(table, "data") else table
    row = frame.loc[frame["parameter"] == "leakage"]
    assert list(row.iloc[0, 1:3]) == ["0.03427", "0.002022"] and row.iloc[0]["differs"] == "≠"


def test_sweep_and_method_groups_show_leakage(data_dir: Path) -> None:
    from nst.store import new_group_id

    sweep, methods = new_group_id(), new_group_id()
    with Store(data_dir) as store:
        for i in range(2):
            _save_with_leakage(store, i, 0.01 * (i + 1), group_id=sweep, group_kind="sweep",
                               group_label=f"protect_flat={i}", group_axes={"protect_flat": float(i)})
            _save_with_leakage(store, i, 0.02 * (i + 1), group_id=methods, group_kind="compare",
                               group_label=f"method {i}")
    shown = texts(app(group=sweep))
    assert "leakage 0.01" in shown and "leakage 0.02" in shown and "lower = cleaner flat areas" in shown
    shown = texts(app(group=methods))
    assert "score 1 · leakage 0.02" in shown and "score 2 · leakage 0.04" in shown
    assert "lower = cleaner flat areas" in shown


def test_no_group_view_crowns_a_run_by_the_optimised_loss(data_dir: Path) -> None:
    from nst.store import new_group_id

    methods = new_group_id()
    with Store(data_dir) as store:
        for i in range(5):
            _save_with_leakage(store, i, 0.01, group_id=methods, group_kind="compare", group_label=f"method {i}")
    at = app(group=methods)
    assert not any("trophy" in m.value for m in at.markdown)
    assert at.button(key="group_compare").label == "Compare the first 4"
    assert not any("best" in b.label.lower() for b in at.button)


def _card_values(structure: float, style_gap: float, copied: float = 0.0) -> dict:
    from nst.scorecard_measures import SCORECARD_VERSION

    return {"version": SCORECARD_VERSION, "structure": structure, "style_gap": style_gap, "colour_gap": 0.5,
            "copied": copied}


def test_the_scorecard_is_shown_on_cards_in_the_run_page_and_marks_a_groups_pareto_set(data_dir: Path) -> None:
    from nst.store import new_group_id

    methods = new_group_id()
    with Store(data_dir) as store:
        ids = [_save_with_leakage(store, i, 0.01, group_id=methods, group_kind="compare", group_label=f"method {i}")
               for i in range(3)]
        for run_id, values in zip(ids, [(0.8, 0.4), (0.7, 0.4), (0.6, 0.2)]):
            store.save_scorecard(run_id, _card_values(*values))
    grid = texts(app())
    assert "structure 0.80 · style gap 0.40 · colour gap 0.50 · copied 0.00" in grid
    detail = app(run=str(ids[0]))
    table = detail.dataframe[0].value
    assert list(table["measure"]) == ["structure", "style gap", "colour gap", "copied"]
    assert list(table["better"]) == ["higher", "lower", "lower", "lower"]
    group = texts(app(group=methods))
    assert f"Pareto set: keeps more of the photo than #{ids[1]} at the same style gap" in group
    assert f"Beaten: #{ids[0]} is as good or better on every measure" in group
    assert group.count("Pareto set:") == 2


def test_the_grid_sorts_and_filters_by_a_scorecard_measure(data_dir: Path) -> None:

    with Store(data_dir) as store:
        ids = [_save_with_leakage(store, i, 0.01) for i in range(3)]
        for run_id, values in zip(ids, [(0.5, 0.4, 0.3), (0.9, 0.4, 0.0), (0.7, 0.4, 0.1)]):
            store.save_scorecard(run_id, _card_values(*values))
    at = app()
    at.selectbox(key="f_sort").set_value("structure (highest first)")
    at = ok(at.run())
    order = [int(b.key.split("_")[1]) for b in at.button if b.key and b.key.startswith("open_")]
    assert order == [ids[1], ids[2], ids[0]]
    at.slider(key="f_card_copied").set_value(0.05)
    at = ok(at.run())
    assert card_ids(at) == [ids[1]]
