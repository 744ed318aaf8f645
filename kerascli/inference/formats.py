"""The export formats, each described in one place: its file, its runtime, how it is exported,
loaded and checked.

`kerascli export` (`commands.export`) writes the formats, the CLI lists them in `--format`'s help
and choices, the manifest keys its files by them, and `predict`, `serve` and `sample`
(`inference.engine`) try them in `FORMATS`' order. A new format is one `ExportFormat` member and
one `FormatSpec` entry here (plus its runtime class in `runtimes` when it runs without TensorFlow).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from kerascli.errors import ConfigError

if TYPE_CHECKING:  # the runtimes (and numpy) load on use: `--help` lists the formats without them
    from kerascli.inference.runtimes import Runtime


class ExportFormat(str, Enum):
    """A format `kerascli export` writes (the `--format` value and the manifest's key)."""

    ONNX = "onnx"
    LITERT = "litert"
    SAVED_MODEL = "saved_model"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FormatSpec:
    """Everything about one export format.

    Args:
        format: The format.
        suffix: The exported file's (or directory's) suffix: `model.<suffix>` in `export/`.
        summary: What it is, in a few words (for `--format`'s help and the docs).
        keras_format: The name `keras.Model.export` takes for it.
        fixed_batch: The batch size the export fixes, or `None` for any batch size. LiteRT's
            built-in kernels need static shapes (see `commands.export`).
        builtin_ops_only: Whether the converter is restricted to the runtime's built-in ops, so
            that the standalone runtime (without TensorFlow ops) can load every export.
        input_signature: Whether the export is traced with an explicit input signature (the
            network's tensor shape and dtype); a SavedModel is traced from the model's own.
        runtime: Opens the exported file in its runtime (a callable model) without TensorFlow,
            or `None` for a format only TensorFlow runs (a SavedModel: `export --check` loads
            it through TensorFlow, and `predict` never uses it).
        package: The module `runtime` needs (`None` with no runtime).
        extra: The kerascli extra that installs `package` (`pip install kerascli[<extra>]`).
    """

    format: ExportFormat
    suffix: str
    summary: str
    keras_format: str
    fixed_batch: int | None = None
    builtin_ops_only: bool = False
    input_signature: bool = True
    runtime: Callable[[Path], Runtime] | None = None
    package: str | None = None
    extra: str | None = None

    def file(self, network: str = "model") -> str:
        """The exported network's name inside `export/`: `model.onnx`, `generator.tflite`."""
        return f"{network}.{self.suffix}"

    @property
    def runs_without_tensorflow(self) -> bool:
        """Whether `predict`, `serve` and `sample` can use it (it has a TF-free runtime)."""
        return self.runtime is not None

    def installed(self) -> bool:
        """Whether the runtime's package imports (it is then used at once anyway)."""
        if self.package is None:
            return False
        try:
            importlib.import_module(self.package)
        except ImportError:
            return False
        return True

    def load(self, path: Path) -> Runtime:
        """Opens an exported file in the format's runtime.

        Raises:
            RunError: When the runtime cannot load the file.
            ValueError: For a format without a TensorFlow-free runtime.
        """
        if self.runtime is None:
            raise ValueError(f"{self.format.value} has no runtime without TensorFlow")
        return self.runtime(Path(path))

    def install_hint(self) -> str:
        """How to install the runtime: `pip install kerascli[onnx]`."""
        return f"pip install kerascli[{self.extra}]"


def _load_onnx(path: Path) -> Runtime:
    from kerascli.inference.runtimes import OnnxModel

    return OnnxModel(path)


def _load_litert(path: Path) -> Runtime:
    from kerascli.inference.runtimes import LiteRTModel

    return LiteRTModel(path)


# The registry. Its order is the order `predict`, `serve` and `sample` try them in: ONNX first,
# its session takes any batch size and is safe to call from many threads.
FORMATS: dict[ExportFormat, FormatSpec] = {
    ExportFormat.ONNX: FormatSpec(
        ExportFormat.ONNX,
        suffix="onnx",
        summary="ONNX, run by onnxruntime",
        keras_format="onnx",
        runtime=_load_onnx,
        package="onnxruntime",
        extra="onnx",
    ),
    ExportFormat.LITERT: FormatSpec(
        ExportFormat.LITERT,
        suffix="tflite",
        summary="LiteRT (TFLite), run by ai-edge-litert, batch of 1",
        keras_format="litert",
        fixed_batch=1,
        builtin_ops_only=True,
        runtime=_load_litert,
        package="ai_edge_litert",
        extra="litert",
    ),
    ExportFormat.SAVED_MODEL: FormatSpec(
        ExportFormat.SAVED_MODEL,
        suffix="savedmodel",
        summary="TensorFlow SavedModel, for TF Serving",
        keras_format="tf_saved_model",
        input_signature=False,
    ),
}
DEFAULT_FORMAT = ExportFormat.ONNX


def spec(export_format: ExportFormat | str) -> FormatSpec:
    """The registry entry of a format (given as a member or its value).

    Raises:
        ConfigError: For a name that is not a format.
    """
    return FORMATS[parse_format(export_format)]


def parse_format(name: ExportFormat | str, where: str = "--format") -> ExportFormat:
    """A format by its name.

    Raises:
        ConfigError: For an unknown name, listing the known ones.
    """
    try:
        return ExportFormat(name)
    except ValueError:
        known = ", ".join(member.value for member in FORMATS)
        raise ConfigError(where, f"unknown format {name!r}", f"use {known}") from None


def parse_formats(values: list[str] | None) -> list[ExportFormat]:
    """`--format` values (repeated, or comma-separated) as formats, in order, each once.

    Defaults to `DEFAULT_FORMAT` when `values` is empty or `None`.

    Raises:
        ConfigError: For an unknown format.
    """
    names = [
        name.strip() for value in (values or [DEFAULT_FORMAT.value]) for name in value.split(",")
    ]
    return list(dict.fromkeys(parse_format(name) for name in names if name))


def format_help() -> str:
    """`--format`'s help: each format with its summary."""
    listed = "; ".join(f"{item.format.value}: {item.summary}" for item in FORMATS.values())
    return f"{listed}. Repeat it or give a comma list (default: {DEFAULT_FORMAT.value})."
