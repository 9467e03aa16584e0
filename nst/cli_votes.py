"""``nst gallery votes`` (the friends' ranking) and the sharing exports of ``nst gallery export``
(``--animation OUT``: the making-of; ``--sheet OUT``: the run's leaderboard as one PNG)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nst.encode import write_atomically
from nst.errors import NSTError, describe_os_error
from nst.store import Store


def add_votes_command(gallery_commands) -> None:
    votes = gallery_commands.add_parser("votes", help="the friends' Bradley-Terry ranking with 90 % intervals")
    votes.add_argument("--group", help="a sweep or comparison id (or a unique prefix); default: every photo")
    votes.add_argument("--json", action="store_true")


def add_share_flags(export: argparse.ArgumentParser) -> None:
    export.add_argument("--animation", metavar="OUT", help="write the making-of (.webp or .gif) instead")
    export.add_argument("--sheet", metavar="OUT", help="write the run's leaderboard as a labelled PNG instead")


def cmd_votes(args: argparse.Namespace, store: Store) -> int:
    from nst.leaderboard import pool_for, report

    result = report(store, pool_for(store, args.group))
    if args.json:
        print(json.dumps(result))
        return 0
    for run in result["runs"]:
        interval = "" if run["low"] is None else f"  [{run['low']:+.2f}, {run['high']:+.2f}]"
        print(f"{run['id']:5d}  rating {run['rating']:+.2f}{interval}  {run['votes']} votes")
    print(json.dumps(result["agreement"], indent=1))
    return 0


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomically(path, data)
    except OSError as error:
        raise NSTError(f"Cannot write {path}: {describe_os_error(error)}.") from None


def cmd_share_export(args: argparse.Namespace, store: Store) -> int:
    """``export ID --animation OUT`` / ``--sheet OUT``; prints the path (or ``{"output": path}``)."""
    from nst.leaderboard import board_sheet, pool_of_run
    from nst.making_of import animation_bytes, animation_format, run_frames

    if args.animation:
        out = Path(args.animation).expanduser()
        _write(out, animation_bytes(run_frames(store, args.run_id), animation_format(out)))
    else:
        out = Path(args.sheet).expanduser()
        _write(out, board_sheet(store, pool_of_run(store, args.run_id)))
    print(json.dumps({"output": str(out)}) if args.json else out)
    return 0
