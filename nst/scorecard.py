"""A second yardstick for pictures: measures that are NOT the objective the engine optimises.

``nst score`` (nst.score) reports the frozen loss, which an optimiser can game: a run that
copies a face from the painting lowers the Gram error at block5 just as well as one that
paints brushwork. The scorecard looks at a result with other eyes, so that a change of the
default can be judged by numbers it was not tuned against:

- ``structure``: how much of the photo's layout survives. Pearson correlation between the
  cosine self-similarity matrices of the result's and the photo's relu3_1 features on a
  coarse grid (after Kolkin et al. 2019, STROTSS). 1 = the same layout; the photo itself
  scores 1; a pasted-over region lowers it. Insensitive to colour and texture, which is the
  point: it asks "are the bridge and the hills still where they were", not "does it look
  like the photo".
- ``style_gap``: how far the result's feature distribution still is from the painting's,
  as a share of how far the photo was: sliced Wasserstein distance of relu1_2, relu2_2 and
  relu3_2 features (layers the loss does not use, and a whole-distribution statistic where
  the loss uses Gram matrices), result vs painting divided by photo vs painting. 0 = the
  painting's feature statistics, 1 = no closer than the photo.
- ``colour_gap``: the same ratio for the pixels' colours (sliced Wasserstein distance of RGB
  values). Lower = the painting's palette.
- ``copied``: the object-copying measure. At relu5_1 (features that encode object parts:
  eyes, faces, hands, stars), the share of the result's positions whose best match among the
  painting's positions is better, by a margin, than their best match anywhere in the photo
  *and* anywhere in the painting's brushwork alone — i.e. places where the result shows some
  specific spot of the painting rather than a painted version of the photo. "Brushwork alone"
  is the painting cut into cells of the layer's own stride (16 px) and shuffled (eight fixed
  shuffles, ``TEXTURE_SHUFFLES``): whatever one cell holds (strokes, dashes, paper grain) survives,
  an arrangement spanning cells (a face, an eye with its brow, a figure) does not. The photo itself scores 0;
  a photo with a patch of the painting pasted in scores about the patch's share; the painting's
  stroked background painted into a plain sky scores about 0 (tests/test_scorecard.py checks
  all three). Version 1 compared with the photo only, so strokes in a sky with nothing in the
  photo to match them read as copied: 0.13 on our own pictures without any object, 0.37 on
  jcjohnson's published Tübingen × Scream (docs/quality.md, "The copying measure, version 2").
  relu4_1 was tried first and rejected: there strong brushwork alone (jcjohnson's Tübingen x
  Starry Night, no stars in it) read as more "copied" than a result with stars pasted into the
  sky (docs/quality.md).

Everything is computed at ``EVAL_SIZE`` px long side whatever the run's size, on the same
VGG19 weights as the engine, so numbers compare across run sizes. Versioned like the score:
change a definition, change ``SCORECARD_VERSION``.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
import tensorflow as tf

from nst.resize import resize_long_side, resize_to
from nst.model import Extractor, FeatureNet
from nst.picture_key import PictureKey
from nst.scorecard_measures import SCORECARD_VERSION, blended

EVAL_SIZE = 256
STRUCTURE_LAYER = "block3_conv1"
STRUCTURE_GRID = 32  # positions on the long side of the self-similarity grid
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv2")
COPY_LAYER = "block5_conv1"
COPY_MARGIN = 0.1  # cosine similarity; the painting must match this much better than the photo
COPY_CELL = 16  # px at EVAL_SIZE: block5_conv1's stride, the painting is shuffled in cells of this size
# (seed, axis) of the shuffled paintings that stand for its brushwork alone: four whole shuffles, and two
# within rows and two within columns so that the squares along every edge are also seen at an edge. With
# half as many, another set of seeds moved one of our runs from 0.000 to 0.023 (docs/quality.md)
TEXTURE_SHUFFLES = ((0, None), (1, None), (2, None), (3, None), (4, 1), (5, 1), (6, 0), (7, 0))
PROJECTIONS = 64  # random directions of the sliced Wasserstein distances (fixed seed)
SAMPLES = 4096  # positions sampled per distribution (fixed seed), so big layers cost the same
LAYERS = (STRUCTURE_LAYER, *STYLE_LAYERS, COPY_LAYER)


@dataclass(frozen=True)
class Scorecard:
    structure: float  # higher = more of the photo's layout kept (1 = all)
    style_gap: float  # lower = closer to the painting's feature statistics (1 = no closer than the photo)
    colour_gap: float  # lower = closer to the painting's palette (1 = no closer than the photo)
    copied: float  # share of the picture showing specific spots of the painting (0 = none)

    def to_dict(self) -> dict[str, Any]:
        return {"version": SCORECARD_VERSION, **asdict(self)}


def scorecard(result: np.ndarray, photo: np.ndarray, painting: np.ndarray, net: FeatureNet) -> Scorecard:
    """The four measures of ``result`` (any size; resized to the photo's aspect) for one pair."""
    return reference(photo, painting, net).measure(result)


def reference(photo: np.ndarray, painting: np.ndarray, net: FeatureNet) -> "Reference":
    """The photo and painting measured, kept per process by their pixels: the studio measures run after
    run against the same pair, and a run's snapshots against its own (docs/speed.md)."""
    return _kept_reference(net, PictureKey(resize_long_side(np.asarray(photo, np.float32), EVAL_SIZE)),
                           PictureKey(resize_long_side(np.asarray(painting, np.float32), EVAL_SIZE)))


@functools.lru_cache(maxsize=4)
def _kept_reference(net: FeatureNet, photo: PictureKey, painting: PictureKey) -> "Reference":
    return Reference(photo.array, painting.array, net)


class Reference:
    """A photo and a painting measured once, so that each picture measured against them (a run's result,
    its snapshots) costs one network pass instead of three. Keeps only what ``measure`` compares with
    (a few MB at 256 px; the full features would be ~50 MB)."""

    def __init__(self, photo: np.ndarray, painting: np.ndarray, net: FeatureNet) -> None:
        self.photo = resize_long_side(np.asarray(photo, np.float32), EVAL_SIZE)
        painting = resize_long_side(np.asarray(painting, np.float32), EVAL_SIZE)
        self._extract = net.extractor(LAYERS)
        photo_features = self._extract(tf.constant(self.photo[None]))
        painting_features = self._extract(tf.constant(painting[None]))
        self._photo = {n: photo_features[n] for n in (STRUCTURE_LAYER, COPY_LAYER)}
        self._painting_copy = painting_features[COPY_LAYER]
        self._painting_texture = painting_texture(painting, self._extract)
        self._painting_sorted = {n: _sorted_projections(painting_features[n]) for n in STYLE_LAYERS}
        self._painting_colours = _sorted_projections(painting)
        self._photo_style_distance = sum(_distance(_sorted_projections(photo_features[n]), self._painting_sorted[n])
                                         for n in STYLE_LAYERS)
        self._photo_colour_distance = _distance(_sorted_projections(self.photo), self._painting_colours)

    def measure(self, result: np.ndarray) -> Scorecard:
        height, width = self.photo.shape[:2]
        result = resize_to(np.asarray(result, np.float32), width, height)
        feats = self._extract(tf.constant(result[None]))
        style_distance = sum(_distance(_sorted_projections(feats[n]), self._painting_sorted[n]) for n in STYLE_LAYERS)
        return Scorecard(
            structure=structure_kept(feats[STRUCTURE_LAYER], self._photo[STRUCTURE_LAYER]),
            style_gap=_gap_ratio(style_distance, self._photo_style_distance),
            colour_gap=_gap_ratio(_distance(_sorted_projections(result), self._painting_colours),
                                  self._photo_colour_distance),
            copied=copied_share(feats[COPY_LAYER], self._photo[COPY_LAYER], self._painting_copy,
                                self._painting_texture),
        )


def structure_kept(result_features: tf.Tensor, photo_features: tf.Tensor) -> float:
    """Correlation of the two images' self-similarity matrices on a coarse grid."""
    a, b = _self_similarity(result_features), _self_similarity(photo_features)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (np.sqrt((a * a).sum() * (b * b).sum()) + 1e-12))


