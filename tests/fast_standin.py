"""A tiny stand-in for Magenta's TFLite pair: same tensors, same decoder trick, no network.

prediction: ``style_image`` [1,256,256,3] -> [1,1,1,100] whose first 3 values are the style's mean
colour (the rest 0). transfer: ``content_image`` [1,384,384,3] + bottleneck -> ``0.5 * content +
0.5 * colour**2 + 0.001 * decoder``, where ``decoder`` halves the content and doubles it back with a
RESIZE_NEAREST_NEIGHBOR to a constant 384 x 384, like the real model's decoder. The square makes the
colour non-linear in the bottleneck, so interpolating bottlenecks and averaging pictures differ.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf


def _convert(function, path: Path) -> None:
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])
    path.write_bytes(converter.convert())


def write_standin_pair(folder: Path) -> Path:
    """Write ``tiny_prediction.tflite`` and ``tiny_transfer.tflite`` into ``folder``; returns it."""

    @tf.function(input_signature=[tf.TensorSpec([1, 256, 256, 3], tf.float32, name="style_image")])
    def prediction(style_image):
        mean = tf.reduce_mean(style_image, axis=[1, 2], keepdims=True)
        return tf.pad(mean, [[0, 0], [0, 0], [0, 0], [0, 97]])

    @tf.function(input_signature=[tf.TensorSpec([1, 384, 384, 3], tf.float32, name="content_image"),
                                  tf.TensorSpec([1, 1, 1, 100], tf.float32, name="bottleneck")])
    def transfer(content_image, bottleneck):
        half = tf.nn.avg_pool2d(content_image, 2, 2, "VALID")
        decoder = tf.image.resize(half, [384, 384], method="nearest")
        colour = bottleneck[..., :3]
        return 0.5 * content_image + 0.5 * colour * colour + 0.001 * decoder

    folder.mkdir(parents=True, exist_ok=True)
    _convert(prediction, folder / "tiny_prediction.tflite")
    _convert(transfer, folder / "tiny_transfer.tflite")
    return folder
