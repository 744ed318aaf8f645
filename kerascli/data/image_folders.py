"""Reading a folder of class folders (`source: images`) with Keras' own utility, into memory.

`keras.utils.image_dataset_from_directory` lists, labels, decodes (in parallel, through
`tf.data`'s AUTOTUNE map) and resizes the images. Its datasets are read once into arrays: that is
the in-memory cache, so every epoch gathers batches from memory (`data.pipeline.make_dataset`)
instead of decoding files again, and training, evaluation and the validation split reuse the
numpy path every other source takes. A folder whose decoded images would not fit in memory is
refused with the sizes, rather than swapping.

The files are checked first, without TensorFlow (`data.images.folders`).
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import numpy as np

from kerascli.config.schema import DataConfig, HeldOut
from kerascli.config.sources import COLOR_CHANNELS
from kerascli.data.images.folders import FolderLayout, check_folder_files, scan_layout
from kerascli.data.splits import Splits
from kerascli.errors import DataError

# Training images are shuffled with this seed whatever the run's seed (`test: {split: f}` draws
# with its own `seed`), so that `kerascli evaluate` rebuilds exactly the test images training
# held out, and `validation: {split: f}` holds out the same sample every run.
SPLIT_SEED = 1337
# At most this fraction of the machine's memory holds the decoded images.
MEMORY_FRACTION = 0.5


# Folders whose every file was decoded by this process: the CLI checks them before TensorFlow
# loads, and reading them afterwards need not decode every file with Pillow again.
_CHECKED: dict[tuple, FolderLayout] = {}


def image_layout(config: DataConfig, check_files: bool = False) -> FolderLayout:
    """The data folder's layout and class names; with `check_files`, every image is decoded once.

    Raises:
        DataError: For a missing folder, a bad layout, or (with `check_files`) a bad file.
    """
    held_out = config.test.split if isinstance(config.test, HeldOut) else None
    layout = scan_layout(config.path, held_out)
    if "validation" in layout.folders and config.validation is not None:
        raise DataError(
            str(layout.folders["validation"]),
            "a val folder and data.validation both give validation data",
            "remove data.validation, or the val folder",
        )
    if not check_files:
        return layout
    key = (str(Path(config.path).resolve()), held_out, config.color_mode)
    if key not in _CHECKED:
        _CHECKED[key] = check_folder_files(layout, config.color_mode)
    return _CHECKED[key]


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _check_fits(config: DataConfig, layout: FolderLayout) -> None:
    height, width = config.image_size
    limits = {"train": config.limit.train, "test": config.limit.test}
    if layout.held_out is not None and config.limit.train and config.limit.test:
        limits["train"] = config.limit.train + config.limit.test  # test comes out of train/
    elif layout.held_out is not None:
        limits["train"] = None
    total = sum(min(count, limits.get(split) or count) for split, count in layout.files.items())
    needed = total * height * width * COLOR_CHANNELS[config.color_mode] * 4  # float32
    memory = _memory_bytes()
    if memory and needed > MEMORY_FRACTION * memory:
        raise DataError(
            str(layout.root),
            f"{total} images of {height}x{width} take "
            f"{needed / 2**20:.1f} MiB decoded, more than "
            f"{MEMORY_FRACTION:.0%} of this machine's {memory / 2**30:.1f} GiB",
            "lower data.image_size or set data.limit",
        )


def _to_arrays(dataset, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    if limit:
        dataset = dataset.take(limit)
    images, labels = [], []
    for x, y in dataset.batch(1024).prefetch(2).as_numpy_iterator():
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)


def load_image_folders(config: DataConfig) -> Splits:
    """Reads the training, test and validation images of a folder of class folders.

    Labels are class indices into the training classes (sorted folder names); a test or val
    folder may hold only some of those classes. Training images come shuffled (with a fixed
    seed), so that `validation: {split: f}` holds out a sample of every class.

    Args:
        config: The `data` section (`source: images`).

    Returns:
        `Splits` of float32 images `(n, height, width, channels)` in [0, 255] and int64 labels.

    Raises:
        DataError: As `image_layout` with its files checked, or when the images would not fit
            in memory.
    """
    layout = image_layout(config, check_files=True)
    _check_fits(config, layout)
    # Keras prints "Found N files..." and "Using N files for training." to stdout whatever
    # `verbose` says; kerascli's progress display says what it read instead.
    with contextlib.redirect_stdout(io.StringIO()):
        return _read_splits(config, layout)


def _read_splits(config: DataConfig, layout: FolderLayout) -> Splits:
    import keras

    common = dict(
        labels="inferred",
        label_mode="int",
        color_mode=config.color_mode,
        image_size=tuple(config.image_size),
        batch_size=None,
        verbose=False,
        interpolation="bilinear",
    )
    names = list(layout.class_names)
    arrays = {}
    if layout.held_out is not None:
        train, test = keras.utils.image_dataset_from_directory(
            layout.folders["train"],
            class_names=names,
            validation_split=layout.held_out,
            subset="both",
            shuffle=True,
            seed=config.test.seed,
            **common,
        )
        arrays["train"] = _to_arrays(train, config.limit.train)
        arrays["test"] = _to_arrays(test, config.limit.test)
    else:
        train = keras.utils.image_dataset_from_directory(
            layout.folders["train"], class_names=names, shuffle=True, seed=SPLIT_SEED, **common
        )
        arrays["train"] = _to_arrays(train, config.limit.train)
    for split, limit in (("test", config.limit.test), ("validation", None)):
        if split in layout.folders:
            present = layout.split_classes(split)
            dataset = keras.utils.image_dataset_from_directory(
                layout.folders[split], class_names=present, shuffle=False, **common
            )
            x, y = _to_arrays(dataset, limit)
            # Keras numbers a split's own classes; the model knows the training classes.
            arrays[split] = x, np.array([names.index(name) for name in present])[y]
    splits = Splits(*arrays["train"], origin=str(layout.root))
    splits.x_test, splits.y_test = arrays.get("test", (None, None))
    splits.x_val, splits.y_val = arrays.get("validation", (None, None))
    return splits


def read_like_training(paths: list, config: DataConfig) -> list[np.ndarray | DataError]:
    """Reads image files exactly as training read the run's folders, for `kerascli predict`.

    Each file is first decoded by Pillow under the bomb limit (`check_image`), so a damaged one
    is its own error; its bytes are then decoded and resized by the same TensorFlow ops
    `image_dataset_from_directory` uses (`decode_image` with `expand_animations=False`, bilinear
    `resize`), which Keras does not expose for a single file.

    Args:
        paths: Image files (PNG, JPEG, BMP, GIF).
        config: The run's `data` section (`source: images`).

    Returns:
        Per file, a float32 array `(height, width, channels)` in [0, 255], or its `DataError`.
    """
    import tensorflow as tf

    from kerascli.data.images.decode import bomb_guard, check_image
    from kerascli.data.images.files import open_regular
    from kerascli.data.images.folders import FOLDER_FORMATS, FOLDER_SUPPORTED, unreadable_by_keras

    channels = COLOR_CHANNELS[config.color_mode]
    items = []
    with bomb_guard():
        for path in paths:
            try:
                refused = unreadable_by_keras(
                    Path(path),
                    check_image(path, FOLDER_FORMATS, FOLDER_SUPPORTED),
                    config.color_mode,
                )
                if refused:
                    raise refused
                with open_regular(path) as handle:
                    data = handle.read()
            except (DataError, OSError) as error:
                items.append(
                    error
                    if isinstance(error, DataError)
                    else DataError(str(path), f"cannot read: {error.strerror}")
                )
                continue
            image = tf.image.decode_image(data, channels=channels, expand_animations=False)
            items.append(tf.image.resize(image, config.image_size, method="bilinear").numpy())
    return items
