"""The one prediction loop: image files (or an uploaded image) in, ranked classes out.

`kerascli predict` through Keras and through an exported model, and `kerascli serve`, all go
through `Classifier`: the same decoding (`data.images`), the same ink inversion, the same
preprocessing (`inputs.ImageInput.prepare`), the same ranking and the same JSON. Only the function
that maps a float32 batch to the model's outputs differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from kerascli.data.images import ink
from kerascli.data.images.files import find_images
from kerascli.data.images.reader import ImageReader
from kerascli.errors import ConfigError, DataError
from kerascli.evaluation.metrics import as_probabilities
from kerascli.inference.inputs import ImageInput

INVERT_CHOICES = ("auto", "yes", "no")


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
        """The JSON object `kerascli predict --json` prints (and `serve` returns) for a file."""
        return {
            "file": self.file,
            "class": self.class_name,
            "probability": self.probability,
            "top_k": [{"class": name, "probability": p} for name, p in self.top_k],
        }


# A report's kind of prediction: an image's `Prediction`, or a row's or text's `OwnPrediction`.
P = TypeVar("P")


@dataclass
class PredictionReport(Generic[P]):
    """What a `classify_files` (or `own.predict_own`) call produced: predictions in file order,
    and per-file errors."""

    run_dir: Path
    predictions: list[P] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)


@dataclass
class Classifier:
    """A run's model, ready to classify images, whatever runs it.

    Args:
        run_dir: The run directory.
        image: How images are decoded and preprocessed for this model.
        names: The class names, by output column.
        outputs: Maps a preprocessed float32 batch to the model's (first) output.
        engine: What runs the model: `"keras"`, `"onnx"` or `"litert"`.
    """

    run_dir: Path
    image: ImageInput
    names: list[str]
    outputs: Callable[[np.ndarray], np.ndarray]
    engine: str = "keras"

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities `(n, classes)` of uint8 images `(n, height, width, channels)`."""
        return as_probabilities(np.asarray(self.outputs(self.image.prepare(pixels))))

    def rank(
        self,
        files: Sequence[str | Path],
        pixels: np.ndarray,
        *,
        top_k: int = 1,
        invert: str = "auto",
    ) -> list[Prediction]:
        """Inverts the images that need it, predicts, and ranks each image's classes.

        Args:
            files: A name per image (its path, or an upload's file name).
            pixels: Images `(n, height, width, channels)` in [0, 255] (never modified).
            top_k: How many classes to list per image. Defaults to 1.
            invert: `"auto"`, `"yes"` or `"no"` (see `predict_files`); an image-folder run's
                files are never inverted, as its training never inverted them. Defaults to
                `"auto"`.
        """
        if self.image.stretched:
            invert = "no"
        k = max(1, min(top_k, len(self.names)))
        flipped = ink.images_to_invert(pixels, invert, invert == "auto" and self.image.auto_invert)
        if flipped.any():
            pixels = pixels.copy()  # decoded images may be read-only views of Pillow's memory
            pixels[flipped] = ink.invert(pixels[flipped])
        probabilities = self.probabilities(pixels)
        ranked = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
        predictions = []
        for name, row, order, was_flipped in zip(files, probabilities, ranked, flipped):
            top = [(self.names[i], round(float(row[i]), 6)) for i in order]
            predictions.append(
                Prediction(str(name), top[0][0], int(order[0]), top[0][1], top, bool(was_flipped))
            )
        return predictions


def check_invert(invert: str) -> None:
    """Raises `ConfigError` for an `--invert` value other than auto, yes or no."""
    if invert not in INVERT_CHOICES:
        raise ConfigError("--invert", f"unknown value {invert!r}", "use auto, yes or no")


def classify_files(
    paths: list[str | Path],
    classifier: Classifier,
    *,
    top_k: int = 1,
    invert: str = "auto",
    batch_size: int = 256,
    workers: int | None = None,
) -> PredictionReport[Prediction]:
    """Classifies image files and directories of them, a batch at a time.

    Args:
        paths: Image files (PNG, JPEG, BMP; GIF too for an image-folder run) and directories of
            them.
        classifier: The model and its input description.
        top_k: How many of the most probable classes to list per file. Defaults to 1.
        invert: `"auto"` inverts light-background images for one-channel models trained on
            dark-background data, `"yes"` inverts every image, `"no"` none. Defaults to `"auto"`.
        batch_size: Images per model call. Defaults to 256.
        workers: Image decoding threads. Defaults to `None` (see `ImageReader`).

    Returns:
        A `PredictionReport`: one `Prediction` per readable image, in order, and one `DataError`
        per path or file that could not be used.

    Raises:
        ConfigError: For an unknown `invert` value.
    """
    check_invert(invert)
    files, errors = find_images(paths, *classifier.image.extensions)
    return classify_found(
        files,
        errors,
        classifier,
        top_k=top_k,
        invert=invert,
        batch_size=batch_size,
        workers=workers,
    )


def classify_found(
    files: list[Path],
    errors: list[DataError],
    classifier: Classifier,
    *,
    top_k: int = 1,
    invert: str = "auto",
    batch_size: int = 256,
    workers: int | None = None,
) -> PredictionReport[Prediction]:
    """`classify_files` on files already found (`data.images.files.find_images`) and the errors
    found with them."""
    report: PredictionReport[Prediction] = PredictionReport(classifier.run_dir, errors=list(errors))
    image = classifier.image
    with ImageReader(
        height=image.height,
        width=image.width,
        channels=image.channels,
        workers=workers,
        load=image.load,
    ) as reader:
        for chunk, items in reader.read_batches(files, batch_size):
            good = [
                (path, item) for path, item in zip(chunk, items) if not isinstance(item, DataError)
            ]
            report.errors.extend(item for item in items if isinstance(item, DataError))
            if good:
                report.predictions.extend(
                    classifier.rank(
                        [path for path, _ in good],
                        np.stack([item for _, item in good]),
                        top_k=top_k,
                        invert=invert,
                    )
                )
    return report
