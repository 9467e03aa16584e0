"""Peak memory of one optimisation, planned before it runs.

One L-BFGS step keeps every activation of VGG19 up to the deepest layer the losses read (the
backward pass needs them) plus their gradients, so the peak grows with the pixels times the
activation elements per pixel. Two constants per precision turn that into bytes: the process
with TensorFlow and the network loaded (``BASE_BYTES``) and the bytes per activation element
(``BYTES_PER_ELEMENT``: forward values, their float32 copies for the losses, gradients and
TensorFlow's scratch). They are fitted to peak RSS measured by ``python -m benchmarks.poster``
(docs/poster.md), which also checks the estimate stays within +-20 % at 1024 and 2048 px.
"""

from __future__ import annotations

from typing import Iterable

from nst.errors import ParamsError
from nst.params import VGG19_CONV_LAYERS

GB = 1024**3
BASE_BYTES = 1.0 * GB
BYTES_PER_ELEMENT = {"bfloat16": 4.6, "float32": 11.5}
DEFAULT_BUDGET = 8 * GB
# float32 copies of the whole picture a tiled scale holds beside a tile's step (canvas, photo, best tile, blend,
# output, and the temporaries of resizing and blending them). Six are named in the code; the peaks measured at
# 4096 px and on the A3 poster held 10-13 (docs/poster.md), so the plan counts 12.
WHOLE_PICTURE_COPIES = 12
# What a print painted in the studio's process needs beyond what the plan counts for a fresh process: its
# pages, the gallery, the job's snapshots, TensorFlow's buffers kept from the coarser scales. Measured once:
# an A4 150 dpi print through the run page (benchmarks/poster_studio.py) peaked at 5.49 GB where the plan
# said 4.0 GB (docs/poster.md). A fixed amount, not the RSS of the moment: a print's plan (its tiles) must
# come out the same when the order is given again after a restart, or its kept progress is not resumed.
STUDIO_RESIDENT_BYTES = int(1.5 * GB)


def _channels(layer: str) -> int:
    block = int(layer[5])
    return {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}[block]


def elements_per_pixel(layers: Iterable[str]) -> float:
    """Activation elements per input pixel of VGG19 up to the deepest of ``layers`` (with pools)."""
    deepest = max(VGG19_CONV_LAYERS.index(name) for name in layers)
    total = 0.0
    for name in VGG19_CONV_LAYERS[: deepest + 1]:
        block = int(name[5])
        total += _channels(name) / 4 ** (block - 1)
        if name.endswith(("block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4")):
            total += _channels(name) / 4**block  # the pooled copy
    return total


def step_bytes(width: int, height: int, precision: str, layers: Iterable[str]) -> int:
    """Estimated peak RSS of optimising one ``width`` x ``height`` image (bytes)."""
    return int(BASE_BYTES + width * height * elements_per_pixel(layers) * BYTES_PER_ELEMENT[precision])


def tiled_bytes(width: int, height: int, tile_width: int, tile_height: int, precision: str,
                layers: Iterable[str]) -> int:
    """Estimated peak of a tiled scale: one tile's step plus the whole picture's float32 copies."""
    return step_bytes(tile_width, tile_height, precision, layers) + WHOLE_PICTURE_COPIES * width * height * 12


def largest_tile(budget: int, width: int, height: int, precision: str, layers: Iterable[str]) -> int:
    """Longest square tile side whose tiled scale stays under ``budget`` bytes (0: none fits)."""
    layers = tuple(layers)
    spare = budget - BASE_BYTES - WHOLE_PICTURE_COPIES * width * height * 12
    if spare <= 0:
        return 0
    pixels = spare / (elements_per_pixel(layers) * BYTES_PER_ELEMENT[precision])
    return int(pixels**0.5) // 16 * 16


def gigabytes(n_bytes: float) -> str:
    return f"{n_bytes / GB:.1f} GB"


WHOLE_UP_TO = 2048  # px long side: runs up to the Print preset always run whole, as they always have


def check_whole_run_fits(width: int, height: int, precision: str, layers: Iterable[str],
                         budget: int = DEFAULT_BUDGET) -> None:
    """Refuse, in one sentence, a whole (untiled) run above ``WHOLE_UP_TO`` px that would need more
    than ``budget``: such a run would be killed for memory partway (``nst stylize`` tiles it instead)."""
    needed = step_bytes(width, height, precision, layers)
    if max(width, height) > WHOLE_UP_TO and needed > budget:
        raise ParamsError(f"A {width} x {height} px picture needs about {gigabytes(needed)} in one piece, more "
                          f"than {gigabytes(budget)}: paint it with `nst stylize` (which tiles it) or `nst poster`, "
                          f"or choose at most {WHOLE_UP_TO} px.")


def largest_whole_side(width: int, height: int, precision: str, layers: Iterable[str],
                       budget: int = DEFAULT_BUDGET) -> int:
    """The longest side (a multiple of 16, at most ``WHOLE_UP_TO``) a whole run of this aspect fits in."""
    layers = tuple(layers)
    side = WHOLE_UP_TO
    while side > 256:
        w, h = _scaled(width, height, side)
        if step_bytes(w, h, precision, layers) <= budget:
            return side
        side -= 16
    return side


def _scaled(width: int, height: int, long_side: int) -> tuple[int, int]:
    factor = long_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))
