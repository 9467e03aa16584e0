"""Checks shared by every edge that takes text from a person: run numbers, text lengths, input files.

- :func:`parse_run_id`: ASCII digits only (``int()`` would take "１" or "٣" as run numbers) and no
  larger than SQLite's largest integer, so a huge id is a sentence, not an ``OverflowError``.
- :data:`MAX_TITLE` / :data:`MAX_NOTES` and :func:`check_title` / :func:`check_notes`: a 100,000
  character title made the gallery's first paint take 52 s; the CLI, the page and the store refuse it.
- :func:`input_file_problem`: why a path cannot be read as an input file (missing, a folder, a pipe,
  a device, a symlink loop), checked with ``stat`` only, so a FIFO with no writer never blocks us.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import stat
from pathlib import Path

from nst.errors import ParamsError, describe_os_error

MAX_ID = 2**63 - 1  # SQLite's INTEGER
MAX_TITLE = 200
MAX_NOTES = 5000
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_run_id(text: str, what: str = "a run number") -> int:
    """``"12"`` -> 12; anything but 1-19 ASCII digits up to :data:`MAX_ID` raises :class:`ParamsError`."""
    text = str(text).strip()
    if not _ASCII_DIGITS.fullmatch(text) or int(text) > MAX_ID:
        shown = text if len(text) <= 24 else text[:24] + "…"
        raise ParamsError(f"{shown!r} is not {what} (whole numbers 0 to {MAX_ID} in ASCII digits).")
    return int(text)


def check_title(title: str) -> str:
    if len(title) > MAX_TITLE:
        raise ParamsError(f"A title can have at most {MAX_TITLE} characters, not {len(title):,}.")
    return title


def check_notes(notes: str) -> str:
    if len(notes) > MAX_NOTES:
        raise ParamsError(f"Notes can have at most {MAX_NOTES:,} characters, not {len(notes):,}.")
    return notes


def _as_flag(check):
    """An argparse ``type=`` from a check: its sentence becomes argparse's error (exit 2, one line)."""
    def flag(text: str):
        try:
            return check(text)
        except ParamsError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    flag.__name__ = check.__name__  # argparse names the type in its messages
    return flag


run_id_arg = _as_flag(parse_run_id)
count_arg = _as_flag(lambda text: parse_run_id(text, "a number of runs"))
title_arg = _as_flag(check_title)


def input_file_problem(path: Path, what: str = "a file") -> str | None:
    """One sentence saying why ``path`` is no readable input file, or None when it is a regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return f"{path} is a link to a file that does not exist."
        return f"There is no file at {path}."
    except OSError as error:
        if error.errno == errno.ELOOP:
            return f"{path} is a symlink loop (links that point at each other), not a file."
        return f"Cannot read {path}: {describe_os_error(error)}."
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a folder, not {what}."
    if not stat.S_ISREG(info.st_mode):
        kind = "a pipe" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode) or \
            stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a special file"
        return (f"{path} is {kind}, not a regular file; save the data to a file first and pass that "
                "(process substitution such as <(cat photo.jpg) gives a pipe).")
    if not os.access(path, os.R_OK):
        return f"Cannot read {path}: permission denied."
    return None


def output_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written (checked before a long painting, not after), or None.

    Creates missing parent folders (writing would anyway) and a hidden temp file in the folder, which
    is the only honest test of a read-only disk, a full quota or a permission (``os.access`` lies as root).
    """
    import tempfile

    if path.is_dir():
        return f"Cannot write {path}: a folder with that name is in the way."
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"):
            pass
    except OSError as error:
        return f"Cannot write {path}: {describe_os_error(error)}."
    return None
