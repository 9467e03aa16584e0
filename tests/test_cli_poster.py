"""``python -m nst poster`` on the tiny network: a print file of the asked size and DPI from plain files
and from a gallery run, one-line refusals before any painting, and Stop keeping the tiles painted so far."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams
from nst.poster import plan_poster
from nst.poster_paint import paint_poster
from nst.print_output import paper_for, painted_size, read_print
from nst.run_types import RunControl

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


@pytest.fixture
def files(tmp_path, content_image, style_image):
    paths = {}
    for name, pixels in (("content", content_image), ("style", style_image), ("run", content_image[::-1].copy())):
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray((pixels * 255).astype(np.uint8)).save(paths[name])
    return paths


def poster_args(files, out, *extra):
    return ["poster", "--content", str(files["content"]), "--style", str(files["style"]),
            "--init-image", str(files["run"]), "-o", str(out), *extra]


def test_poster_from_plain_files_writes_a_16_bit_tiff_of_the_size_and_dpi(files, tmp_path, capsys):
    out = tmp_path / "prints" / "poster.tiff"
    code = main(poster_args(files, out, "--size", "96", "--dpi", "150", "--json"), **TINY)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert (report["width"], report["height"], report["dpi"], report["status"]) == (96, 72, 150, "finished")
    assert "poster plan:" in captured.err and "min" in captured.err and "GB" in captured.err
    pixels, dpi, meta = read_print(out)
    assert pixels.shape == (72, 96, 3) and dpi == 150
    assert meta["nst:params"]["size"] == StyleParams().size and meta["nst:poster"]["fit"] == "size"
    start = np.asarray(Image.open(files["run"]).resize((96, 72), Image.BICUBIC), np.float32) / 255
    assert np.abs(pixels - start).mean() > 0.005  # painted, not just enlarged


def test_paper_maths_turns_and_fits_the_sheet():
    assert paper_for("A4", 150, 640, 480).pixels == (1754, 1240)
    assert paper_for("A2", 300, 480, 640).pixels == (4961, 7016)
    assert painted_size((1754, 1240), (640, 480), "pad") == (1653, 1240)
    assert painted_size((1754, 1240), (640, 480), "crop") == (1754, 1240)


def test_an_impossibly_small_budget_is_refused_in_one_line_before_painting(files, tmp_path, capsys):
    out = tmp_path / "poster.tiff"
    code = main(poster_args(files, out, "--size", "96", "--memory-budget", "0.01"), **TINY)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "does not fit" in err and "--memory-budget" in err
    assert not out.exists()


def test_an_unwritable_output_and_missing_inputs_are_refused(files, tmp_path, capsys):
    assert main(poster_args(files, tmp_path / "poster.jpg", "--size", "96"), **TINY) == 2
    assert ".tiff or .png" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(poster_args(files, blocker / "poster.tiff", "--size", "96"), **TINY) == 2
    assert "Cannot" in capsys.readouterr().err
    assert main(["poster", "--content", str(files["content"]), "-o", str(tmp_path / "p.tiff")], **TINY) == 2
    assert "RUN_ID" in capsys.readouterr().err


def test_a_run_whose_stored_photo_is_smaller_than_the_print_asks_for_the_original(files, tmp_path, capsys):
    code = main(["stylize", "--content", str(files["content"]), "--style", str(files["style"]), "-o",
                 str(tmp_path / "r.png"), "--size", "64", "--scales", "1", "--iterations", "2", "--save"], **TINY)
    assert code == 0
    capsys.readouterr()
    out = tmp_path / "poster.tiff"
    assert main(["poster", "1", "--size", "128", "-o", str(out)], **TINY) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "smaller than" in err and "--content" in err
    big = tmp_path / "big.png"
    Image.open(files["content"]).resize((128, 96)).save(big)
    assert main(["poster", "1", "--size", "128", "--content", str(big), "-o", str(out), "--json"], **TINY) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source_run"] == 1 and read_print(out)[0].shape == (96, 128, 3)


def test_stop_keeps_the_tiles_painted_so_far(tiny_net, content_image, style_image):
    params = StyleParams(size=64)
    plan = plan_poster(160, 120, 160, params, steps=(4,), max_tile=96, overlap=16)
    assert len(plan.scales) == 1 and len(plan.scales[0].plan.tiles) > 1
    start = np.full((120, 160, 3), 0.5, np.float32)
    photo = np.asarray(Image.fromarray((content_image * 255).astype(np.uint8)).resize((160, 120)), np.float32) / 255
    control = RunControl()
    result = paint_poster(plan, photo, [style_image], start, params, net=tiny_net, control=control,
                          on_progress=lambda p: control.cancel())
    assert result.status == "stopped"
    first, last = plan.scales[0].plan.tiles[0], plan.scales[0].plan.tiles[-1]
    assert np.abs(first.cut(result.image)[:48, :48] - 0.5).max() > 0.01  # the finished tile is kept
    assert np.allclose(last.cut(result.image)[-8:, -8:], 0.5)  # the rest is as it started


def test_paper_flags_paint_the_sheet_or_the_picture_inside_it():
    from nst.poster_order import poster_target

    flags = dict(size=None, paper="A4", dpi=150)
    crop = poster_target((600, 600), fit="crop", **flags)
    pad = poster_target((600, 600), fit="pad", **flags)
    assert crop.painted == crop.sheet == (1754, 1240)
    assert pad.painted == (1240, 1240) and pad.sheet == (1754, 1240)
    portrait = poster_target((480, 640), fit="crop", **flags)
    assert portrait.sheet == (1240, 1754)


def test_a_stopped_poster_resumes_from_its_last_finished_tile(tiny_net, content_image, style_image, tmp_path):
    params = StyleParams(size=64)
    plan = plan_poster(160, 120, 160, params, steps=(4,), max_tile=96, overlap=16)
    start = np.full((120, 160, 3), 0.5, np.float32)
    photo = np.asarray(Image.fromarray((content_image * 255).astype(np.uint8)).resize((160, 120)), np.float32) / 255
    control = RunControl()
    folder = tmp_path / "progress"
    stopped = paint_poster(plan, photo, [style_image], start, params, net=tiny_net, control=control,
                           on_progress=lambda p: control.cancel(), resume_dir=folder)
    assert stopped.status == "stopped" and stopped.resumed_from is None
    first = plan.scales[0].plan.tiles[0]
    events = []
    resumed = paint_poster(plan, photo, [style_image], start, params, net=tiny_net, resume_dir=folder,
                           on_progress=events.append)
    assert resumed.status == "finished" and resumed.resumed_from == (0, 1)
    assert {e.tile_index for e in events} == set(range(1, len(plan.scales[0].plan.tiles)))  # tile 0 not redone
    only_first = np.ones((120, 160), bool)  # pixels no later tile paints over
    for tile in plan.scales[0].plan.tiles[1:]:
        tile.cut(only_first)[...] = False
    assert only_first.sum() > 100 and np.abs(stopped.image[only_first] - 0.5).max() > 0.01
    assert np.allclose(resumed.image[only_first], stopped.image[only_first], atol=1e-6)
    other = paint_poster(plan, photo[::-1].copy(), [style_image], start, params, net=tiny_net, resume_dir=folder,
                         on_progress=lambda p: None)
    assert other.resumed_from is None  # progress of other inputs is never continued


def test_the_same_command_continues_a_killed_poster_and_cleans_up(files, tmp_path, capsys, monkeypatch):
    import nst.cli_poster as cli_poster

    out = tmp_path / "poster.tiff"
    args = poster_args(files, out, "--size", "160", "--json")
    original = cli_poster.PosterProgressLines.__call__

    def killed_after_first_tile(self, p):
        original(self, p)
        raise SystemExit(137)  # the process dies here: no output file, only the progress folder

    import nst.poster

    small_tiles = nst.poster.plan_poster  # a tiny poster in several tiles, so there is a "last finished tile"
    monkeypatch.setattr(nst.poster, "plan_poster", lambda *a, **k: small_tiles(*a, **k, steps=(3,), max_tile=96,
                                                                               overlap=16))
    monkeypatch.setattr(cli_poster.PosterProgressLines, "__call__", killed_after_first_tile)
    with pytest.raises(SystemExit):
        main(args, **TINY)
    assert not out.exists() and (tmp_path / "poster.tiff.progress" / "state.json").is_file()
    monkeypatch.setattr(cli_poster.PosterProgressLines, "__call__", original)
    capsys.readouterr()
    assert main(args, **TINY) == 0
    captured = capsys.readouterr()
    assert "continuing an unfinished poster" in captured.err
    assert json.loads(captured.out)["resumed_from"] == [0, 1]
    assert out.is_file() and not (tmp_path / "poster.tiff.progress").exists()
