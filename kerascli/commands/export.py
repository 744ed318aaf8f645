"""`kerascli export`: a run's model as ONNX, LiteRT and SavedModel files, through `model.export`.

Everything is written into a staging directory inside the run, checked, then swapped in for
`export/` whole (`runs.files.replace_directory`), so a failed or killed export never replaces a
good one. Each ONNX and LiteRT file is loaded back in its own runtime and compared with Keras on
one example before the export counts as done. `export/manifest.json` records what `predict`,
`serve` and `sample` need to use the files without TensorFlow (`inference.manifest`).

Two traps of Keras 3.15's exporters, handled here:
- LiteRT: Keras converts with TensorFlow ops allowed (`SELECT_TF_OPS`), which the standalone
  interpreter refuses at load time ("Flex" ops, from recurrent layers with a dynamic batch). The
  export fixes the batch at 1 and allows built-in ops only, so an RNN converts to LiteRT's fused
  kernels, and whatever still needs TensorFlow ops is refused here, naming the layer.
- ONNX goes through tf2onnx, which does not support numpy 2 by itself (tf2onnx#2373); Keras
  patches it on the fly (`keras.src.export.tf2onnx_lib.patch_tf2onnx`), so installing tf2onnx
  (`kerascli[export]`) is all it takes.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerascli.commands.export_inputs import check_encoding, split_table_model, split_text_model
from kerascli.config.sources import ENCODED_SOURCES
from kerascli.data.meta import output_class_names, trained_on_dark_background
from kerascli.errors import RunError, one_line
from kerascli.inference.formats import ExportFormat, FormatSpec, spec
from kerascli.inference.inputs import ImageInput, NoiseInput, Scaling, image_geometry
from kerascli.inference.manifest import (
    ExportedFile,
    ExportManifest,
    NetworkExport,
    NetworkKind,
    OutputSpec,
    ScalingRecord,
    TensorSpec,
    file_digest,
    read_manifest,
    write_manifest,
)
from kerascli.models.loading import load_model
from kerascli.runs.files import replace_directory
from kerascli.runs.layout import EXPORT_DIR, EXPORT_MANIFEST, EXPORT_STAGING, utc_now
from kerascli.runs.lock import locked
from kerascli.runs.saved import SavedRun

# Exported outputs may differ from Keras' by float rounding only; more is a broken export.
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Exported:
    """One exported file: its format, path and size in bytes."""

    export_format: ExportFormat
    path: Path
    size: int


def size_of(path: Path) -> int:
    """The size of a file, or of every file under a directory (a SavedModel), in bytes."""
    path = Path(path)
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    return path.stat().st_size


def describe(run: SavedRun, network: str, model) -> tuple[NetworkExport, object]:
    """The manifest entry of one network, without its formats, and the model to export.

    An image classifier or a generator is exported whole; a CSV or text run's model without the
    encoders in front of its network, which the entry records instead (`describe_encoded`).

    Raises:
        RunError: For a model with several inputs, a classifier whose input is not an image,
            or a CSV or text model whose encoders cannot be recorded.
    """
    if run.config.data.source in ENCODED_SOURCES and network == "model":
        return describe_encoded(run, model)
    if len(model.inputs) != 1:
        raise RunError(
            str(run.network_path(network)),
            f"the model has {len(model.inputs)} inputs; export takes models with one input",
        )
    shape = [None, *(int(d) if d is not None else None for d in model.inputs[0].shape[1:])]
    source_sha256 = file_digest(run.network_path(network))
    tensor = TensorSpec(shape=shape, dtype="float32")
    if network == "generator":
        scaling = Scaling.of(run.config.data.preprocess).to_manifest()
        entry = NetworkExport(
            kind=NetworkKind.GENERATOR,
            source_sha256=source_sha256,
            tensor=tensor,
            input=NoiseInput(int(run.config.gan.latent_dim)).to_manifest(),
            output=OutputSpec(preprocess=ScalingRecord.model_validate(scaling)),
        )
        return entry, model
    if run.task not in (None, "classification", "binary"):
        raise RunError(
            str(run.run_dir), f"is a {run.task} run; export takes classifiers and GAN generators"
        )
    geometry = image_geometry(run.config, tuple(shape[1:]))
    dark = geometry[2] == 1 and trained_on_dark_background(run.config, geometry)
    entry = NetworkExport(
        kind=NetworkKind.CLASSIFIER,
        source_sha256=source_sha256,
        tensor=tensor,
        # An image-folder run's files are read as its training read them (`"resize": "stretch"`).
        input=ImageInput.for_run(run.config, geometry, dark).to_manifest(),
        class_names=output_class_names(
            run.config, int(model.outputs[0].shape[-1] or 1), run.record.class_names
        ),
    )
    return entry, model


def describe_encoded(run: SavedRun, model) -> tuple[NetworkExport, object]:
    """A CSV or text run's entry and network: the encoders are recorded, the network exported.

    The numpy encoding is checked against the whole Keras model before anything is written.

    Raises:
        RunError: When an encoder has no TensorFlow-free version, or the encoding disagrees.
    """
    where = str(run.model_path)
    if run.config.data.source == "csv":
        network, source = split_table_model(model, run.record.table_features(where), where)
    else:
        network, source = split_text_model(model, where)
    check_encoding(model, network, source, where, TOLERANCE)
    recorded = run.record.class_names
    units = int(network.outputs[0].shape[-1] or 1)
    entry = NetworkExport(
        kind=NetworkKind.CLASSIFIER if recorded is not None else NetworkKind.REGRESSOR,
        source_sha256=file_digest(run.model_path),
        tensor=TensorSpec(
            shape=[None, *(int(d) for d in network.inputs[0].shape[1:])],
            dtype=str(network.inputs[0].dtype),
        ),
        input=source.to_manifest(),
        class_names=(
            output_class_names(run.config, units, recorded) if recorded is not None else None
        ),
    )
    return entry, network


@contextlib.contextmanager
def _quiet():
    """Silences tf2onnx's INFO logging, TensorFlow's warnings while it writes the graph (a text
    model's vocabulary table: "Type is unsupported ... CollectionDef"), and the FutureWarning of
    Keras' numpy-2 patch."""
    loggers = [logging.getLogger(name) for name in ("tf2onnx", "tensorflow")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _layer_named_in(model, message: str) -> str | None:
    """The model's layer that a converter message names (longest name first: dense_1 > dense)."""
    for name in sorted((layer.name for layer in model.layers), key=len, reverse=True):
        if f"/{name}" in message or f"{name}_" in message or f"{name}/" in message:
            return name
    return None


def _export_arguments(item: FormatSpec, shape: list, dtype: str) -> dict:
    """`model.export`'s arguments for a format, from its registry entry."""
    import keras

    arguments: dict = {"format": item.keras_format, "verbose": False}
    if item.input_signature:
        batch = item.fixed_batch if item.fixed_batch is not None else shape[0]
        arguments["input_signature"] = [keras.InputSpec(shape=(batch, *shape[1:]), dtype=dtype)]
    if item.builtin_ops_only:
        import tensorflow as tf

        arguments["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    return arguments


def export_one(
    model, export_format: ExportFormat | str, path: Path, shape: list, dtype: str = "float32"
) -> None:
    """Exports a model to one format at `path` with `model.export`.

    Raises:
        RunError: When the format cannot take the model (naming the layer when the converter
            does), or the exporter's package is not installed.
        ConfigError: For an unknown format.
    """
    item = spec(export_format)
    name = item.format.value
    try:
        with _quiet():
            model.export(str(path), **_export_arguments(item, shape, dtype))
    except ImportError as error:
        raise RunError(
            f"--format {name}", f"the exporter needs {error.name}", "pip install kerascli[export]"
        ) from None
    except Exception as error:  # noqa: BLE001 - converters raise their own exception types
        message = str(error)
        layer = _layer_named_in(model, message)
        if item.builtin_ops_only and layer:
            raise RunError(
                f"--format {name}",
                f"layer {layer!r} needs TensorFlow ops that "
                "LiteRT's built-in kernels lack (the standalone interpreter refuses "
                "them)",
                f"export it as {ExportFormat.ONNX.value}",
            ) from None
        where = f"layer {layer!r}" if layer else "the model"
        raise RunError(
            f"--format {name}", f"cannot export {where}: {one_line(message, 160)}"
        ) from None


def verify(
    model, export_format: ExportFormat | str, path: Path, shape: list, dtype: str = "float32"
) -> None:
    """Loads an exported file in its runtime and compares it with Keras on one example (a
    format without a TensorFlow-free runtime, or whose runtime is not installed, is not run).

    Raises:
        RunError: When the runtime refuses the file or answers differently.
    """
    item = spec(export_format)
    if not item.runs_without_tensorflow or not item.installed():
        return
    rng = np.random.default_rng(0)
    example = (
        rng.integers(0, 2, (1, *shape[1:])).astype(dtype)
        if dtype.startswith("int")
        else rng.random((1, *shape[1:]), dtype=np.float32)
    )
    expected = np.asarray(model(example, training=False))
    got = item.load(path)(example)
    if got.shape != expected.shape or np.abs(got - expected).max() > TOLERANCE:
        raise RunError(
            str(path.name),
            f"the exported {item.format.value} model answers differently from the Keras model",
            "report this as a bug",
        )


def export_run(
    run: SavedRun, formats: list[ExportFormat], network: str = "model"
) -> list[Exported]:
    """Exports one network of a run to each format into `RUN_DIR/export/`.

    Formats exported earlier from the same model file are kept; the new files replace theirs.

    Args:
        run: The opened run (`open_run`, or `open_gan_run` for a generator).
        formats: Formats of `inference.formats.FORMATS`.
        network: `"model"` or `"generator"`. Defaults to `"model"`.

    Returns:
        One `Exported` per format written.

    Raises:
        RunError: When the run is busy, a format cannot take the model, or an export fails its
            check; `export/` is then left as it was.
    """
    run_dir = run.run_dir
    target, staging = run_dir / EXPORT_DIR, run_dir / EXPORT_STAGING
    with locked(run_dir):
        model = load_model(run, network)
        entry, exported_model = describe(run, network, model)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            manifest = _carried_over(run_dir, staging, network, entry.source_sha256, formats)
            written, files = [], {}
            shape, dtype = entry.tensor.shape, entry.tensor.dtype
            for export_format in formats:
                path = staging / spec(export_format).file(network)
                export_one(exported_model, export_format, path, shape, dtype)
                verify(exported_model, export_format, path, shape, dtype)
                files[export_format] = ExportedFile(file=path.name, bytes=size_of(path))
                written.append(Exported(export_format, target / path.name, size_of(path)))
            previous = manifest.networks[network].formats if network in manifest.networks else {}
            manifest.networks[network] = entry.model_copy(update={"formats": {**previous, **files}})
            write_manifest(staging / EXPORT_MANIFEST, manifest)
            replace_directory(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return written


def _carried_over(
    run_dir: Path, staging: Path, network: str, digest: str, formats: list[ExportFormat]
) -> ExportManifest:
    """Copies the current export's files into `staging`, except those about to be replaced
    and those of a network whose model file changed since; returns the manifest to extend."""
    import keras

    try:
        old = read_manifest(run_dir)
    except RunError:
        old = None
    manifest = ExportManifest(exported=utc_now(), keras=keras.__version__)
    for name, entry in (old.networks if old else {}).items():
        if name == network and entry.source_sha256 != digest:
            continue  # exported from an older model: dropped with its files
        kept = {
            fmt: item
            for fmt, item in entry.formats.items()
            if not (name == network and fmt in formats)
            and (run_dir / EXPORT_DIR / item.file).exists()
        }
        for item in kept.values():
            source = run_dir / EXPORT_DIR / item.file
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, staging / item.file)
        if kept or name != network:
            manifest.networks[name] = entry.model_copy(update={"formats": kept})
    return manifest
