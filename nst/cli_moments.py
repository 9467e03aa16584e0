"""``nst gallery keep ID --snapshot STEP | --suggested | --final``: which moment of a run is its picture.

The kept moment (``nst.store.moments``) is what the gallery shows, downloads and ``gallery export``
writes; the final image stays kept. ``gallery show --json`` and ``list --json`` carry ``"moment"``:
``{"kept": {"step", "final"}, "suggested": {"rule", "step", "final", "reason", "overdone"} | null}``
(``show`` adds each moment's scorecard); the suggestion is null until the run and its snapshots are
scored (the job worker does it after the save; ``gallery rescore`` for older runs).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from nst.edges import run_id_arg
from nst.errors import StoreError
from nst.store import Store


def add_keep_command(gallery_commands) -> None:
    keep = gallery_commands.add_parser(
        "keep", help="make a snapshot of the run's final scale its picture (the final image stays kept)")
    keep.add_argument("run_id", type=run_id_arg)
    which = keep.add_mutually_exclusive_group(required=True)
    which.add_argument("--snapshot", type=run_id_arg, metavar="STEP", help="the snapshot at this step")
    which.add_argument("--suggested", action="store_true", help="the suggested moment (nst-moment-v1)")
    which.add_argument("--final", action="store_true", help="the final image again")
    keep.add_argument("--json", action="store_true")


def cmd_keep(args: argparse.Namespace, store: Store) -> int:
    step = args.snapshot
    if args.suggested:
        suggestion = store.run_moments([args.run_id])[args.run_id].suggestion
        if suggestion is None:
            raise StoreError(f"Run {args.run_id} has no suggested moment yet: its snapshots are not scored "
                             f"(python -m nst gallery rescore {args.run_id}).")
        step = suggestion.step
    store.keep_moment(args.run_id, step)
    kept = {"run_id": args.run_id, "step": step, "final": step is None}
    print(json.dumps(kept) if args.json else
          f"run {args.run_id} keeps " + ("its final image" if step is None else
                                         f"step {step} (the final image stays kept)"))
    return 0


def with_moments(store: Store, rows: list[dict[str, Any]], *, with_moments: bool = False) -> list[dict[str, Any]]:
    """Each JSON row with its ``"moment"`` (the kept and the suggested one)."""
    moments = store.run_moments([row["id"] for row in rows])
    return [{**row, "moment": moments[row["id"]].to_dict(with_moments=with_moments)} for row in rows]