def _self_similarity(features: tf.Tensor) -> np.ndarray:
    h, w = int(features.shape[1]), int(features.shape[2])
    factor = STRUCTURE_GRID / max(h, w)
    grid = (max(1, round(h * factor)), max(1, round(w * factor)))
    pooled = tf.image.resize(features, grid, method="area")
    unit = _unit_rows(pooled)
    return unit @ unit.T


def copied_share(result: tf.Tensor, photo: tf.Tensor, painting: tf.Tensor, texture: Sequence[tf.Tensor] = (),
                 margin: float = COPY_MARGIN) -> float:
    """Share of result positions matching the painting better, by ``margin`` (cosine), than the photo and
    than every one of ``texture`` (the painting's brushwork alone, ``shuffled_cells``)."""
    return float(np.mean(copied_positions(result, photo, painting, texture, margin)))


def copied_positions(result: tf.Tensor, photo: tf.Tensor, painting: tf.Tensor, texture: Sequence[tf.Tensor] = (),
                     margin: float = COPY_MARGIN) -> np.ndarray:
    """[H,W] bool map over the result's positions: True where it shows a spot of the painting."""
    r = _unit_rows(result)
    best_painting = (r @ _unit_rows(painting).T).max(axis=1)
    best_elsewhere = np.max([(r @ _unit_rows(other).T).max(axis=1) for other in (photo, *texture)], axis=0)
    return (best_painting > best_elsewhere + margin).reshape(int(result.shape[1]), int(result.shape[2]))


