"""What the CLI's commands share: exit codes, quiet TensorFlow start-up, input files read with their notes,
the init-image and mask flags, and a run's inputs named by their files (``nst.cli`` parses and dispatches;
``nst.cli_batch`` runs batches)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from nst.errors import ParamsError
from nst.params import StyleParams
from nst.run_types import RunInputs

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

NetFactory = Callable[[str | None], object]


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what C++ libraries write straight to file descriptor 2 while TensorFlow starts.

    TF_CPP_MIN_LOG_LEVEL (nst/__init__.py) does not reach absl's messages from before its log
    is initialised ("Could not find cuda drivers ..."), so the descriptor itself is pointed at
    /dev/null for the duration; Python exceptions still propagate and are printed after it.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real descriptor 2 (an embedding host): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def load_input(path: str, max_side: int) -> np.ndarray:
    """The pixels of an input file, its notes (what loading changed) printed to stderr."""
    from nst.images import load_image

    loaded = load_image(path, max_side=max_side)
    for note in loaded.notes:
        print(f"note: {Path(path).name}: {note}", file=sys.stderr)
    return loaded.pixels


def add_input_flags(parser: argparse.ArgumentParser) -> None:
    """``--init-image``, ``--mask`` and ``--detail-mask``: pictures a run uses besides the photo and paintings."""
    parser.add_argument("--init-image", help="start from this image (e.g. a previous result)")
    parser.add_argument("--mask", help="mask image: white = stylise, black = keep the photo's look")
    parser.add_argument("--detail-mask",
                        help="mask image: white = keep this region's detail and colour (content counts more)")


def with_init_image(args: argparse.Namespace, params: StyleParams) -> StyleParams:
    """``--init-image`` makes a run start from that picture; ``--init image`` without one is refused."""
    if getattr(args, "init_image", None):
        return params.replace(init="image")
    if params.init == "image":
        raise ParamsError("--init image needs --init-image FILE.")
    return params


def load_masks(args: argparse.Namespace) -> dict[str, np.ndarray | None]:
    """The ``--mask`` / ``--detail-mask`` pictures as the engine's masks ("style", "detail"; None when not given)."""
    from nst.masks import load_mask

    return {kind: load_mask(path) if path else None
            for kind, path in (("style", getattr(args, "mask", None)), ("detail", getattr(args, "detail_mask", None)))}


def run_inputs(args: argparse.Namespace, content, styles, params: StyleParams, masks=None) -> RunInputs:
    """The pictures of a CLI run as the gallery keeps them, named by their files (the photo's file too)."""
    return RunInputs(content=content, styles=styles, blend=params.blend_weights(len(styles)),
                     content_name=Path(args.content).name, style_names=[Path(p).name for p in args.style],
                     masks=masks or {}, original=_file_bytes(args.content))


def _file_bytes(path: str) -> bytes | None:
    """The photo's file, kept with a saved run when bigger than the run's photo (for prints)."""
    try:
        return Path(path).read_bytes() if Path(path).is_file() else None
    except OSError:
        return None
