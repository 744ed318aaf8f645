"""A `source: text` data section: class folders of `.txt` files, read with Keras' own utility.

`check_text_folder` walks the folders without TensorFlow (the CLI runs it before the import):
a missing folder, too few classes, a class with no text, test folders that name other classes or
a file that is not UTF-8 are each one line. `read_text_splits` then reads them with
`keras.utils.text_dataset_from_directory` into string tensors: a text corpus that trains on a CPU
fits in memory, and in-memory strings go through the same array pipeline as every other source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerascli.config.schema import DataConfig, HeldOut
from kerascli.data.text_files import check_utf8, text_files
from kerascli.errors import DataError, clip

_ORDER_SEED = 1337


@dataclass(frozen=True)
class TextFolders:
    """Where a text source's splits are, and its classes (the training folder's subfolders)."""

    train: Path
    class_names: tuple[str, ...]
    test: Path | None = None
    val: Path | None = None
    split: HeldOut | None = None


def _classes(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def check_text_folder(config: DataConfig) -> TextFolders:
    """Finds a text source's splits and checks every class folder and file, without TensorFlow.

    `path/train/<class>/*.txt` (with `path/test/` and `path/val/` when present), or the class
    folders directly under `path` (with `test: {split: F}` for a test set).

    Raises:
        DataError: For a missing folder, fewer than two classes, a class without `.txt` files,
            test or val folders with other classes, or a file that is not UTF-8.
    """
    root = Path(config.path)
    if not root.is_dir():
        raise DataError(
            str(root),
            "no such folder" if not root.exists() else "is not a folder",
            "data.path names a folder of class folders of .txt files",
        )
    split = config.test if isinstance(config.test, HeldOut) else None
    if (root / "train").is_dir():
        if split is not None:
            raise DataError(
                str(root),
                "has a train/ folder, so its test set is test/",
                "remove data.test, or put the class folders directly under it",
            )
        found = TextFolders(
            root / "train",
            (),
            *[root / name if (root / name).is_dir() else None for name in ("test", "val")],
        )
    else:
        found = TextFolders(root, (), split=split)
    classes = _classes(found.train)
    if len(classes) < 2:
        raise DataError(
            str(found.train),
            f"has {len(classes)} class folder(s)",
            "put each class's .txt files in a folder named after it, two classes at least",
        )
    for folder in (found.train, found.test, found.val):
        if folder is None:
            continue
        if folder is not found.train and _classes(folder) != classes:
            raise DataError(
                str(folder),
                f"its class folders ({clip(', '.join(_classes(folder)), 80)}) "
                f"are not those of {found.train} ({clip(', '.join(classes), 80)})",
                "every split needs the same class folders",
            )
        for name in classes:
            files = text_files(folder / name)
            if not files:
                raise DataError(
                    str(folder / name),
                    "has no .txt files",
                    "each class folder holds its examples as .txt files",
                )
            for path in files:
                check_utf8(path)
    return TextFolders(found.train, tuple(classes), found.test, found.val, found.split)


def read_text_splits(config: DataConfig):
    """Reads a text source with `keras.utils.text_dataset_from_directory`.

    Returns:
        `(train, val, test, class_names)`; each split an `(x, y)` pair of a string tensor and
        int64 class indices, `val` and `test` `None` when absent.

    Raises:
        DataError: As `check_text_folder`.
    """
    folders = check_text_folder(config)
    names = list(folders.class_names)
    if folders.split is not None:
        train, test = _read(
            folders.train,
            names,
            validation_split=folders.split.split,
            subset="both",
            seed=folders.split.seed,
        )
    else:
        # Shuffled once, seeded: a validation split then holds out a mix of the classes.
        train = _read(folders.train, names, seed=_ORDER_SEED)
        test = _read(folders.test, names, shuffle=False) if folders.test else None
    val = _read(folders.val, names, shuffle=False) if folders.val else None
    return _materialize(train), _materialize(val), _materialize(test), names


def read_text_test(config: DataConfig):
    """A text source's test split alone, `(texts, labels, class_names)`, or `None` without one.

    A split of the one folder is the same as in training: the same seed holds out the same files.
    """
    folders = check_text_folder(config)
    names = list(folders.class_names)
    if folders.split is not None:
        test = _read(
            folders.train,
            names,
            validation_split=folders.split.split,
            subset="validation",
            seed=folders.split.seed,
        )
    elif folders.test is not None:
        test = _read(folders.test, names, shuffle=False)
    else:
        return None
    return (*_materialize(test), names)


def _read(folder: Path, names: list[str], shuffle: bool = True, **split):
    import keras

    return keras.utils.text_dataset_from_directory(
        folder,
        labels="inferred",
        label_mode="int",
        class_names=names,
        batch_size=None,
        shuffle=shuffle,
        verbose=False,
        **split,
    )


def _materialize(dataset):
    """A dataset of `(text, label)` examples as one string tensor and an int64 array."""
    import tensorflow as tf

    if dataset is None:
        return None
    texts, labels = [], []
    for x, y in dataset.batch(4096):
        texts.append(x.numpy())
        labels.append(y.numpy())
    return tf.constant(np.concatenate(texts)), np.concatenate(labels).astype(np.int64)
