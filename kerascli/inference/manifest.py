"""The export manifest, `export/manifest.json`, as a typed record: the one module that reads and
writes it.

`kerascli export` writes it; `predict`, `serve` and `sample` read it back (`inference.engine`). It
records, per network, the exported files and their sizes, the input's shape and dtype, how inputs
are prepared (`input`, written and read by the input kinds of `inputs.INPUT_KINDS`), the class
names, and the SHA-256 of the `.keras` file it was exported from, so that an export older than its
model is never used.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kerascli.errors import RunError
from kerascli.inference.formats import ExportFormat
from kerascli.runs.files import atomic_write_json
from kerascli.runs.layout import EXPORT_DIR, EXPORT_MANIFEST, network_file

MANIFEST_VERSION: Literal[1] = 1
_AGAIN = "export the run again"


class NetworkKind(str, Enum):
    """What an exported network answers."""

    CLASSIFIER = "classifier"
    REGRESSOR = "regressor"
    GENERATOR = "generator"


class _Record(BaseModel):
    # Unknown keys are ignored: a later kerascli of the same manifest version may add some.
    model_config = ConfigDict(extra="ignore")


class TensorSpec(_Record):
    """The exported network's input tensor."""

    shape: list[int | None] = Field(description="The shape, `None` for the batch axis.")
    dtype: str = Field("float32", description="`float32`, or `int64` for token ids.")


class ExportedFile(_Record):
    """One exported file (or SavedModel directory) inside `export/`."""

    file: str = Field(description="Its name inside `export/`.")
    bytes: int = Field(description="Its size in bytes.")


class ScalingRecord(_Record):
    """`data.preprocess`'s reshape and scale or range (`inputs.Scaling`)."""

    reshape: list[int] | None = None
    scale: float | None = None
    range: list[float] | None = None


class OutputSpec(_Record):
    """What a generator's outputs are: images in the data's preprocessed range."""

    preprocess: ScalingRecord


class NetworkExport(_Record):
    """The export of one network (`model` or a GAN's `generator`)."""

    kind: NetworkKind = Field(description="What the network answers.")
    source_sha256: str = Field(description="The SHA-256 of the `.keras` file exported.")
    tensor: TensorSpec = Field(description="The exported network's input tensor.")
    input: dict[str, Any] = Field(
        description="How inputs are prepared, by `input.kind` (`inputs.input_from_manifest`)."
    )
    output: OutputSpec | None = Field(None, description="A generator's output scaling.")
    class_names: list[str] | None = Field(None, description="The class names, by output column.")
    formats: dict[ExportFormat, ExportedFile] = Field(
        default_factory=dict, description="The exported files, by format."
    )


class ExportManifest(_Record):
    """`export/manifest.json`."""

    version: Literal[1] = MANIFEST_VERSION
    exported: str = Field(description="When, in UTC (ISO 8601).")
    keras: str = Field(description="The Keras version that exported.")
    networks: dict[str, NetworkExport] = Field(default_factory=dict)


def manifest_path(run_dir: Path) -> Path:
    """Where a run's export manifest lives."""
    return Path(run_dir) / EXPORT_DIR / EXPORT_MANIFEST


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(run_dir: Path) -> ExportManifest | None:
    """The run's export manifest, or `None` when the run has no export.

    Raises:
        RunError: When the manifest is there but unreadable, damaged or of another version.
    """
    path = manifest_path(run_dir)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunError(str(path), f"unreadable: {error}", _AGAIN) from None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        raise RunError(str(path), "not an export manifest this kerascli writes", _AGAIN)
    try:
        return ExportManifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RunError(str(path), f"damaged at {where}: {first['msg']}", _AGAIN) from None


def write_manifest(path: Path, manifest: ExportManifest) -> None:
    """Writes a manifest as indented JSON, atomically."""
    atomic_write_json(path, manifest.model_dump(mode="json"))


def current_export(
    run_dir: Path, network: str = "model"
) -> tuple[NetworkExport | None, str | None]:
    """The export of a network, if it was made from the network's current file.

    Returns:
        `(entry, None)` for a current export; `(None, reason)` for an export that cannot be used
        (stale, damaged); `(None, None)` when the run has no export of that network.
    """
    run_dir = Path(run_dir)
    try:
        manifest = read_manifest(run_dir)
    except RunError as error:
        return None, error.format()
    entry = manifest.networks.get(network) if manifest else None
    if entry is None:
        return None, None
    model = run_dir / network_file(network)
    if not model.is_file() or file_digest(model) != entry.source_sha256:
        return None, f"the export in {run_dir / EXPORT_DIR} is older than {model.name}"
    return entry, None
