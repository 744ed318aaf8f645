"""Running an exported model without TensorFlow: ONNX through onnxruntime, LiteRT through
ai-edge-litert. Both are optional extras (`pip install kerascli[onnx]`, `kerascli[litert]`); which
format each class runs, and which package it needs, is said once in `inference.formats`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from kerascli.errors import RunError, one_line
from kerascli.inference.formats import ExportFormat

# onnxruntime's names of the input types an export has: float32 values, int64 token ids.
_ONNX_TYPES = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32}


class Runtime(Protocol):
    """An exported network, loaded: called on a batch, it answers its first output.

    Attributes:
        engine: The format that runs it (`"onnx"`, `"litert"`), as `serve`'s /health names it.
    """

    engine: str

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


class OnnxModel:
    """An ONNX model in an onnxruntime session, called on whole batches.

    Args:
        path: The `.onnx` file.
    """

    engine = ExportFormat.ONNX.value

    def __init__(self, path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initializers are not the user's
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise RunError(
                str(path),
                f"onnxruntime cannot load it: {one_line(error, 160)}",
                "export the run again",
            ) from None
        first = self.session.get_inputs()[0]
        self.input_name = first.name
        self.dtype = _ONNX_TYPES.get(first.type, np.float32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The model's first output for a batch (float32 values, or a text model's token ids)."""
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, self.dtype)})[0]


class LiteRTModel:
    """A LiteRT (TFLite) model in the standalone interpreter, called one example at a time.

    The export fixes the batch size at 1 (LiteRT's built-in ops need static shapes, see
    `commands.export`), so a batch is run example by example. The interpreter is not safe to call
    from several threads at once: a lock serialises the calls.

    Args:
        path: The `.tflite` file.
    """

    engine = ExportFormat.LITERT.value

    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_path=str(path))
            self.interpreter.allocate_tensors()
        except Exception as error:  # noqa: BLE001 - the interpreter raises RuntimeError, ValueError
            raise RunError(
                str(path),
                f"the LiteRT interpreter refuses it: {one_line(error, 160)}",
                "export the run again",
            ) from None
        details = self.interpreter.get_input_details()[0]
        self.input, self.dtype = details["index"], details["dtype"]
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The model's first output for a batch (float32 values, or a text model's token ids)."""
        x = np.ascontiguousarray(x, self.dtype)
        rows = []
        with self.lock:
            for example in x:
                self.interpreter.set_tensor(self.input, example[None])
                self.interpreter.invoke()
                rows.append(self.interpreter.get_tensor(self.output)[0].copy())
        return np.stack(rows) if rows else np.zeros((0,), np.float32)
