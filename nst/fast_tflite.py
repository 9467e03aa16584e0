"""Magenta's arbitrary-image-stylization-v1-256 as the TFLite pair: run it at any content size.

The pair (TF Hub ``google/lite-model/magenta/arbitrary-image-stylization-v1-256/int8/...``):

- prediction network: ``style_image`` [1,256,256,3] in [0,1] -> the 100-d style bottleneck [1,1,1,100];
- transfer network: ``content_image`` [1,384,384,3] + bottleneck -> picture [1,384,384,3] in [0,1].

The transfer network is convolutional, but its decoder upsamples with RESIZE_NEAREST_NEIGHBOR ops whose
output sizes are *constants* baked for 384 x 384 (192, 384, 384). ``resize_tensor_input`` alone therefore
returns a 384 x 384 picture whatever the input. So for a content of H x W (a multiple of the encoder's
stride, 4) we rewrite those size constants in a copy of the model bytes to (192*H/384, 192*W/384) etc.
and build an interpreter for that size: the picture keeps the photo's own size and aspect, nothing is
squashed. Interpreters are cached per size (a studio preview re-uses the same size on every change).

Interpreter: ``tf.lite.Interpreter`` (TensorFlow is already a dependency; 2.21 warns that it will move
to ``ai-edge-litert``, which would be one more ~20 MB pin doing the same job). Its XNNPACK delegate
runs the int8 model on the CPU with ``num_threads`` threads. An interpreter is not thread-safe:
every call holds the model's lock.
"""

from __future__ import annotations

import collections
import os
import threading
import warnings
from pathlib import Path

import numpy as np

PREDICTION_GLOB = "*prediction*.tflite"
TRANSFER_GLOB = "*transfer*.tflite"
ENCODER_STRIDE = 4  # the transfer network halves the content twice before its decoder doubles it back
BOTTLENECK_SIZE = 100
CACHED_SIZES = 2  # interpreters kept (the preview size and the output size); each holds its activations


def find_pair(folder: Path) -> tuple[Path, Path] | None:
    """The (prediction, transfer) .tflite files in ``folder``, or None when it does not hold exactly one pair."""
    predictions, transfers = sorted(folder.glob(PREDICTION_GLOB)), sorted(folder.glob(TRANSFER_GLOB))
    if len(predictions) == 1 and len(transfers) == 1:
        return predictions[0], transfers[0]
    return None


def _interpreter(**kwargs):
    import tensorflow as tf

    with warnings.catch_warnings():  # "tf.lite.Interpreter is deprecated": a decision, see module docstring
        warnings.simplefilter("ignore")
        return tf.lite.Interpreter(num_threads=os.cpu_count() or 1, **kwargs)


def _resize_ops_sizes(model_bytes: bytearray) -> list[np.ndarray]:
    """Writable int32 views of every RESIZE_NEAREST_NEIGHBOR's constant output size, in ``model_bytes``."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAs(model_bytes, 0)
    graph = model.Subgraphs(0)
    resize = schema.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR
    views = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) != resize:
            continue
        data = model.Buffers(graph.Tensors(op.Inputs(1)).Buffer()).DataAsNumpy()
        if isinstance(data, np.ndarray) and data.size == 8:  # a constant [height, width]
            views.append(data.view(np.int32))
    return views


class TFLiteStylizer:
    """The prediction + transfer pair, with a transfer interpreter per content size."""

    def __init__(self, prediction: Path, transfer: Path) -> None:
        self.source = f"TFLite pair in {transfer.parent}"
        self._lock = threading.Lock()
        self._prediction = _interpreter(model_path=str(prediction))
        self._prediction.allocate_tensors()
        self._transfer_bytes = transfer.read_bytes()
        probe = _interpreter(model_content=self._transfer_bytes)
        inputs = probe.get_input_details()
        self._content_index = next(d["index"] for d in inputs if d["shape"][-1] == 3)
        self._bottleneck_index = next(d["index"] for d in inputs if d["shape"][-1] == BOTTLENECK_SIZE)
        content_input = next(d for d in inputs if d["index"] == self._content_index)
        self._native = (int(content_input["shape"][1]), int(content_input["shape"][2]))
        self._transfers: collections.OrderedDict[tuple[int, int], object] = collections.OrderedDict()

    def style_bottleneck(self, style_256: np.ndarray) -> np.ndarray:
        """The 100-d bottleneck of a 256 x 256 x 3 style image in [0,1]."""
        with self._lock:
            detail = self._prediction.get_input_details()[0]
            self._prediction.set_tensor(detail["index"], np.ascontiguousarray(style_256[None], np.float32))
            self._prediction.invoke()
            out = self._prediction.get_tensor(self._prediction.get_output_details()[0]["index"])
        return np.asarray(out, np.float32).reshape(BOTTLENECK_SIZE)

    def transfer(self, content: np.ndarray, bottleneck: np.ndarray) -> np.ndarray:
        """Paint ``content`` (H x W x 3 in [0,1], H and W multiples of 4) with ``bottleneck``."""
        height, width = content.shape[:2]
        with self._lock:
            interpreter = self._transfer_for(height, width)
            interpreter.set_tensor(self._content_index, np.ascontiguousarray(content[None], np.float32))
            interpreter.set_tensor(self._bottleneck_index,
                                   np.asarray(bottleneck, np.float32).reshape(1, 1, 1, BOTTLENECK_SIZE))
            interpreter.invoke()
            out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        return np.asarray(out[0], np.float32)

    def warm_up(self, height: int, width: int) -> None:
        """Build (and run once) the interpreter for this size, so a user's first call does not."""
        self.transfer(np.zeros((height, width, 3), np.float32), np.zeros(BOTTLENECK_SIZE, np.float32))

    def _transfer_for(self, height: int, width: int):
        key = (height, width)
        if key in self._transfers:
            self._transfers.move_to_end(key)
            return self._transfers[key]
        if height % ENCODER_STRIDE or width % ENCODER_STRIDE:
            raise ValueError(f"content size {width}x{height} is not a multiple of {ENCODER_STRIDE}")
        model_bytes = bytearray(self._transfer_bytes)
        native_h, native_w = self._native
        for size in _resize_ops_sizes(model_bytes):  # decoder sizes follow the content size
            size[:] = [size[0] * height // native_h, size[1] * width // native_w]
        interpreter = _interpreter(model_content=bytes(model_bytes))
        interpreter.resize_tensor_input(self._content_index, [1, height, width, 3])
        interpreter.allocate_tensors()
        self._transfers[key] = interpreter
        while len(self._transfers) > CACHED_SIZES:
            self._transfers.popitem(last=False)
        return interpreter
