"""The poster benchmark's ``analyse`` stage: seams, likeness, real detail and docs pictures.

Reads what the earlier stages left in ``OUT`` (``run.npy``, ``poster.npy``, ``print.npy``) and measures:

- seams: mean gradient energy in 4 px bands on the last scale's tile borders over bands at
  half-tile offsets (``nst.tiling.seam_ratio``; 1.0 = borders look like anywhere else);
- likeness: the scorecard's structure of the poster, downscaled, against the run;
- detail: Laplacian energy of the poster over that of a Lanczos enlargement of the run (an
  upscale scores 1), and the style gap of 100 % crops of the poster vs of the Print preset;
- pictures: the poster scaled down and 100 % crops across a tile corner (poster | Print | Lanczos),
  into docs/ (into ``OUT`` with ``--quick``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.poster import PAINTING, PHOTO, ROOT, poster_plan

CROP = 256  # px of a 100 % crop (smaller on --quick pictures)
CROP_PLACES = [(fy, fx) for fy in (0.3, 0.6) for fx in (0.25, 0.5, 0.75)]


def _uint8(pixels: np.ndarray) -> np.ndarray:
    return (np.clip(pixels, 0, 1) * 255 + 0.5).astype(np.uint8)


def lanczos(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(_uint8(pixels)).resize((width, height), Image.LANCZOS), np.float32) / 255


def laplacian_energy(pixels: np.ndarray) -> float:
    g = np.asarray(pixels, np.float32).mean(axis=2)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float((lap**2).mean())


def crop_style_gap(image: np.ndarray, photo: np.ndarray, painting: np.ndarray, net, n: int) -> float:
    """Mean scorecard style gap of ``n`` px crops at six places (``photo`` at ``image``'s size)."""
    from nst.scorecard import scorecard

    h, w = image.shape[:2]
    gaps = []
    for fy, fx in CROP_PLACES:
        y, x = min(int(h * fy), h - n), min(int(w * fx), w - n)
        gaps.append(scorecard(image[y:y + n, x:x + n], photo[y:y + n, x:x + n], painting, net).style_gap)
    return float(np.mean(gaps))


def _pictures(folder: Path, poster: np.ndarray, print_big: np.ndarray, enlarged: np.ndarray, plan) -> dict:
    from nst.resize import resize_long_side

    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(_uint8(resize_long_side(poster, min(1200, max(poster.shape[:2]))))).save(
        folder / "poster_scaled.jpg", quality=88)
    xs, ys = plan.scales[-1].plan.borders()
    h, w = poster.shape[:2]
    x, y = (xs[0] if xs else w // 2), (ys[0] if ys else h // 2)
    half = min(CROP, x, y, w - x, h - y)
    crops = [_uint8(a[y - half:y + half, x - half:x + half]) for a in (poster, print_big, enlarged)]
    Image.fromarray(np.concatenate(crops, axis=1)).save(folder / "poster_crops.jpg", quality=90)
    return {"crop_centre": [x, y]}


def analyse(args, report: dict) -> dict:
    """The analysis numbers (also written to ``OUT/analysis.json``)."""
    from nst.images import load_image
    from nst.resize import resize_to
    from nst.model import get_feature_net
    from nst.print_output import crop_to_aspect
    from nst.scorecard import scorecard
    from nst.tiling import seam_ratio

    out = Path(args.out)
    poster, run = np.load(out / "poster.npy"), np.load(out / "run.npy")
    plan = poster_plan(args, run)
    h, w = poster.shape[:2]
    start = crop_to_aspect(run, w, h)
    enlarged = lanczos(start, w, h)
    net = get_feature_net()
    painting = load_image(PAINTING).pixels
    photo = resize_to(crop_to_aspect(load_image(PHOTO).pixels, w, h), w, h)
    print_native = crop_to_aspect(np.load(out / "print.npy"), w, h)  # its 100 % crops are at its own size
    print_photo = resize_to(photo, print_native.shape[1], print_native.shape[0])
    print_big = resize_to(print_native, w, h)
    n = min(CROP, print_native.shape[0] // 3, print_native.shape[1] // 3)
    result = {
        "seam_ratio": round(seam_ratio(poster, plan.scales[-1].plan), 3) if plan.scales[-1].plan.tiled else None,
        "likeness_structure": round(scorecard(resize_to(poster, start.shape[1], start.shape[0]), start, painting,
                                              net).structure, 3),
        "laplacian_ratio": round(laplacian_energy(poster) / max(laplacian_energy(enlarged), 1e-12), 2),
        "style_gap_poster_crops": round(crop_style_gap(poster, photo, painting, net, n), 3),
        "style_gap_print_crops": round(crop_style_gap(print_native, print_photo, painting, net, n), 3),
    }
    result.update(_pictures(out if args.quick else ROOT / "docs", poster, print_big, enlarged, plan))
    (out / "analysis.json").write_text(json.dumps(result))
    return result