def painting_texture(painting: np.ndarray, extract: Extractor) -> list[tf.Tensor]:
    """The copying layer's features of the painting's brushwork alone (``TEXTURE_SHUFFLES`` shuffles of its
    ``COPY_CELL`` cells); none for a painting too small to hold one cell each way."""
    if min(painting.shape[:2]) < COPY_CELL:
        return []
    return [extract(tf.constant(shuffled_cells(painting, COPY_CELL, seed, axis)[None]))[COPY_LAYER]
            for seed, axis in TEXTURE_SHUFFLES]


def shuffled_cells(image: np.ndarray, cell: int, seed: int, axis: int | None = None) -> np.ndarray:
    """``image`` cut into ``cell`` x ``cell`` squares (the edge remainder dropped) put back in a fixed random
    order: all of them (``axis=None``), or within each row (``axis=1``) or each column (``axis=0``), which
    keeps each square's distance from two of the edges (VGG19's zero padding marks the squares there).
    What a square holds stays; anything spanning squares in a shuffled direction is scattered."""
    rows, cols = image.shape[0] // cell, image.shape[1] // cell
    cells = image[: rows * cell, : cols * cell].reshape(rows, cell, cols, cell, -1).swapaxes(1, 2)
    rng = np.random.default_rng(seed)
    if axis is None:
        cells = cells.reshape(rows * cols, *cells.shape[2:])[rng.permutation(rows * cols)].reshape(cells.shape)
    elif axis == 1:
        cells = np.stack([row[rng.permutation(cols)] for row in cells])
    else:
        cells = np.stack([cells[rng.permutation(rows), c] for c in range(cols)], axis=1)
    return np.ascontiguousarray(cells.swapaxes(1, 2).reshape(rows * cell, cols * cell, -1))


def sliced_wasserstein(a: tf.Tensor | np.ndarray, b: tf.Tensor | np.ndarray) -> float:
    """Sliced 1-Wasserstein distance between the channel vectors of two images or feature maps."""
    return _distance(_sorted_projections(a), _sorted_projections(b))


def _sorted_projections(values: tf.Tensor | np.ndarray) -> np.ndarray:
    """The sampled channel vectors projected on ``PROJECTIONS`` fixed directions, sorted per direction."""
    x = _sample_rows(values)
    directions = np.random.default_rng(0).normal(size=(x.shape[1], PROJECTIONS))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return np.sort(x @ directions, axis=0)


def _distance(a_sorted: np.ndarray, b_sorted: np.ndarray) -> float:
    return float(np.mean(np.abs(a_sorted - b_sorted)))


def _sample_rows(values: tf.Tensor | np.ndarray) -> np.ndarray:
    """SAMPLES rows (positions) of the channel vectors, the same positions for the same shape."""
    array = np.asarray(values, np.float64)
    rows = array.reshape(-1, array.shape[-1])
    index = np.random.default_rng(1).choice(len(rows), SAMPLES, replace=len(rows) < SAMPLES)
    return rows[np.sort(index)]


def _unit_rows(features: tf.Tensor) -> np.ndarray:
    rows = np.asarray(features, np.float64).reshape(-1, int(features.shape[-1]))
    return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-8)


def _gap_ratio(result_distance: float, photo_distance: float) -> float:
    return float(result_distance / photo_distance) if photo_distance > 0 else 0.0


def run_scorecard(result: np.ndarray, photo: np.ndarray, paintings: Sequence[np.ndarray], blend: Sequence[float],
                  net: FeatureNet) -> dict[str, Any]:
    """A run's scorecard as stored: against each painting, then their blend-weighted mean."""
    return moment_scorecards([result], photo, paintings, blend, net)[0]


def moment_scorecards(pictures: Sequence[np.ndarray], photo: np.ndarray, paintings: Sequence[np.ndarray],
                      blend: Sequence[float], net: FeatureNet) -> list[dict[str, Any]]:
    """The stored scorecard of each of one run's pictures (its snapshots), the photo and paintings measured once."""
    references = [reference(photo, painting, net) for painting in paintings]
    return [{"version": SCORECARD_VERSION, **blended([asdict(r.measure(p)) for r in references], blend)}
            for p in pictures]
