"""`kerascli predict`: classify image files with a trained run's model.

Each image is turned into exactly what the model saw in training: grayscale or RGB to match the
model's input, resized to its height and width, then the run's own `data.preprocess` (reshape and
scale or range) through `preprocess_images`, the function training used. MNIST-like data is
white ink on black; digits written or printed on paper are the opposite, so for one-channel
models trained on dark-background data an image with a light border is inverted first, its grey
paper taken to black and its ink to white (`invert="auto"`, see `data.images.ink`).

The model is loaded once and called on batches; files are decoded on a thread pool
(`data.images.reader.ImageReader`). A file that cannot be read is reported on its own and the rest are still
predicted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli.config.schema import ExperimentConfig
from kerascli.config.sources import BUILTIN_DATASETS, COLOR_CHANNELS, ENCODED_SOURCES
from kerascli.data.image_folders import read_like_training
from kerascli.data.images.files import find_images
from kerascli.data.images.folders import FOLDER_EXTENSIONS, FOLDER_SUPPORTED
from kerascli.data.images import ink
from kerascli.data.images.reader import ImageReader
from kerascli.data.pipeline import feed_inputs, input_shapes
from kerascli.data.preprocess import preprocess_images
from kerascli.data.sources import class_names as data_class_names
from kerascli.data.sources import load_splits
from kerascli.errors import ConfigError, DataError, RunError, one_line
from kerascli.evaluation.metrics import as_probabilities
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun

INVERT_CHOICES = ("auto", "yes", "no")
# Calling the model directly skips tracing a graph (about 0.1 s), which is most of the work for
# a handful of images; compiled `predict_on_batch` is 2-3x faster per batch after that.
_EAGER_BELOW = 64


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one image file.

    Args:
        file: The file, as found. class_name: The most probable class. index: Its index.
        probability: Its probability. top_k: `(class_name, probability)` pairs, best first.
        inverted: Whether the image was inverted before prediction.
    """

    file: str
    class_name: str
    index: int
    probability: float
    top_k: list[tuple[str, float]]
    inverted: bool = False

    def to_json(self) -> dict:
        """The JSON object `kerascli predict --json` prints for this file."""
        return {"file": self.file, "class": self.class_name, "probability": self.probability,
                "top_k": [{"class": name, "probability": p} for name, p in self.top_k]}


@dataclass
class PredictionReport:
    """What a `predict_files` call produced: predictions in file order, and per-file errors."""

    run_dir: Path
    predictions: list[Prediction] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)


