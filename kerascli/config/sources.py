"""The data sources a config may name, and what is known of each built-in dataset.

The one list of sources: the schema's `data.source` choices, the data package's loaders and
`predict`'s image geometry all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


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


BUILTIN_DATASETS = {
    "mnist": BuiltinDataset(tuple(str(digit) for digit in range(10)), (28, 28, 1), (28, 28),
                            "mnist.npz", dark_background=True),
    "fashion_mnist": BuiltinDataset(
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"), (28, 28, 1), (28, 28), "fashion-mnist", dark_background=True),
    "cifar10": BuiltinDataset(
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"), (32, 32, 3), (32, 32, 3), "cifar-10-batches-py", dark_background=False),
}
# Sources that read the user's own files, named in the config.
FILE_SOURCES = ("idx", "npz", "csv", "text")
# Own-data sources whose class names (and, for csv, feature kinds) the data itself determines.
OWN_DATA_SOURCES = ("csv", "text")
SOURCES = (*BUILTIN_DATASETS, *FILE_SOURCES)
