"""Opening a run's export for `predict`, `serve` and `sample`, or saying why Keras must do it.

A run with a current export (`manifest.usable_export`) whose runtime is installed is used without
TensorFlow, ONNX first, then LiteRT. Otherwise the caller falls back to Keras, and gets the reason
in one line when there was an export it could not use (a runtime not installed, a stale export);
a run that was never exported falls back silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.errors import RunError
from kerascli.inference.classify import Classifier
from kerascli.inference.inputs import ImageInput, Scaling, input_from_manifest
from kerascli.inference.manifest import usable_export
from kerascli.inference.own import OwnPredictor
from kerascli.inference.runtimes import PREFERRED, RUNTIME_PACKAGES, load_runtime, runtime_installed
from kerascli.runs.layout import EXPORT_DIR


def open_exported(run_dir: Path, network: str = "model"):
    """The fastest usable exported runtime of a network.

    Args:
        run_dir: The run directory.
        network: `"model"` or `"generator"`. Defaults to `"model"`.

    Returns:
        `(entry, runtime, None)` with the manifest entry and an `OnnxModel` or `LiteRTModel`;
        or `(None, None, reason)` where `reason` is `None` when the run has no export, else why
        its export cannot be used here.

    Raises:
        RunError: When the exported file is there but its runtime refuses it.
    """
    entry, problem = usable_export(run_dir, network)
    if entry is None:
        return None, None, problem
    formats = [name for name in PREFERRED if name in entry.get("formats", {})]
    if not formats:
        return None, None, None  # only a SavedModel: that needs TensorFlow anyway
    for name in formats:
        if runtime_installed(name):
            path = Path(run_dir) / EXPORT_DIR / entry["formats"][name]["file"]
            return entry, load_runtime(name, path), None
    extras = " or ".join(f"kerascli[{RUNTIME_PACKAGES[name][1]}]" for name in formats)
    packages = " or ".join(RUNTIME_PACKAGES[name][0] for name in formats)
    return None, None, f"{packages} is not installed (pip install {extras})"


def exported_predictor(run_dir: Path) -> tuple[Classifier | OwnPredictor | None, str | None]:
    """The run's exported model, ready to predict: a `Classifier` for an image run, an
    `OwnPredictor` for a CSV or text run; or `(None, why not)`.

    Raises:
        RunError: When the export is damaged.
    """
    entry, runtime, reason = open_exported(run_dir)
    if entry is None:
        return None, reason
    where = str(Path(run_dir) / EXPORT_DIR)
    source = input_from_manifest(entry["input"], where)
    if isinstance(source, ImageInput):
        if entry.get("kind") != "classifier" or not entry.get("class_names"):
            raise RunError(where, "the export is not a classifier's", "export the run again")
        return Classifier(
            Path(run_dir), source, list(entry["class_names"]), runtime, runtime.engine
        ), None
    if entry.get("kind") not in ("classifier", "regressor"):
        raise RunError(
            where, "the export is not a classifier's or a regressor's", "export the run again"
        )
    missing = source.unavailable()
    if missing is not None:
        return None, missing
    names = list(entry["class_names"]) if entry.get("class_names") else None
    return OwnPredictor(
        Path(run_dir),
        source,
        names,
        lambda examples: runtime(source.prepare(examples)),
        runtime.engine,
    ), None


def exported_generator(run_dir: Path):
    """The exported generator of a GAN run: `(generate, output scaling, latent_dim)`, or
    `(None, why)`.

    `generate` maps float32 noise `(n, latent_dim)` to images in the data's preprocessed range.
    """
    entry, runtime, reason = open_exported(run_dir, "generator")
    if entry is None:
        return None, reason
    scaling = Scaling.of(entry["output"]["preprocess"])

    def generate(noise: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [runtime(noise[start : start + 256]) for start in range(0, len(noise), 256)]
        )

    return (generate, scaling, int(entry["input"]["latent_dim"])), None
