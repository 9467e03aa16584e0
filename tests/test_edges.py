"""Issue 18, the edges: hostile text, huge ids, odd input files, bad ``-o``, Pillow's warnings (CLI side)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.errors import NSTError
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams
from nst.store import Store
from saved_runs import run_to_save
from test_gallery import fake_result, picture

ROOT = Path(__file__).resolve().parents[1]
HUGE = "9223372036854775808"  # 2**63: one more than SQLite's largest integer


@pytest.fixture
def pictures(tmp_path, content_image, style_image):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    Image.fromarray((content_image * 255).astype(np.uint8)).save(content)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(style)
    return content, style


def stylize(content, style, out, *extra):
    return ["stylize", "--content", str(content), "--style", str(style), "-o", str(out),
            "--size", "64", "--scales", "1", "--iterations", "2", *extra]


class Factory:
    """A tiny network factory that remembers whether painting got as far as building the net."""

    def __init__(self, before=None):
        self.calls = 0
        self.before = before

    def __call__(self, weights):
        self.calls += 1
        if self.before:
            self.before()
        return tiny_feature_net_for_tests(seed=0)


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def one_run(tmp_path, monkeypatch) -> int:
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    with Store() as store:
        return store.save(run_to_save(fake_result(0, StyleParams(size=64)), content=picture(1),
                                      styles=[picture(7, 20, 20)], content_name="a.png", style_names=["s.png"]))


# ---------------------------------------------------------------------------- 4: title and notes caps


def test_the_store_refuses_titles_over_200_and_notes_over_5000(one_run) -> None:
    with Store() as store:
        store.rename(one_run, "t" * 200)
        store.set_notes(one_run, "n" * 5000)
        with pytest.raises(NSTError, match="200"):
            store.rename(one_run, "t" * 201)
        with pytest.raises(NSTError, match="5,000|5000"):
            store.set_notes(one_run, "n" * 5001)
        with pytest.raises(NSTError, match="200"):
            store.save(run_to_save(fake_result(1, StyleParams(size=64)), content=picture(1), styles=[picture(7)],
                                   title="x" * 100_000))
        record = store.get_run(one_run)
        assert (len(record.title), len(record.notes)) == (200, 5000)
        assert store.count_runs() == 1


def test_cli_refuses_a_long_title_before_painting(pictures, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    factory = Factory()
    code = main(stylize(*pictures, tmp_path / "o.png", "--save", "--title", "x" * 201), net_factory=factory)
    assert code == 2 and factory.calls == 0
    assert "200" in one_line(capsys.readouterr().err)


# ---------------------------------------------------------------------------- 6: huge and non-ASCII ids


@pytest.mark.parametrize("argv", [["gallery", "show", HUGE], ["gallery", "export", HUGE], ["gallery", "delete", HUGE],
                                  ["gallery", "list", "--limit", "99999999999999999999"],
                                  ["gallery", "show", "-1"], ["gallery", "delete", "\uff11"],
                                  ["gallery", "delete", "\u0661"], ["gallery", "show", "\u00b2"]])
def test_huge_or_non_ascii_ids_are_one_sentence(one_run, argv, capsys) -> None:
    assert main(argv) == 2
    one_line(capsys.readouterr().err)
    with Store() as store:
        assert store.count_runs() == 1  # `delete １` does not delete run 1


# ---------------------------------------------------------------------------- 7: Pillow's warnings


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds none (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [12_000, 14_000])  # 144 MP (Pillow warns) and 196 MP
def test_a_huge_header_gives_only_the_projects_line(pictures, tmp_path, side) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_header(side, side))
    done = subprocess.run([sys.executable, "-m", "nst", *stylize(big, pictures[1], tmp_path / "o.png")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "megapixel" in line and "Warning" not in done.stderr and "warn" not in done.stderr


# ---------------------------------------------------------------------------- 9: -o checked before painting


def test_an_unwritable_output_is_refused_before_painting(pictures, tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    factory = Factory()
    assert main(stylize(*pictures, blocker / "out.png"), net_factory=factory) == 2
    assert factory.calls == 0
    assert "out.png" in one_line(capsys.readouterr().err)


def test_with_save_the_run_is_kept_when_the_output_cannot_be_written(pictures, tmp_path, monkeypatch,
                                                                     capsys) -> None:
    import shutil

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    folder = tmp_path / "out"
    folder.mkdir()
    factory = Factory(before=lambda: (shutil.rmtree(folder), folder.write_text("x")))  # a file took its place
    code = main(stylize(*pictures, folder / "o.png", "--save"), net_factory=factory)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    with Store() as store:
        assert store.count_runs() == 1
        run_id = store.list_runs()[0].id
    assert f"run {run_id}" in err.splitlines()[-1]


# ---------------------------------------------------------------------------- 10: odd input files


def input_error(argv, capsys) -> str:
    assert main(argv, net_factory=Factory()) == 2
    return one_line(capsys.readouterr().err)


def test_devices_fifos_pipes_and_symlink_loops_get_sensible_messages(pictures, tmp_path, capsys) -> None:
    _, style = pictures
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    read_end, write_end = os.pipe()
    try:
        for path in ("/dev/zero", str(fifo), f"/dev/fd/{read_end}"):
            line = input_error(stylize(path, style, tmp_path / "o.png"), capsys)
            assert "is empty" not in line and "regular file" in line, line
    finally:
        os.close(read_end)
        os.close(write_end)
    (tmp_path / "a.jpg").symlink_to(tmp_path / "b.jpg")
    (tmp_path / "b.jpg").symlink_to(tmp_path / "a.jpg")
    line = input_error(stylize(tmp_path / "a.jpg", style, tmp_path / "o.png"), capsys)
    assert "There is no file" not in line and "loop" in line, line


def test_params_on_a_fifo_with_no_writer_does_not_block(pictures, tmp_path) -> None:
    fifo = tmp_path / "params.json"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "nst", *stylize(*pictures, tmp_path / "o.png", "--params", fifo)],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "regular file" in one_line(done.stderr)


# ---------------------------------------------------------------------------- also: the file watcher


def test_the_file_watcher_is_off_with_a_documented_opt_in() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert "bash dev.sh app --server.fileWatcherType auto" in (ROOT / "README.md").read_text()
