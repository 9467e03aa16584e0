"""Why a painting's objects get copied (issue #20): the measurements behind docs/quality.md.

    python -m benchmarks.copy_diagnosis balance [--size 512]
    python -m benchmarks.copy_diagnosis swap PHOTO PAINTING WITH.png WITHOUT.png [--region Y0,Y1,X0,X1]
    python -m benchmarks.copy_diagnosis scales PHOTO PAINTING --layers 1,1,1,.25,.0625/1,1,1,.25,0/... [--size 512]
    python -m benchmarks.copy_diagnosis overlay PHOTO PAINTING RESULT.png OUT.png

- ``balance``: jcjohnson/neural-style's style loss is ``100 * mean((G - A)^2)`` of Grams divided
  by C*H*W, i.e. ``100 * sum((G - A)^2) / C^4`` in our position-averaged Grams; ours divides by
  the painting's Gram energy ``sum(A^2)``. So his weight of each layer in our relative units is
  ``E / C^4``: printed per painting (normalised to sum 1) with his style weight in our units.
- ``swap``: which term of the objective pays for a copied object. The result's copied region
  (the scorecard's copied positions, or ``--region`` on the relu5_1 grid of the 256 px
  scorecard image) is replaced by the same region of a run without the object, and every
  weighted term of the #12 default's objective is evaluated on both.
- ``scales``: the coarse-to-fine schedule run scale by scale, each with its own style-layer
  weights (``/``-separated, coarse first), with the scorecard after every scale: does the object
  form at the coarse scale and stay, or at the fine one?
- ``overlay``: the result at 2x with the copied positions outlined.

PHOTO is a name in ../shared/images/content, PAINTING one in ../shared/images/style or
``drawn_portrait``. Needs the real VGG19 weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.drawn import DRAWN
from benchmarks import SHARED_IMAGES

LAYERS = tuple(f"block{n}_conv1" for n in range(1, 6))
V2_WEIGHTS = (1.0, 1.0, 1.0, 0.25, 0.0625)  # the default of issue #12


def _photo(images: Path, name: str) -> np.ndarray:
    from nst.images import load_image

    return load_image(images / "content" / f"{name}.jpg").pixels


def _painting(images: Path, name: str) -> np.ndarray:
    from nst.images import load_image

    return DRAWN[name]() if name in DRAWN else load_image(images / "style" / f"{name}.jpg").pixels


def _style_layers(weights: tuple[float, ...]) -> tuple[tuple[str, float], ...]:
    return tuple((name, w) for name, w in zip(LAYERS, weights) if w > 0)


# ---- jcjohnson's balance ---------------------------------------------------------------------
def jcjohnson_balance(painting: np.ndarray, photos: list[np.ndarray], net, size: int = 512):
    """(his per-layer weights in our relative units, normalised to sum 1; his style weight in our
    units against each photo, where ours is 10 with weights summing to 1)."""
    import tensorflow as tf

    from nst.losses import gram_matrix
    from nst.resize import resize_long_side

    extract = net.extractor((*LAYERS, "block4_conv2"))
    features = extract(tf.constant(resize_long_side(painting, size)[None]))
    energy = np.array([float(tf.reduce_sum(tf.square(gram_matrix(features[n])))) / features[n].shape[-1] ** 4
                       for n in LAYERS])
    style_weights = []
    for photo in photos:
        content = extract(tf.constant(resize_long_side(photo, size)[None]))["block4_conv2"]
        # his content loss 5 * mean((F - P)^2) is ours (relative) times 5 * mean(P^2)
        style_weights.append(100.0 * energy.sum() / (5.0 * float(tf.reduce_mean(tf.square(content)))))
    return energy / energy.sum(), style_weights


# ---- which term pays for the object -----------------------------------------------------------
def weighted_terms(image: np.ndarray, photo: np.ndarray, painting: np.ndarray, net,
                   weights: tuple[float, ...] = V2_WEIGHTS) -> dict[str, float]:
    """Each style layer's weighted term (style weight included), content and TV of the default
    objective with these layer weights, at the image's size."""
    import tensorflow as tf

    from nst.losses import LossForm, gram_matrix, loss_terms, style_layer_loss
    from nst.objective import Objective
    from nst.params import StyleParams
    from nst.resize import resize_long_side

    size = max(image.shape[:2])
    params = StyleParams(size=size, style_layers=_style_layers(weights))
    form = LossForm.from_params(params)
    objective = Objective(net, form)
    targets = objective.targets(resize_long_side(photo, size), [resize_long_side(painting, size)], [1.0])
    tensor = tf.constant(image[None])
    features = objective.extract(tensor)
    total = sum(w for _, w in form.style_layers)
    out = {name: params.style_weight * w / total
           * float(style_layer_loss(gram_matrix(features[name]), targets.style[name], "relative"))
           for name, w in form.style_layers}
    content, _, tv = loss_terms(features, tensor, targets.content, targets.style, form)
    out["content"], out["tv"] = params.content_weight * float(content), params.tv_weight * float(tv)
    return out