def image_geometry(config: ExperimentConfig, input_shape: tuple) -> tuple[int, int, int]:
    """The `(height, width, channels)` images must have before `data.preprocess` applies.

    Taken from `data.preprocess.reshape` (what each example becomes), else the model's input
    shape. A flat shape (`[784]`) is the built-in dataset's image size, or a square one-channel
    (or three-channel) image when the length allows.

    Args:
        config: The run's config.
        input_shape: The model's (first) input shape, without the batch axis.

    Raises:
        RunError: When no image size fits the model's input.
    """
    shape = list(config.data.preprocess.reshape or [])
    if not shape or any(d is None or d < 0 for d in shape):
        shape = list(input_shape)
    if any(d is None for d in shape):
        raise RunError("model.input_shape", f"the model takes images of any size {tuple(shape)}; "
                       "predict needs a fixed height and width")
    if len(shape) == 3 and shape[-1] in (1, 3):
        return shape[0], shape[1], shape[2]
    if len(shape) == 2:
        return shape[0], shape[1], 1
    if len(shape) == 1:
        if config.data.source in BUILTIN_DATASETS:
            return BUILTIN_DATASETS[config.data.source].image_shape
        for channels in (1, 3):
            side = math.isqrt(shape[0] // channels)
            if shape[0] % channels == 0 and side * side * channels == shape[0]:
                return side, side, channels
    raise RunError("model.input_shape", f"cannot tell an image size from the input shape "
                   f"{tuple(shape)}", "predict reads images for models of (height, width, 1 or 3) "
                   "inputs")


def trained_on_dark_background(config: ExperimentConfig, geometry: tuple[int, int, int]) -> bool:
    """Whether the run's training images are light on dark, like MNIST.

    Known for the built-in sources; otherwise measured on the border of up to 256 training images.
    When those cannot be read any more, MNIST's convention is assumed.
    """
    if config.data.source in BUILTIN_DATASETS:
        return BUILTIN_DATASETS[config.data.source].dark_background
    try:
        sample = np.asarray(load_splits(config.data).x_train[:256], dtype=np.float32)
        sample = sample.reshape((len(sample), *geometry))
    except (DataError, ValueError):
        return True
    return ink.has_dark_background(sample)


class _Classifier:
    """A loaded model with the input geometry and class names of its run."""

    def __init__(self, run: SavedRun, model):
        self.model = model
        self.shapes = input_shapes(model)
        self.preprocess = run.config.data.preprocess
        units = int(model.outputs[0].shape[-1] or 1)
        classes = 2 if units == 1 else units  # one sigmoid unit: classes 0 and 1
        recorded = run.record.get("class_names")
        names = recorded if isinstance(recorded, list) and all(
            isinstance(name, str) for name in recorded) else data_class_names(run.config.data,
                                                                              classes)
        self.names = names if names and len(names) == classes else [str(i) for i in range(classes)]

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
            raise RunError(str(run.model_path), f"the model does not take the run's images: "
                           f"{reason}", hint) from None
        if not isinstance(x, dict):
            # Said in shapes: Keras' own complaint would print the whole input array.
            expected, given = tuple(self.model.inputs[0].shape[1:]), tuple(x.shape[1:])
            if len(expected) != len(given) or any(
                    e is not None and e != g for e, g in zip(expected, given)):
                raise RunError(str(run.model_path), f"the model takes inputs of shape "
                               f"{expected}, but the run's config makes images of shape "
                               f"{given}", hint)
        try:
            outputs = self.model(x, training=False)
        except (ValueError, TypeError) as error:  # Keras' shape and dtype complaints
            raise RunError(str(run.model_path), "the model does not take the run's images: "
                           f"{one_line(error, 160)}", hint) from None
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        shape = tuple(outputs.shape)
        if len(shape) != 2:
            raise RunError(str(run.model_path), f"the model's output has shape {shape[1:]}, not "
                           "one score per class", "predict needs a classifier")

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        x = feed_inputs(preprocess_images(images, self.preprocess, "image"), self.shapes)
        if len(images) < _EAGER_BELOW:
            outputs = self.model(x, training=False)
        else:
            outputs = self.model.predict_on_batch(x)
        if isinstance(outputs, (list, tuple)):  # multi-output models: the first output
            outputs = outputs[0]
        return as_probabilities(np.asarray(outputs))


def _predict_like_training(files: list[Path], run: SavedRun, classifier: _Classifier,
                           report: PredictionReport, top_k: int, batch_size: int) -> None:
    """Predicts an image-folder run's classes, reading files as its training read them."""
    data = run.config.data
    classifier.check(run, (*data.image_size, COLOR_CHANNELS[data.color_mode]))
    k = max(1, min(top_k, len(classifier.names)))
    for start in range(0, len(files), batch_size):
        chunk = files[start:start + batch_size]
        good, images = [], []
        for path, item in zip(chunk, read_like_training(chunk, data)):
            if isinstance(item, DataError):
                report.errors.append(item)
            else:
                good.append(path)
                images.append(item)
        if images:
            _rank(good, classifier.probabilities(np.stack(images)), classifier, k,
                  [False] * len(good), report)


def _rank(paths: list[Path], probabilities: np.ndarray, classifier: _Classifier, k: int,
          flipped, report: PredictionReport) -> None:
    ranked = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
    for path, row, order, was_flipped in zip(paths, probabilities, ranked, flipped):
        top = [(classifier.names[i], round(float(row[i]), 6)) for i in order]
        report.predictions.append(Prediction(
            str(path), top[0][0], int(order[0]), top[0][1], top, bool(was_flipped)))


def predict_files(paths: list[str | Path], run: SavedRun, *, top_k: int = 1,
                  invert: str = "auto", batch_size: int = 256,
                  workers: int | None = None) -> PredictionReport:
    """Classifies image files with a run's model.

    Args:
        paths: Image files (PNG, JPEG, BMP) and directories of them; for a run trained on a
            csv or text source, CSV files or text files (see `predict_own`).
        run: A completed classification (or binary) run made by `kerascli train`, opened
            (`runs.saved.open_run`).
        top_k: How many of the most probable classes to list per file. Defaults to 1.
        invert: `"auto"` inverts light-background images for one-channel models trained on
            dark-background data, `"yes"` inverts every image, `"no"` none. Defaults to `"auto"`.
        batch_size: Images per model call. Defaults to 256.
        workers: Image decoding threads. Defaults to `None` (see `ImageReader`).

    Returns:
        A `PredictionReport`: one `Prediction` per readable image, in order, and one `DataError`
        per path or file that could not be used.

    Raises:
        RunError: When the run is not a classifier, or its model cannot be loaded.
        ConfigError: For an unknown `invert` value.
    """
    if run.config.data.source in ENCODED_SOURCES:  # CSV rows or text files
        from kerascli.commands.predict_own import predict_own

        return predict_own(paths, run, PredictionReport(run.run_dir), top_k=top_k,
                           batch_size=batch_size)
    if invert not in INVERT_CHOICES:
        raise ConfigError("--invert", f"unknown value {invert!r}", "use auto, yes or no")
    if run.task not in (None, "classification", "binary"):
        raise RunError(str(run.run_dir), f"is a {run.task} run; predict needs a classifier",
                       "name a classification run with --run")
    folders = run.config.data.source == "images"
    files, errors = (find_images(paths, FOLDER_EXTENSIONS, FOLDER_SUPPORTED) if folders
                     else find_images(paths))
    report = PredictionReport(run.run_dir, errors=errors)
    if not files:
        return report
    model = load_model(run)
    classifier = _Classifier(run, model)
    if folders:
        _predict_like_training(files, run, classifier, report, top_k, batch_size)
        return report
    height, width, channels = image_geometry(run.config, tuple(model.inputs[0].shape[1:]))
    classifier.check(run, (height, width, channels))
    auto_invert = invert == "auto" and channels == 1 and trained_on_dark_background(
        run.config, (height, width, channels))
    k = max(1, min(top_k, len(classifier.names)))
    with ImageReader(height=height, width=width, channels=channels, workers=workers) as reader:
        for chunk, items in reader.read_batches(files, batch_size):
            good, images = [], []
            for path, item in zip(chunk, items):
                if isinstance(item, DataError):
                    report.errors.append(item)
                else:
                    good.append(path)
                    images.append(item)
            if not images:
                continue
            batch = np.stack(images)
            flipped = ink.images_to_invert(batch, invert, auto_invert)
            if flipped.any():
                batch[flipped] = ink.invert(batch[flipped])
            _rank(good, classifier.probabilities(batch), classifier, k, flipped, report)
    return report
