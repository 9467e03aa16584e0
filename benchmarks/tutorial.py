"""The competitor: TensorFlow's "Neural style transfer" tutorial recipe, re-implemented.

What the tutorial does (and so what this does): the image is a variable initialised to the
content photo; VGG19 (caffe preprocessing, max pooling) gives ``block5_conv2`` for content and
``block1..5_conv1`` for style; Grams are averaged over positions; the loss is

    1e-2 * mean over style layers of mean((G - A)^2)
  + 1e4  * mean((F - P)^2)
  + 30   * tf.image.total_variation(image)

minimised by Adam (learning rate 0.02, beta_1 0.99, epsilon 0.1, Keras' update rule with the
epsilon outside the bias correction) for 1000 steps, clipping the image to [0, 1] after each.
Both images are resized to 512 px on the long side.

It runs on this project's ``FeatureNet`` (the same VGG19 weights as plain ``tf.nn`` ops, so
it is at least as fast as the tutorial's Keras model) and its step is one ``tf.function``.
The loss is written out here independently of ``nst.losses``; a test checks that it equals
the engine's ``tf-tutorial`` recipe objective, which is what lets the benchmark run the
engine's optimiser on the tutorial's own objective.

The 1000-step result takes most of an hour on a 2-core CPU, so ``cached_result`` keeps it on
disk keyed by a hash of the inputs (``$NST_BENCH_CACHE``, default ``~/.cache/nst-studio/bench``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf

from benchmarks import SHARED_IMAGES
from nst.model import FeatureNet

CONTENT_LAYER = "block5_conv2"
STYLE_LAYERS = tuple(f"block{n}_conv1" for n in range(1, 6))
STYLE_WEIGHT, CONTENT_WEIGHT, TV_WEIGHT = 1e-2, 1e4, 30.0
LEARNING_RATE, BETA_1, BETA_2, EPSILON = 0.02, 0.99, 0.999, 0.1
RECIPE_VERSION = "tf-tutorial-v1"


def _gram(features: tf.Tensor) -> tf.Tensor:
    result = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return result / tf.cast(shape[1] * shape[2], tf.float32)


class Tutorial:
    """The tutorial's loss and Adam loop for one content/style pair at fixed sizes."""

    def __init__(self, net: FeatureNet, content: np.ndarray, style: np.ndarray) -> None:
        self.extract = net.extractor((*STYLE_LAYERS, CONTENT_LAYER), "max")
        self.content = np.asarray(content, np.float32)
        self.content_target = self.extract(tf.constant(self.content[None]))[CONTENT_LAYER]
        style_features = self.extract(tf.constant(np.asarray(style, np.float32)[None]))
        self.style_targets = {n: _gram(style_features[n]) for n in STYLE_LAYERS}
        self.image = tf.Variable(self.content[None])
        self.m = tf.Variable(tf.zeros_like(self.image))
        self.v = tf.Variable(tf.zeros_like(self.image))
        self.t = tf.Variable(0.0)
        self._step = tf.function(self._train_step)
        self._loss = tf.function(self._total_loss)

    def _total_loss(self, image: tf.Tensor) -> tf.Tensor:
        features = self.extract(image)
        style = tf.add_n([tf.reduce_mean((_gram(features[n]) - self.style_targets[n]) ** 2)
                          for n in STYLE_LAYERS]) * STYLE_WEIGHT / len(STYLE_LAYERS)
        content = tf.reduce_mean((features[CONTENT_LAYER] - self.content_target) ** 2) * CONTENT_WEIGHT
        return style + content + TV_WEIGHT * tf.reduce_sum(tf.image.total_variation(image))

    def _train_step(self) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = self._total_loss(self.image)
        grad = tape.gradient(loss, self.image)
        self.t.assign_add(1.0)
        self.m.assign(self.m + (grad - self.m) * (1.0 - BETA_1))
        self.v.assign(self.v + (tf.square(grad) - self.v) * (1.0 - BETA_2))
        alpha = LEARNING_RATE * tf.sqrt(1.0 - BETA_2 ** self.t) / (1.0 - BETA_1 ** self.t)
        self.image.assign(tf.clip_by_value(self.image - alpha * self.m / (tf.sqrt(self.v) + EPSILON), 0.0, 1.0))
        return loss

    def step(self) -> float:
        """One Adam step; returns the loss of the image before the step."""
        return float(self._step())

    def loss(self, image: np.ndarray) -> float:
        """The tutorial's objective of any image of the content's size."""
        return float(self._loss(tf.constant(np.asarray(image, np.float32)[None])))

    def result(self) -> np.ndarray:
        return self.image[0].numpy()

    def run(self, steps: int | None = None, seconds: float | None = None,
            on_step: Callable[[int, float], None] | None = None) -> int:
        """Run until ``steps`` steps or ``seconds`` of wall time (whichever is given); returns steps done."""
        started, done = time.perf_counter(), 0
        while (steps is None or done < steps) and (seconds is None or time.perf_counter() - started < seconds):
            loss = self.step()
            done += 1
            if on_step:
                on_step(done, loss)
        return done

    def step_time(self, steps: int = 10) -> float:
        """Median seconds per step over ``steps`` steps after one warm-up (tracing) step."""
        self.step()
        times = []
        for _ in range(steps):
            started = time.perf_counter()
            self.step()
            times.append(time.perf_counter() - started)
        return float(np.median(times))


