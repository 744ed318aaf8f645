"""Where a config's data comes from: built-in datasets, IDX files and npz arrays.

Built-in sources resolve in the order SPEC.md gives: an explicit `data.path`, `$KERASCLI_DATA/<name>/`,
`./data/<name>/`, the Keras cache (`~/.keras/datasets`), then Keras' own download (which checks
the file's hash). Everything here returns plain numpy arrays; nothing imports TensorFlow unless a
download is needed.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerascli.config import DataConfig
from kerascli.data.idx import read_idx
from kerascli.errors import DataError

# The canonical IDX names MNIST and Fashion-MNIST are distributed under.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# The directory names Keras caches each dataset under (`keras.datasets.*.load_data`).
KERAS_CACHE = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist", "cifar10": "cifar-10-batches-py"}
CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
}


@dataclass
class Splits:
    """Raw arrays of a data source, before preprocessing.

    Args:
        x_train: Training inputs. y_train: Training labels.
        x_test, y_test: Test data, or `None` when the source has none.
        x_val, y_val: Validation data given as files, or `None` (split from train later).
        origin: Where the data was read from, for run.json.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    origin: str = ""


def _check_pair(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if len(images) != len(labels):
        raise DataError(where, f"{len(images)} images but {len(labels)} labels",
                        "images and labels must come in pairs")


def _read_array(path: str) -> np.ndarray:
    """Reads an IDX file (raw or gzip) or a `.npy` array, refusing pickled objects."""
    if str(path).endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise DataError(path, "file not found") from None
        except (OSError, ValueError) as error:
            raise DataError(path, f"not a readable .npy array: {error}") from None
    return read_idx(path)


def _read_pair(images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = _read_array(images), _read_array(labels)
    _check_pair(x, y, images)
    return x, y


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


def read_npz(path: str | Path, where: str | None = None) -> Splits:
    """Reads `x_train`, `y_train` and optionally `x_test`, `y_test` from an `.npz` file.

    Raises:
        DataError: When the file is missing, not an npz archive, holds pickled objects, or lacks
            `x_train`/`y_train`.
    """
    where = where or str(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.files)
            missing = {"x_train", "y_train"} - keys
            if missing:
                raise DataError(where, f"the archive has no {', '.join(sorted(missing))}",
                                f"it holds {', '.join(sorted(keys)) or 'nothing'}")
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")
                      if key in keys}
    except FileNotFoundError:
        raise DataError(where, "file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(where, f"not a readable .npz archive: {error}") from None
    _check_pair(arrays["x_train"], arrays["y_train"], where)
    if "x_test" in arrays and "y_test" in arrays:
        _check_pair(arrays["x_test"], arrays["y_test"], where)
    return Splits(arrays["x_train"], arrays["y_train"], arrays.get("x_test"),
                  arrays.get("y_test"), origin=str(path))


def builtin_candidates(name: str, explicit: str | None) -> list[Path]:
    """The local directories searched for a built-in dataset, in order."""
    places = []
    if explicit:
        places.append(Path(explicit))
    if os.environ.get("KERASCLI_DATA"):
        places.append(Path(os.environ["KERASCLI_DATA"]) / name)
    places.append(Path("data") / name)
    places.append(Path.home() / ".keras" / "datasets" / KERAS_CACHE.get(name, name))
    return places


def _load_builtin(name: str, explicit: str | None) -> Splits:
    places = builtin_candidates(name, explicit)
    for place in places:
        if place.is_file() and place.suffix == ".npz":
            return read_npz(place)
        if name == "cifar10" and place.is_dir() and (place / "data_batch_1").exists():
            from kerascli.data.cifar import read_cifar10_dir

            return read_cifar10_dir(place)
        if place.is_dir():
            if name == "cifar10" and (place / "cifar-10-python.tar.gz").is_file():
                from kerascli.data.cifar import read_cifar10_archive

                return read_cifar10_archive(place / "cifar-10-python.tar.gz")
            files = _find_idx_dir(place)
            if files:
                x_train, y_train = _read_pair(str(files["x_train"]), str(files["y_train"]))
                x_test, y_test = _read_pair(str(files["x_test"]), str(files["y_test"]))
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
            from kerascli.data.cifar import download_cifar10, read_cifar10_archive

            return read_cifar10_archive(download_cifar10(Path.home() / ".keras"))
        loader = {"mnist": keras.datasets.mnist,
                  "fashion_mnist": keras.datasets.fashion_mnist}[name]
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except DataError:
        raise
    except Exception as error:  # Keras raises bare Exception for network failures.
        looked = ", ".join(str(place) for place in places)
        raise DataError(f"data.source {name}", f"not found locally and the download failed "
                        f"({type(error).__name__})",
                        f"looked in {looked}; put the dataset files in ./data/{name}/ or set "
                        "KERASCLI_DATA") from None
    return Splits(x_train, y_train.reshape(-1), x_test, y_test.reshape(-1),
                  origin=f"keras.datasets.{name}")


def load_splits(config: DataConfig) -> Splits:
    """Reads the raw arrays a data config names.

    Args:
        config: The validated `data` section.

    Returns:
        `Splits` with the raw arrays (uint8 images and integer labels for the built-in sources),
        limited to `data.limit` examples per split.

    Raises:
        DataError: When a file is missing, malformed or inconsistent, or a built-in dataset cannot
            be found or downloaded.
    """
    if config.source in CLASS_NAMES:
        splits = _load_builtin(config.source, config.path)
    elif config.source == "npz":
        splits = read_npz(config.path, "data.path")
    else:
        x_train, y_train = _read_pair(config.train.images, config.train.labels)
        splits = Splits(x_train, y_train, origin=config.train.images)
        if config.test is not None:
            splits.x_test, splits.y_test = _read_pair(config.test.images, config.test.labels)
    if config.validation is not None and config.validation.images is not None:
        splits.x_val, splits.y_val = _read_pair(config.validation.images, config.validation.labels)
    if config.limit.train:
        splits.x_train = splits.x_train[: config.limit.train]
        splits.y_train = splits.y_train[: config.limit.train]
    if config.limit.test and splits.x_test is not None:
        splits.x_test = splits.x_test[: config.limit.test]
        splits.y_test = splits.y_test[: config.limit.test]
    return splits


def class_names(config: DataConfig, num_classes: int | None) -> list[str] | None:
    """The class names: from the config, else the built-in dataset's, else the class indices."""
    if config.class_names:
        return list(config.class_names)
    if config.source in CLASS_NAMES:
        return CLASS_NAMES[config.source]
    return [str(index) for index in range(num_classes)] if num_classes else None
