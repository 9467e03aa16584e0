"""The CLI's batches: ``sweep`` and ``compare``, in this process or as Ray tasks (nst.remote).

Only this process (the driver) writes the gallery, whichever backend painted the cells.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nst.cli_io import EXIT_INTERRUPTED, NetFactory, load_input, quiet_native_stderr, run_inputs
from nst.flags import parse_blend
from nst.params import StyleParams
from nst.run_types import RunInputs, RunLabels, RunToSave, result_png_metadata


def batch_items(args: argparse.Namespace) -> list:
    """The runs of a ``sweep`` (a grid over a base) or a ``compare`` (one per recipe), blended like the flags say."""
    from nst.batch import compare_items, parse_grid, sweep_items
    from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE

    blend = parse_blend(args.style_blend, len(args.style))
    if args.command == "sweep":
        base = StyleParams(size=args.size, seed=args.seed, style_blend=blend)
        return sweep_items(base, parse_grid(args.grid), preview=not args.full_quality)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    size = args.size or (StyleParams().size if args.native else COMPARE_SIZE)
    return [type(i)(i.label, i.row, i.col, i.params.replace(style_blend=blend))  # the runs blend too
            for i in compare_items(methods, size=size, seconds=args.seconds or COMPARE_SECONDS,
                                   native=args.native, seed=args.seed)]


def cmd_batch(args: argparse.Namespace, factory: NetFactory, net_spec=None) -> int:
    """``sweep`` and ``compare``: a batch of ordinary runs, optionally kept as one gallery group.

    In this process one after another, or (``--ray`` / ``NST_RAY_ADDRESS``) as Ray tasks in
    parallel; either way only this process writes the gallery. Exit 1 when some cells failed.
    """
    from nst.remote import ray_address

    address = ray_address(args.ray)
    items = batch_items(args)
    size = max(item.params.size for item in items)
    content = load_input(args.content, size)
    styles = [load_input(path, size) for path in args.style]
    keeper = _BatchKeeper(args, content, styles)
    try:
        if address is None:
            with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
                net = factory(args.weights)
            _run_batch_here(items, RunInputs(content, styles), keeper, net)
        else:
            from nst.remote import NetSpec, connect, run_batch_on_ray

            with quiet_native_stderr():  # TensorFlow (results unpickle into engine types) and Ray start-up lines
                import nst.engine  # noqa: F401

                connect(address)
            print(f"running {len(items)} cells as Ray tasks on {address}", file=sys.stderr)
            run_batch_on_ray(items, RunInputs(content, styles), address=address,
                             spec=net_spec or NetSpec(weights=args.weights),
                             on_result=lambda item, out: keeper.keep(item, out.result, out.score),
                             on_failure=keeper.failed)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        keeper.close()
        if address is not None:
            from nst.remote import release

            release()
    if args.json:
        rows = sorted(keeper.rows, key=lambda r: (r["row"], r["col"]))
        print(json.dumps({"kind": args.command, "backend": "local" if address is None else "ray",
                          "group_id": keeper.group_id, "items": rows}))
    return 1 if keeper.n_failed else 0


def _run_batch_here(items, inputs: RunInputs, keeper: "_BatchKeeper", net) -> None:
    from nst.batch import run_batch
    from nst.score import score_result

    print(net.description, file=sys.stderr)

    def keep(item, result) -> None:
        keeper.keep(item, result, score_result(result, inputs.content, inputs.styles, net))

    run_batch(items, inputs, net=net, on_result=keep)


class _BatchKeeper:
    """The driver's side of a batch: PNGs, gallery rows (one group) and the --json rows."""

    def __init__(self, args: argparse.Namespace, content, styles) -> None:
        self.args, self.content, self.styles = args, content, styles
        self.rows: list[dict[str, object]] = []
        self.n_failed = 0
        self.store = None
        self.group_id = None
        if args.save:
            from nst.store import Store, new_group_id

            self.store, self.group_id = Store(), new_group_id()

    def keep(self, item, result, score: float | None) -> None:
        from nst.encode import save_png

        args = self.args
        row: dict[str, object] = {"label": item.label, "row": item.row, "col": item.col, "status": result.status,
                                  "seconds": round(result.seconds, 3), "steps": result.steps, "score": score,
                                  "losses": result.losses.to_dict()}
        if args.output_dir:
            path = Path(args.output_dir) / f"{args.command}_{item.row}_{item.col}.png"
            save_png(path, result.image, metadata=result_png_metadata(result))
            row["output"] = str(path)
        if self.store is not None:
            labels = RunLabels(title=item.label, group_id=self.group_id, group_kind=args.command,
                               group_label=item.label, score=score, leakage=result.leakage.leakage if result.leakage else None)
            row["run_id"] = self.store.save(RunToSave(result, run_inputs(args, self.content, self.styles,
                                                                          item.params), labels))
        self.rows.append(row)
        print(f"{item.label}: {result.status}, {result.steps} steps, {result.seconds:.1f} s, score {score:.4g}",
              file=sys.stderr)

    def failed(self, failure) -> None:
        item = failure.item
        self.n_failed += 1
        self.rows.append({"label": item.label, "row": item.row, "col": item.col, "status": "failed",
                          "message": failure.message})
        print(f"error: {failure.message}", file=sys.stderr)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
