"""`kerascli predict` through Keras: classify image files with a trained run's model.

Each image is turned into exactly what the model saw in training: grayscale or RGB to match the
model's input, resized to its height and width, then the run's own `data.preprocess` (reshape and
scale or range) through `preprocess_images`, the function training used. MNIST-like data is
white ink on black; digits written or printed on paper are the opposite, so for one-channel
models trained on dark-background data an image with a light border is inverted first, its grey
paper taken to black and its ink to white (`invert="auto"`, see `data.images.ink`).

The loop itself (decoding on a thread pool, inverting, ranking) is `inference.classify`, shared
with the exported (TensorFlow-free) path and `serve`; this module plugs the Keras model into it.
The model is loaded once and called on batches. A file that cannot be read is reported on its own
and the rest are still predicted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.commands.predict_own import keras_own_predictor
from kerascli.config.sources import ENCODED_SOURCES
from kerascli.data.image_folders import read_like_training
from kerascli.data.images.files import find_images
from kerascli.data.images.folders import FOLDER_EXTENSIONS, FOLDER_SUPPORTED
from kerascli.data.meta import output_class_names, trained_on_dark_background
from kerascli.data.pipeline import feed_inputs, input_shapes
from kerascli.data.preprocess import preprocess_images
from kerascli.errors import DataError, RunError, one_line
from kerascli.inference.classify import Classifier, PredictionReport, check_invert, classify_found
from kerascli.inference.inputs import ImageInput, image_geometry
from kerascli.inference.own import OwnPredictor, predict_own
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun

__all__ = [
    "keras_classifier",
    "keras_predictor",
    "predict_files",
    "image_geometry",
    "trained_on_dark_background",
]
# Calling the model directly skips tracing a graph (about 0.1 s), which is most of the work for
# a handful of images; compiled `predict_on_batch` is 2-3x faster per batch after that.
_EAGER_BELOW = 64


class _KerasModel:
    """A loaded Keras model with the input shapes and class names of its run."""

    def __init__(self, run: SavedRun, model):
        self.model = model
        self.shapes = input_shapes(model)
        self.preprocess = run.config.data.preprocess
        self.names = output_class_names(
            run.config, int(model.outputs[0].shape[-1] or 1), run.record.class_names
        )

    def check(self, run: SavedRun, geometry: tuple[int, int, int]) -> None:
        """Calls the model on one blank image of the run's geometry, before any file is read.

        A `model.keras` that does not match its run's config (replaced by hand, or another
        model's) is then one clear error, not a failure in the middle of the batches.

        Raises:
            RunError: When the model refuses images of `geometry` after the run's preprocessing,
                or does not answer with one row of class scores per image.
        """
        hint = "the run's model.keras and config.yaml do not belong together; train it again"
        blank = np.zeros((1, *geometry), dtype=np.uint8)
        try:
            x = feed_inputs(preprocess_images(blank, self.preprocess, "image"), self.shapes)
        except (ValueError, DataError) as error:  # numpy's reshape complaint, mostly
            reason = error.what if isinstance(error, DataError) else one_line(error, 160)
            raise RunError(
                str(run.model_path), f"the model does not take the run's images: {reason}", hint
            ) from None
        if not isinstance(x, dict):
            # Said in shapes: Keras' own complaint would print the whole input array.
            expected, given = tuple(self.model.inputs[0].shape[1:]), tuple(x.shape[1:])
            if len(expected) != len(given) or any(
                e is not None and e != g for e, g in zip(expected, given)
            ):
                raise RunError(
                    str(run.model_path),
                    f"the model takes inputs of shape "
                    f"{expected}, but the run's config makes images of shape "
                    f"{given}",
                    hint,
                )
        try:
            outputs = self.model(x, training=False)
        except (ValueError, TypeError) as error:  # Keras' shape and dtype complaints
            raise RunError(
                str(run.model_path),
                f"the model does not take the run's images: {one_line(error, 160)}",
                hint,
            ) from None
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        shape = tuple(outputs.shape)
        if len(shape) != 2:
            raise RunError(
                str(run.model_path),
                f"the model's output has shape {shape[1:]}, not one score per class",
                "predict needs a classifier",
            )

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """The model's (first) output for a preprocessed float32 batch."""
        x = feed_inputs(x, self.shapes)
        if len(x if not isinstance(x, dict) else next(iter(x.values()))) < _EAGER_BELOW:
            outputs = self.model(x, training=False)
        else:
            outputs = self.model.predict_on_batch(x)
        if isinstance(outputs, (list, tuple)):  # multi-output models: the first output
            outputs = outputs[0]
        return np.asarray(outputs)


