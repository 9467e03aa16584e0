"""Keeping the suite out of the user's own gallery and caches (bug: the tests once filled ``~/.local/share``).

``isolated_env(root)`` is the environment that points every data and cache directory the studio (and
Keras) uses into ``root``; ``real_dirs()`` names the user's own ones, and ``created_under`` tells what
appeared in them since a ``listing``, so conftest can fail a run that wrote there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def isolated_env(root: Path) -> dict[str, str]:
    """Variables that send the gallery, our caches and Keras' home into folders under ``root``."""
    return {
        "NST_DATA_DIR": str(root / "data" / "nst-studio"),
        "XDG_DATA_HOME": str(root / "data"),
        "NST_CACHE_DIR": str(root / "cache" / "nst"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "KERAS_HOME": str(root / "keras"),
    }


def real_dirs(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The user's own gallery and cache folders, as the studio and Keras would find them without our variables."""
    home = Path(environ.get("HOME") or Path.home())
    data = Path(environ["XDG_DATA_HOME"]) if environ.get("XDG_DATA_HOME") else home / ".local" / "share"
    dirs = [data / "nst-studio", home / ".local" / "share" / "nst-studio", home / ".cache" / "nst",
            home / ".cache" / "nst-studio", home / ".keras"]
    if environ.get("XDG_CACHE_HOME"):
        dirs += [Path(environ["XDG_CACHE_HOME"]) / "nst", Path(environ["XDG_CACHE_HOME"]) / "nst-studio"]
    return sorted(set(dirs))


def listing(dirs: list[Path]) -> set[Path]:
    """Every file and folder at or under ``dirs`` (the folders themselves included when they exist)."""
    found: set[Path] = set()
    for top in dirs:
        if not top.exists():
            continue
        found.add(top)
        for folder, subdirs, files in os.walk(top):
            found.update(Path(folder) / name for name in (*subdirs, *files))
    return found


def created_under(dirs: list[Path], before: set[Path]) -> list[Path]:
    """What exists under ``dirs`` now that did not at ``before = listing(dirs)``."""
    return sorted(listing(dirs) - before)