def histogram_terms(image: np.ndarray, painting: np.ndarray, net) -> dict[str, float]:
    """Risser et al.'s histogram loss per style layer, relative like ours: each channel's sorted
    activations against the painting's quantiles at as many points, ``sum((sort(F) - Q)^2) / sum(Q^2)``
    (the squared distance to the histogram-remapped features), painting at the image's size."""
    import tensorflow as tf

    from nst.resize import resize_long_side

    extract = net.extractor(LAYERS)
    mine = extract(tf.constant(image[None]))
    theirs = extract(tf.constant(resize_long_side(painting, max(image.shape[:2]))[None]))
    out = {}
    for name in LAYERS:
        a = np.sort(np.asarray(mine[name]).reshape(-1, mine[name].shape[-1]), axis=0)
        b = np.sort(np.asarray(theirs[name]).reshape(-1, theirs[name].shape[-1]), axis=0)
        quantiles = b[np.round(np.linspace(0, len(b) - 1, len(a))).astype(int)]
        out[f"hist {name}"] = float(np.sum((a - quantiles) ** 2) / np.sum(quantiles ** 2))
    return out


def copied_map(result: np.ndarray, photo: np.ndarray, painting: np.ndarray, net) -> np.ndarray:
    """The scorecard's copied positions ([H,W] bool on the relu5_1 grid of its 256 px image)."""
    import tensorflow as tf

    from nst.resize import resize_long_side, resize_to
    from nst.scorecard import COPY_LAYER, EVAL_SIZE, copied_positions, painting_texture

    photo = resize_long_side(photo, EVAL_SIZE)
    painting = resize_long_side(painting, EVAL_SIZE)
    height, width = photo.shape[:2]
    extract = net.extractor((COPY_LAYER,))
    feats = [extract(tf.constant(x[None]))[COPY_LAYER] for x in (resize_to(result, width, height), photo, painting)]
    return copied_positions(*feats, painting_texture(painting, extract))


def swap_region(with_object: np.ndarray, without: np.ndarray, photo: np.ndarray, painting: np.ndarray, net,
                region: tuple[int, int, int, int] | None = None) -> tuple[float, dict[str, float], dict[str, float]]:
    """(area swapped, terms with the object, terms with its region from ``without``)."""
    from nst.resize import resize_long_side, resize_to

    size = max(with_object.shape[:2])
    height, width = resize_long_side(photo, size).shape[:2]
    a, b = resize_to(with_object, width, height), resize_to(without, width, height)
    grid = copied_map(a, photo, painting, net).astype(np.float32)
    if region is not None:
        y0, y1, x0, x1 = region
        grid = np.zeros_like(grid)
        grid[y0:y1, x0:x1] = 1.0
    mask = (resize_to(grid, width, height) > 0.5)[..., None]
    swapped = np.where(mask, b, a)
    terms = [{**weighted_terms(x, photo, painting, net), **histogram_terms(x, painting, net)} for x in (a, swapped)]
    return float(mask.mean()), terms[0], terms[1]


# ---- per scale ---------------------------------------------------------------------------------
def per_scale(photo: np.ndarray, painting: np.ndarray, net, size: int,
              layer_weights: list[tuple[float, ...]]) -> list[tuple[int, np.ndarray]]:
    """The default schedule at ``size``, each scale with its own style-layer weights (coarse first),
    chained as the engine chains its scales; returns (scale size, result) after every scale."""
    from nst.engine import stylize
    from nst.params import StyleParams
    from nst.resize import resize_long_side
    from nst.run_types import RunInputs

    base = StyleParams(size=size)
    content = resize_long_side(photo, size)
    image, out = None, []
    for long_side, steps, weights in zip(base.scale_sizes(), base.scale_iterations(), layer_weights):
        params = base.replace(size=long_side, scales=1, iterations=steps, style_layers=_style_layers(weights),
                              init="content" if image is None else "image")
        image = stylize(RunInputs(content, [painting], init_image=image), params, net=net).image
        out.append((long_side, image))
    return out