def _require_classifier(run: SavedRun) -> None:
    if run.task not in (None, "classification", "binary"):
        raise RunError(
            str(run.run_dir),
            f"is a {run.task} run; predict needs a classifier",
            "name a classification run with --run",
        )


def keras_classifier(run: SavedRun) -> Classifier:
    """Loads a run's model once and checks it on a blank image: the Keras `Classifier`.

    Raises:
        RunError: When the run is not a classifier, or its model cannot be loaded or does not
            take the run's images.
    """
    _require_classifier(run)
    model = load_model(run)
    keras_model = _KerasModel(run, model)
    geometry = image_geometry(run.config, tuple(model.inputs[0].shape[1:]))
    keras_model.check(run, geometry)
    dark = geometry[2] == 1 and trained_on_dark_background(run.config, geometry)
    image = ImageInput.for_run(run.config, geometry, dark)
    return Classifier(run.run_dir, image, keras_model.names, keras_model.outputs, "keras")


def keras_predictor(run: SavedRun) -> Classifier | OwnPredictor:
    """A run's Keras model, ready to predict what the run was trained on: a `Classifier` for
    images, an `OwnPredictor` for CSV rows or texts (as `inference.exported.exported_predictor`
    gives for an export).

    Raises:
        RunError: When the run is not a classifier (images), or its model cannot be loaded.
    """
    if run.config.data.source in ENCODED_SOURCES:
        return keras_own_predictor(run)
    return keras_classifier(run)


def predict_files(
    paths: list[str | Path],
    run: SavedRun,
    *,
    top_k: int = 1,
    invert: str = "auto",
    batch_size: int = 256,
    workers: int | None = None,
) -> PredictionReport:
    """Classifies files with a run's Keras model: what `inference.classify.classify_files` does
    with an export, and CSV rows or text files for those runs (`predict_own`).

    Args:
        paths: What the run was trained on: image files and directories, CSV or text files.
        run: A completed classification (or binary) run, opened (`runs.saved.open_run`).
        top_k, invert, batch_size, workers: As `classify_files` takes them.

    Returns:
        A `PredictionReport`: the predictions in order and one `DataError` per unusable input.

    Raises:
        RunError: When the run is not a classifier, or its model cannot be loaded.
        ConfigError: For an unknown `invert` value.
    """
    if run.config.data.source in ENCODED_SOURCES:  # CSV rows or text files
        return predict_own(paths, keras_predictor(run), top_k=top_k, batch_size=batch_size)
    check_invert(invert)
    _require_classifier(run)
    if run.config.data.source == "images":  # files read as training read them (TensorFlow)
        files, errors = find_images(paths, FOLDER_EXTENSIONS, FOLDER_SUPPORTED)
        if not files:
            return PredictionReport(run.run_dir, errors=errors)
        return _predict_like_training(
            files, errors, run, keras_classifier(run), top_k=top_k, batch_size=batch_size
        )
    files, errors = find_images(paths)
    if not files:  # nothing to predict: the model is not even loaded
        return PredictionReport(run.run_dir, errors=errors)
    return classify_found(
        files,
        errors,
        keras_classifier(run),
        top_k=top_k,
        invert=invert,
        batch_size=batch_size,
        workers=workers,
    )


def _predict_like_training(
    files: list[Path],
    errors: list[DataError],
    run: SavedRun,
    classifier: Classifier,
    *,
    top_k: int,
    batch_size: int,
) -> PredictionReport:
    """Predicts an image-folder run's classes, decoding and resizing each file as its training
    did (`keras.utils.image_dataset_from_directory`), never inverted."""
    report = PredictionReport(run.run_dir, errors=list(errors))
    for start in range(0, len(files), batch_size):
        chunk = files[start : start + batch_size]
        good, images = [], []
        for path, item in zip(chunk, read_like_training(chunk, run.config.data)):
            if isinstance(item, DataError):
                report.errors.append(item)
            else:
                good.append(path)
                images.append(item)
        if images:
            report.predictions.extend(
                classifier.rank(good, np.stack(images), top_k=top_k, invert="no")
            )
    return report
