"""The data sources a config may name, and what is known of each built-in dataset.

The one list of sources: the schema's `data.source` choices, the data package's loaders and
`predict`'s image geometry all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from kerascli.config.data_schema import DataConfig


@dataclass(frozen=True)
class BuiltinDataset:
    """A dataset kerascli knows by name.

    Args:
        class_names: The names of its classes, by label.
        image_shape: One image's shape as the model sees it, `(height, width, channels)`.
        raw_shape: One image's shape as the files hold it.
        keras_cache: Its name in the Keras cache (`~/.keras/datasets`).
        dark_background: Whether its images are light ink on a dark background (MNIST-like).
    """

    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    raw_shape: tuple[int, ...]
    keras_cache: str
    dark_background: bool


# The names the schema accepts as `data.source` (types for the schema; tuples for the code).
BuiltinName = Literal["mnist", "fashion_mnist", "cifar10"]
FileSource = Literal["idx", "npz", "images", "csv", "text"]
Source = Literal[BuiltinName, FileSource]
ColorMode = Literal["grayscale", "rgb", "rgba"]

BUILTIN_DATASETS: dict[str, BuiltinDataset] = {
    "mnist": BuiltinDataset(
        tuple(str(digit) for digit in range(10)),
        (28, 28, 1),
        (28, 28),
        "mnist.npz",
        dark_background=True,
    ),
    "fashion_mnist": BuiltinDataset(
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        (28, 28, 1),
        (28, 28),
        "fashion-mnist",
        dark_background=True,
    ),
    "cifar10": BuiltinDataset(
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (32, 32, 3),
        (32, 32, 3),
        "cifar-10-batches-py",
        dark_background=False,
    ),
}
# Sources that read the user's own files, named in the config.
FILE_SOURCES: tuple[str, ...] = get_args(FileSource)
# Sources read through `data.own`: their data decides the model's input entirely (a table's
# encoded features, one string per text), so `model.input_shape` must be left out; it decides
# the class names too, and the saved model takes raw rows or texts.
ENCODED_SOURCES = ("csv", "text")
# Sources whose data says what one example looks like, so `model.input_shape` may be left out
# (`files_input_shape` for images; `data.own` for the encoded ones).
DATA_SHAPED_SOURCES = ("images", *ENCODED_SOURCES)
# `data.color_mode` -> channels, as keras.utils.image_dataset_from_directory reads them.
# (its keys are ColorMode's names: tests/config/test_sources.py checks both lists agree)
COLOR_CHANNELS: dict[str, int] = {"grayscale": 1, "rgb": 3, "rgba": 4}
SOURCES: tuple[str, ...] = get_args(Source)


def files_input_shape(data: DataConfig) -> list[int] | None:
    """One example's shape as the data's files decide it, for a model without input_shape.

    Args:
        data: The validated `data` section (a `schema.DataConfig`).

    Returns:
        `[height, width, channels]` for source images (or `preprocess.reshape`, when given
        without -1); `None` for other sources (csv and text: `data.own` tells it once read).
    """
    if data.source != "images":
        return None
    reshape = data.preprocess.reshape
    if reshape is not None and -1 not in reshape:
        return list(reshape)
    assert data.image_size is not None  # the schema requires it for source images
    return [*data.image_size, COLOR_CHANNELS[data.color_mode]]
