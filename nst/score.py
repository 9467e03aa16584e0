"""The yardstick: a frozen, versioned loss of ANY image against a content and style images.

``score_image`` is what ``python -m nst score`` prints. It deliberately does not read
``StyleParams`` defaults: the definition below is frozen under ``SCORE_VERSION``, so
changing the studio's defaults never changes a score. A new definition gets a new version.
Lower is better; scores are comparable only for the same content, styles, size and weights
file (its SHA-256 is part of the report).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import tensorflow as tf

from nst.run_types import LossTerms
from nst.resize import resize_long_side, resize_to
from nst.losses import LossForm, blended_style_targets, loss_terms
from nst.model import FeatureNet
from nst.picture_key import PictureKey

SCORE_VERSION = "nst-score-v1"
SCORE_FORM = LossForm(
    content_layers=(("block4_conv2", 1.0),),
    style_layers=tuple((f"block{n}_conv1", 1.0) for n in range(1, 6)),
    style_loss_form="relative",
    content_loss_form="relative",
    tv_form="squared_mean",
    pooling="max",
)
SCORE_WEIGHTS = {"content": 1.0, "style": 10.0, "tv": 1.0}


@dataclass(frozen=True)
class Score:
    terms: LossTerms
    size: tuple[int, int]
    weights_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.terms.total,
            "terms": self.terms.to_dict(),
            "definition": {
                "version": SCORE_VERSION,
                "content_layers": dict(SCORE_FORM.content_layers),
                "style_layers": dict(SCORE_FORM.style_layers),
                "normalisation": "relative squared error of features and of position-averaged Grams; "
                                 "TV = mean squared neighbour difference",
                "weights": SCORE_WEIGHTS,
                "pooling": SCORE_FORM.pooling,
            },
            "width": self.size[0],
            "height": self.size[1],
            "vgg19_weights_sha256": self.weights_id,
        }


def score_image(image: np.ndarray, content: np.ndarray, styles: Sequence[np.ndarray],
                net: FeatureNet, *, size: int = 512,
                blend: Sequence[float] | None = None) -> Score:
    """Score ``image`` (resized to the content's aspect at ``size`` long side)."""
    content = resize_long_side(content, size)
    height, width = content.shape[:2]
    image = resize_to(np.asarray(image, np.float32), width, height)
    styles = [resize_long_side(s, size) for s in styles]
    blend = blend or [1.0 / len(styles)] * len(styles)
    content_features, style_targets = _targets(net, PictureKey(content), tuple(PictureKey(s) for s in styles),
                                               tuple(blend))
    tensor = tf.constant(image[None])
    c, s, tv = (float(t) for t in loss_terms(
        net.extractor(SCORE_FORM.layers, SCORE_FORM.pooling)(tensor), tensor, content_features, style_targets,
        SCORE_FORM))
    total = SCORE_WEIGHTS["content"] * c + SCORE_WEIGHTS["style"] * s + SCORE_WEIGHTS["tv"] * tv
    return Score(LossTerms(total, c, s, tv), (width, height), net.weights_id)


@functools.lru_cache(maxsize=4)
def _targets(net: FeatureNet, content: PictureKey, styles: tuple[PictureKey, ...],
             blend: tuple[float, ...]) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """The content features and blended style Grams a score compares against: two of a score's three
    VGG19 passes, kept per photo and paintings (the studio scores run after run of the same pair)."""
    extract = net.extractor(SCORE_FORM.layers, SCORE_FORM.pooling)
    features = extract(tf.constant(content.array[None]))
    content_features = {n: features[n] for n, _ in SCORE_FORM.content_layers}
    return content_features, blended_style_targets(extract, [s.array for s in styles], blend, SCORE_FORM)


def score_result(result: Any, content: np.ndarray, styles: Sequence[np.ndarray], net: FeatureNet) -> float:
    """The score of an engine result, under its own size and style blend: how the studio, the CLI's
    ``--save`` and its batches all score a run before it goes to the gallery."""
    params = result.params
    return score_image(result.image, content, styles, net, size=params.size,
                       blend=list(params.blend_weights(len(styles)))).terms.total
