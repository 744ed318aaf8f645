"""`kerascli export --check`: each exported format beside the Keras model, on test examples.

Ultralytics users' first complaint about exports is that they report success and do not work;
this runs every exported file in its own runtime on real examples (the run's test split, else its
training data; seeded noise for a generator) and compares it with the Keras model: predicted
classes, the largest difference of any output, and the time per example.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerascli.commands.export import TOLERANCE, size_of
from kerascli.config.sources import ENCODED_SOURCES
from kerascli.data.preprocess import preprocess_images
from kerascli.data.sources import load_splits
from kerascli.data.table_features import model_inputs
from kerascli.data.table_source import test_table
from kerascli.data.tables import feature_columns, read_table
from kerascli.data.texts import read_text_splits, read_text_test
from kerascli.errors import RunError
from kerascli.inference.formats import FORMATS, ExportFormat
from kerascli.inference.inputs import input_from_manifest
from kerascli.inference.manifest import read_manifest
from kerascli.models.loading import load_model
from kerascli.runs.layout import EXPORT_DIR
from kerascli.runs.saved import SavedRun
from kerascli.visuals.samples import fixed_noise


@dataclass(frozen=True)
class FormatCheck:
    """How one exported format compares with the Keras model.

    Args:
        export_format: The format (`"keras"` for the reference row). file: Its path.
            size: Its size in bytes.
        examples: How many examples were compared.
        agreement: The fraction of examples with the same predicted class (`None` for a
            generator, which predicts no class).
        max_abs_diff: The largest absolute difference of any output value.
        ms_per_example: The exported model's time per example, in milliseconds.
    """

    export_format: ExportFormat | str
    file: Path
    size: int
    examples: int
    agreement: float | None
    max_abs_diff: float
    ms_per_example: float

    @property
    def agrees(self) -> bool:
        """Whether the format answers as the Keras model does, up to float rounding."""
        return (self.agreement is None or self.agreement == 1.0) and self.max_abs_diff <= TOLERANCE


def check_inputs(run: SavedRun, network: str, count: int) -> np.ndarray:
    """Up to `count` float32 examples the network takes: test images, or noise."""
    if network == "generator":
        return fixed_noise(count, run.config.gan.latent_dim, seed=0)
    splits = load_splits(run.config.data)
    raw = splits.x_test if splits.x_test is not None else splits.x_train
    return preprocess_images(np.asarray(raw[:count]), run.config.data.preprocess, "data.test")


def encoded_check_inputs(run: SavedRun, count: int):
    """Up to `count` raw examples of a CSV or text run (test split, else training data), and
    what its Keras model takes for them: `(examples, to_keras)`."""
    import tensorflow as tf

    data = run.config.data
    if data.source == "csv":
        table = test_table(data) or read_table(data.train or data.path, "data.train")
        values = feature_columns(
            table, run.record.table_features(str(run.run_dir)), lenient=True
        ).values
        return {name: column[:count] for name, column in values.items()}, model_inputs
    test = read_text_test(data)
    texts = test[0] if test is not None else read_text_splits(data)[0][0]
    return (
        [text.decode("utf-8") for text in texts.numpy()[:count]],
        lambda examples: tf.constant(examples),
    )


def _first(examples, count: int):
    if isinstance(examples, dict):
        return {name: values[:count] for name, values in examples.items()}
    return examples[:count]


def _count(examples) -> int:
    return len(next(iter(examples.values())) if isinstance(examples, dict) else examples)


def _tensorflow_runner(path: Path):
    """A SavedModel (a format without a TensorFlow-free runtime), loaded through TensorFlow."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept alive: its endpoint references its variables
    return lambda x: np.asarray(loaded.serve(tf.constant(x)))


def _timed(runner, x) -> tuple[np.ndarray, float]:
    runner(_first(x, 1))  # the first call builds kernels and caches
    start = time.perf_counter()
    outputs = np.asarray(runner(x))
    return outputs, (time.perf_counter() - start) * 1000.0 / _count(x)


def check_export(run: SavedRun, network: str = "model", count: int = 200) -> list[FormatCheck]:
    """Runs each exported format of a network beside its Keras model.

    Args:
        run: The opened run. network: `"model"` or `"generator"`. Defaults to `"model"`.
        count: How many examples. Defaults to 200.

    Returns:
        One `FormatCheck` per exported format, Keras itself first (as the reference timing).

    Raises:
        RunError: When the run has no export of the network, or a runtime is missing.
    """
    manifest = read_manifest(run.run_dir)
    entry = manifest.networks.get(network) if manifest else None
    if entry is None or not entry.formats:
        raise RunError(
            str(run.run_dir), f"has no export of its {network}", f"kerascli export {run.run_dir}"
        )
    model = load_model(run, network)
    encoded = run.config.data.source in ENCODED_SOURCES and network == "model"
    if encoded:  # raw rows or texts: Keras takes them whole, an export after numpy encoding
        x, to_keras = encoded_check_inputs(run, count)
        prepare = input_from_manifest(entry.input, str(run.run_dir / EXPORT_DIR)).prepare
    else:
        x, to_keras, prepare = check_inputs(run, network, count), (lambda batch: batch), None
    reference, keras_ms = _timed(lambda batch: model.predict_on_batch(to_keras(batch)), x)
    classes = reference.argmax(axis=-1) if network == "model" and entry.class_names else None
    checks = [
        FormatCheck(
            "keras",
            run.network_path(network),
            size_of(run.network_path(network)),
            _count(x),
            None if classes is None else 1.0,
            0.0,
            keras_ms,
        )
    ]
    for export_format, item in entry.formats.items():
        path = run.run_dir / EXPORT_DIR / item.file
        spec = FORMATS[export_format]
        if not spec.runs_without_tensorflow:
            runner = _tensorflow_runner(path)
        elif spec.installed():
            runner = spec.load(path)
        else:
            raise RunError(
                f"--check {export_format.value}",
                "its runtime is not installed",
                spec.install_hint(),
            )
        if prepare is not None:
            runner = (lambda run_network: lambda batch: run_network(prepare(batch)))(runner)
        outputs, ms = _timed(runner, x)
        agreement = None if classes is None else float(np.mean(outputs.argmax(axis=-1) == classes))
        diff = (
            float(np.abs(outputs - reference).max())
            if outputs.shape == reference.shape
            else float("inf")
        )
        checks.append(
            FormatCheck(export_format, path, size_of(path), _count(x), agreement, diff, ms)
        )
    return checks
