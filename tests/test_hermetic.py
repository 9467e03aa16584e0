"""The suite stays out of the user's own gallery and caches (bug: tests filled ~/.local/share/nst-studio)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hermetic import created_under, listing, real_dirs

REPO = Path(__file__).resolve().parents[1]


def _real_roots() -> list[Path]:
    import conftest

    return conftest.REAL_DIRS


def test_a_test_and_its_subprocesses_get_their_own_gallery_and_caches(isolated_dirs, tmp_path_factory) -> None:
    script = ("import json, os\n"
              "from nst.store.db import default_data_dir\n"
              "from nst.weights import default_cache_dir, keras_cache_path\n"
              "print(json.dumps([str(default_data_dir()), str(default_cache_dir()), str(keras_cache_path())]))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    paths = [Path(p) for p in json.loads(out.stdout)]
    base = tmp_path_factory.getbasetemp()
    assert all(base in p.parents for p in paths), paths
    assert str(paths[0]) == isolated_dirs["NST_DATA_DIR"]
    real = _real_roots()
    assert not any(r == p or r in p.parents for p in paths for r in real)


def test_each_test_gets_different_folders(isolated_dirs, tmp_path_factory) -> None:
    from nst.store.db import default_data_dir

    assert default_data_dir() == Path(isolated_dirs["NST_DATA_DIR"])
    assert Path(isolated_dirs["NST_DATA_DIR"]).parent.parent.parent == tmp_path_factory.getbasetemp()


def test_the_session_check_sees_what_appeared_in_the_real_folders(tmp_path) -> None:
    env = {"HOME": str(tmp_path / "home")}
    dirs = real_dirs(env)
    assert tmp_path / "home" / ".local" / "share" / "nst-studio" in dirs and tmp_path / "home" / ".keras" in dirs
    keras = tmp_path / "home" / ".keras"
    keras.mkdir(parents=True)
    (keras / "keras.json").write_text("{}")  # there before the run: not the tests' doing
    before = listing(dirs)
    assert created_under(dirs, before) == []
    gallery = tmp_path / "home" / ".local" / "share" / "nst-studio"
    gallery.mkdir(parents=True)
    (gallery / "gallery.sqlite3").write_bytes(b"")
    assert created_under(dirs, before) == [gallery, gallery / "gallery.sqlite3"]
    xdg = real_dirs({"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert tmp_path / "xdg" / "nst-studio" in xdg
