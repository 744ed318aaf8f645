"""The one decision of `predict`, `serve` and `sample`: the run's export, or Keras, and why.

A run with a current export (`manifest.current_export`) in a format that runs without TensorFlow
(`formats.FORMATS`, tried in order: ONNX, then LiteRT) whose runtime is installed, and whose inputs
this machine can prepare, is used without TensorFlow. Otherwise the caller uses Keras, and gets
the reason in one line when there was an export it could not use (a runtime not installed, a stale
export, a package its encoders need); a run that was never exported falls back silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kerascli.inference.formats import FORMATS, ExportFormat
from kerascli.inference.inputs import InputKind, input_from_manifest
from kerascli.inference.manifest import NetworkExport, current_export
from kerascli.inference.runtimes import Runtime
from kerascli.runs.layout import EXPORT_DIR


@dataclass(frozen=True)
class OpenExport:
    """A network's export, open in its runtime and ready to run.

    Args:
        run_dir: The run directory. network: `"model"` or `"generator"`.
        entry: The network's manifest entry.
        export_format: The format chosen. runtime: The file, loaded in its runtime.
        source: How inputs are prepared for it (`inputs.input_from_manifest`).
    """

    run_dir: Path
    network: str
    entry: NetworkExport
    export_format: ExportFormat
    runtime: Runtime
    source: InputKind

    @property
    def where(self) -> str:
        """The export directory, for errors about the export."""
        return str(self.run_dir / EXPORT_DIR)


@dataclass(frozen=True)
class Choice:
    """What runs a network: its export (`exported`), or Keras (`exported is None`).

    Args:
        exported: The export to use, or `None` for Keras.
        reason: Why Keras although the run has an export (one line), or `None` when the export
            is used or the run has none.
    """

    exported: OpenExport | None
    reason: str | None = None

    @property
    def keras(self) -> bool:
        """Whether Keras (and so TensorFlow) must run the network."""
        return self.exported is None

    def note(self, doing: str) -> str | None:
        """The note for the user when an export was not used: `predicting with Keras: ...`."""
        return f"{doing} with Keras: {self.reason}" if self.keras and self.reason else None


def choose_engine(run_dir: Path, network: str = "model") -> Choice:
    """Decides what runs a network of a run: its export, or Keras (saying why).

    Args:
        run_dir: The run directory.
        network: `"model"` or `"generator"`. Defaults to `"model"`.

    Returns:
        A `Choice`: the export opened in the first installed runtime of `FORMATS`' order, or
        Keras with the reason the export is not used.

    Raises:
        RunError: When the export is current but damaged: its input description unreadable,
            or its file refused by its runtime.
    """
    run_dir = Path(run_dir)
    entry, problem = current_export(run_dir, network)
    if entry is None:
        return Choice(None, problem)
    usable = [
        spec
        for spec in FORMATS.values()
        if spec.runs_without_tensorflow and spec.format in entry.formats
    ]
    if not usable:
        return Choice(None)  # only a SavedModel: that needs TensorFlow anyway
    installed = next((spec for spec in usable if spec.installed()), None)
    if installed is None:
        packages = " or ".join(str(spec.package) for spec in usable)
        extras = " or ".join(f"kerascli[{spec.extra}]" for spec in usable)
        return Choice(None, f"{packages} is not installed (pip install {extras})")
    source = input_from_manifest(entry.input, str(run_dir / EXPORT_DIR))
    missing = source.unavailable()
    if missing is not None:
        return Choice(None, missing)
    path = run_dir / EXPORT_DIR / entry.formats[installed.format].file
    runtime = installed.load(path)
    return Choice(OpenExport(run_dir, network, entry, installed.format, runtime, source))