def overlay(result: np.ndarray, photo: np.ndarray, painting: np.ndarray, net, path: Path) -> float:
    """Save the result at 2x with the copied positions outlined in red; returns the copied share."""
    from PIL import Image, ImageDraw

    from nst.encode import to_uint8

    grid = copied_map(result, photo, painting, net)
    picture = Image.fromarray(to_uint8(result))
    picture = picture.resize((picture.width * 2, picture.height * 2))
    draw = ImageDraw.Draw(picture)
    cell_h, cell_w = picture.height / grid.shape[0], picture.width / grid.shape[1]
    for y, x in zip(*np.nonzero(grid)):
        draw.rectangle([x * cell_w, y * cell_h, (x + 1) * cell_w - 1, (y + 1) * cell_h - 1], outline=(255, 0, 0),
                       width=2)
    picture.save(path)
    return float(grid.mean())


# ---- CLI ---------------------------------------------------------------------------------------
def _weights(text: str) -> tuple[float, ...]:
    return tuple(float(w) for w in text.split(","))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(SHARED_IMAGES))
    sub = parser.add_subparsers(dest="command", required=True)
    balance = sub.add_parser("balance")
    balance.add_argument("--size", type=int, default=512)
    swap = sub.add_parser("swap")
    for name in ("photo", "painting", "with_object", "without"):
        swap.add_argument(name)
    swap.add_argument("--region", help="Y0,Y1,X0,X1 on the scorecard's relu5_1 grid (default: its copied cells)")
    scales = sub.add_parser("scales")
    scales.add_argument("photo")
    scales.add_argument("painting")
    scales.add_argument("--layers", default="/".join([",".join(map(str, V2_WEIGHTS))] * 3))
    scales.add_argument("--size", type=int, default=512)
    scales.add_argument("--out", default="bench-out/copy_diagnosis")
    over = sub.add_parser("overlay")
    for name in ("photo", "painting", "result", "out"):
        over.add_argument(name)
    args = parser.parse_args(argv)
    images = Path(args.images)

    from nst.images import load_image
    from nst.model import get_feature_net

    net = get_feature_net()
    if args.command == "balance":
        photos = [load_image(p).pixels for p in sorted((images / "content").glob("*.jpg"))]
        names = [p.stem for p in sorted((images / "style").glob("*.jpg"))] + list(DRAWN)
        print("painting | " + " | ".join(LAYERS) + " | his style weight in our units (ours 10)")
        for name in names:
            weights, style = jcjohnson_balance(_painting(images, name), photos, net, args.size)
            print(f"{name} | " + " | ".join(f"{w:.2g}" for w in weights) + " | "
                  + ", ".join(f"{s:.0f}" for s in style))
    elif args.command == "swap":
        photo, painting = _photo(images, args.photo), _painting(images, args.painting)
        region = tuple(int(v) for v in args.region.split(",")) if args.region else None
        area, before, after = swap_region(load_image(Path(args.with_object)).pixels, load_image(Path(args.without)).pixels,
                                          photo, painting, net, region)  # type: ignore[arg-type]
        print(f"swapped {area:.3f} of the picture; weighted term: with the object -> swapped out (change)")
        for key in before:
            print(f"  {key}: {before[key]:.4f} -> {after[key]:.4f} ({after[key] - before[key]:+.4f})")
    elif args.command == "scales":
        from nst.encode import save_png
        from nst.scorecard import scorecard

        photo, painting = _photo(images, args.photo), _painting(images, args.painting)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for long_side, image in per_scale(photo, painting, net, args.size, [_weights(w) for w in args.layers.split("/")]):
            save_png(out / f"{args.photo}__{args.painting}__{long_side}.png", image)
            card = scorecard(image, photo, painting, net)
            print(f"{long_side} px: copied {card.copied:.3f}, style_gap {card.style_gap:.3f}, "
                  f"colour_gap {card.colour_gap:.3f}, structure {card.structure:.3f}")
    else:
        share = overlay(load_image(Path(args.result)).pixels, _photo(images, args.photo),
                        _painting(images, args.painting), net, Path(args.out))
        print(f"copied {share:.3f}: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
