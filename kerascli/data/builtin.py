"""The built-in datasets (MNIST, Fashion-MNIST, CIFAR-10): found on disk, or downloaded.

Built-in sources resolve in the order SPEC.md gives: an explicit `data.path`,
`$KERASCLI_DATA/<name>/`,
`./data/<name>/`, the Keras cache (`~/.keras/datasets`), then Keras' own download (which checks
the file's hash). Nothing imports TensorFlow unless a download is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from kerascli.config.sources import BUILTIN_DATASETS
from kerascli.data.arrays import read_npz, read_pair
from kerascli.data.cifar import download_cifar10, read_cifar10_archive, read_cifar10_dir
from kerascli.data.splits import Splits
from kerascli.errors import DataError

# The canonical IDX names MNIST and Fashion-MNIST are distributed under.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _find_idx_dir(directory: Path) -> dict[str, Path] | None:
    """Returns the four IDX files in `directory` (gzip or raw), or `None` if any is missing."""
    found = {}
    for key, stem in IDX_FILES.items():
        for candidate in (directory / f"{stem}.gz", directory / stem):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found


def builtin_candidates(name: str, explicit: str | None) -> list[Path]:
    """The local directories searched for a built-in dataset, in order."""
    places = []
    if explicit:
        places.append(Path(explicit))
    if os.environ.get("KERASCLI_DATA"):
        places.append(Path(os.environ["KERASCLI_DATA"]) / name)
    places.append(Path("data") / name)
    places.append(Path.home() / ".keras" / "datasets" / BUILTIN_DATASETS[name].keras_cache)
    return places


def load_builtin(name: str, explicit: str | None) -> Splits:
    places = builtin_candidates(name, explicit)
    for place in places:
        if place.is_file() and place.suffix == ".npz":
            return read_npz(place)
        if name == "cifar10" and place.is_dir() and (place / "data_batch_1").exists():
            return read_cifar10_dir(place)
        if place.is_dir():
            if name == "cifar10" and (place / "cifar-10-python.tar.gz").is_file():
                return read_cifar10_archive(place / "cifar-10-python.tar.gz")
            files = _find_idx_dir(place)
            if files:
                x_train, y_train = read_pair(str(files["x_train"]), str(files["y_train"]))
                x_test, y_test = read_pair(str(files["x_test"]), str(files["y_test"]))
                return Splits(x_train, y_train, x_test, y_test, origin=str(place))
            if (place / f"{name}.npz").is_file():
                return read_npz(place / f"{name}.npz")
    return _download(name, places)


def _download(name: str, places: list[Path]) -> Splits:
    """Falls back to a download into the Keras cache, checking the file's hash.

    MNIST and Fashion-MNIST come through Keras' own loaders. CIFAR-10 is downloaded as the
    archive and read by `kerascli.data.cifar`, because `keras.datasets.cifar10` unpickles its
    batches unrestricted.
    """
    import keras  # Deferred: only a download needs it.

    try:
        if name == "cifar10":
            return read_cifar10_archive(download_cifar10(Path.home() / ".keras"))
        loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[
            name
        ]
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except DataError:
        raise
    except Exception as error:  # noqa: BLE001 - Keras raises bare Exception for network failures
        looked = ", ".join(str(place) for place in places)
        raise DataError(
            f"data.source {name}",
            f"not found locally and the download failed ({type(error).__name__})",
            f"looked in {looked}; put the dataset files in ./data/{name}/ or set KERASCLI_DATA",
        ) from None
    return Splits(
        x_train, y_train.reshape(-1), x_test, y_test.reshape(-1), origin=f"keras.datasets.{name}"
    )