@dataclass(frozen=True)
class TutorialResult:
    image: np.ndarray
    loss: float  # the tutorial's objective of the final image
    steps: int
    seconds: float  # how long computing it took (possibly on a busy machine; not a benchmark)


def cache_dir() -> Path:
    return Path(os.environ.get("NST_BENCH_CACHE") or Path.home() / ".cache" / "nst-studio" / "bench")


def input_key(content: np.ndarray, style: np.ndarray, steps: int, weights_id: str) -> str:
    digest = hashlib.sha256()
    for part in (RECIPE_VERSION, str(steps), weights_id, str(content.shape), str(style.shape)):
        digest.update(part.encode())
    digest.update(np.ascontiguousarray(content, np.float32).tobytes())
    digest.update(np.ascontiguousarray(style, np.float32).tobytes())
    return digest.hexdigest()[:24]


def cached_result(net: FeatureNet, content: np.ndarray, style: np.ndarray, steps: int = 1000,
                  log: Callable[[str], None] = print) -> TutorialResult:
    """The tutorial's ``steps``-step result, computed once per input and kept on disk."""
    key = input_key(content, style, steps, net.weights_id)
    path = cache_dir() / f"tutorial-{key}.npz"
    if path.exists():
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            return TutorialResult(data["image"], meta["loss"], meta["steps"], meta["seconds"])
    log(f"computing the tutorial's {steps}-step result once (cached as {path})")
    tutorial = Tutorial(net, content, style)
    started = time.perf_counter()

    def report(done: int, loss: float) -> None:
        if done % 50 == 0:
            log(f"  tutorial step {done}/{steps}: loss {loss:.4g} ({time.perf_counter() - started:.0f} s)")

    tutorial.run(steps=steps, on_step=report)
    result = TutorialResult(tutorial.result(), tutorial.loss(tutorial.result()), steps,
                            time.perf_counter() - started)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.npz")
    np.savez(partial, image=result.image, meta=json.dumps(
        {"loss": result.loss, "steps": steps, "seconds": result.seconds}))
    os.replace(partial, path)
    return result




def sample_pair(size: int, content: str = "tubingen", style: str = "starry_night") -> tuple[np.ndarray, np.ndarray] | None:
    """The sample photo and painting at ``size`` px long side, or None when ../shared is absent."""
    from nst.images import load_image
    from nst.resize import resize_long_side

    paths = SHARED_IMAGES / "content" / f"{content}.jpg", SHARED_IMAGES / "style" / f"{style}.jpg"
    if not all(p.exists() for p in paths):
        return None
    return tuple(resize_long_side(load_image(p, max_side=size).pixels, size) for p in paths)  # type: ignore[return-value]
