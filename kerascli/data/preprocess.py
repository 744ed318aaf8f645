"""Preprocessing from config: reshape, scale or range, one-hot, and the validation split.

These are numpy functions, not tf.data maps, so that `predict` replays exactly what training did
on a single image, and so that the training pipeline prepares each array once rather than every
epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kerascli.data.splits import Splits
from kerascli.errors import DataError

if TYPE_CHECKING:  # pydantic's import is a third of a TensorFlow-free predict's start-up
    from kerascli.config.schema import DataConfig, PreprocessConfig


class ScalingSpec(Protocol):
    """What `preprocess_images` reads: the config's `data.preprocess` section, or the export
    manifest's copy of it (`inference.inputs.Scaling`)."""

    @property
    def reshape(self) -> Sequence[int] | None: ...

    @property
    def scale(self) -> float | None: ...

    @property
    def range(self) -> Sequence[float] | None: ...


@dataclass
class Prepared:
    """Arrays ready for a model: float32 inputs and (one-hot or integer) labels.

    `num_classes` is the one-hot depth, or the number of distinct integer labels, or `None` for
    non-integer targets (regression).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    num_classes: int | None


def preprocess_images(x: np.ndarray, config: ScalingSpec, where: str = "data") -> np.ndarray:
    """Reshapes and rescales a batch of inputs as the config says.

    Args:
        x: Raw inputs, first axis the examples (uint8 images for the built-in sources).
        config: The `data.preprocess` section.
        where: Names the data in error messages. Defaults to `"data"`.

    Returns:
        A float32 array: `x / scale`, or mapped linearly from `[0, scale or 255]` to `range`.

    Raises:
        DataError: When the examples cannot be reshaped to `reshape`.
    """
    x = np.asarray(x)
    if config.reshape is not None:
        try:
            x = x.reshape((len(x), *config.reshape))
        except ValueError:
            raise DataError(
                where,
                f"cannot reshape examples of shape {x.shape[1:]} to {config.reshape}",
                "check data.preprocess.reshape",
            ) from None
    x = x.astype(np.float32, copy=False)
    if config.range is not None:
        low, high = config.range
        x = low + (high - low) * (x / np.float32(config.scale or 255.0))
    elif config.scale is not None:
        x = x / np.float32(config.scale)
    return x.astype(np.float32, copy=False)


def display_range(config: ScalingSpec) -> tuple[float, float]:
    """The value range of preprocessed images: what maps back to black and white."""
    if config.range:
        return tuple(config.range)
    return (0.0, 255.0 / config.scale) if config.scale else (0.0, 255.0)


def to_pixels(x: np.ndarray, config: ScalingSpec) -> np.ndarray:
    """Maps preprocessed images (or a generator's output) back to uint8 pixels, clipped."""
    low, high = display_range(config)
    return np.clip(
        np.rint((np.asarray(x, np.float32) - low) / (high - low) * 255.0), 0, 255
    ).astype(np.uint8)


def preprocess_labels(y: np.ndarray, config: PreprocessConfig, where: str = "data") -> np.ndarray:
    """One-hot encodes integer labels when the config asks for it.

    Raises:
        DataError: When labels are not integers or lie outside `[0, one_hot)`.
    """
    y = np.asarray(y)
    if config.one_hot is None:
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            where,
            f"one_hot needs integer class labels, got {y.dtype} labels of shape {y.shape[1:]}",
            "remove data.preprocess.one_hot",
        )
    bad = np.flatnonzero((y < 0) | (y >= config.one_hot))
    if bad.size:
        raise DataError(
            where,
            f"label {int(y[bad[0]])} (example {int(bad[0])}) is outside the "
            f"{config.one_hot} classes",
            "check data.preprocess.one_hot",
        )
    return np.eye(config.one_hot, dtype=np.float32)[y]


def count_classes(y: np.ndarray, config: PreprocessConfig) -> int | None:
    """The number of classes raw labels `y` stand for, or `None` for regression targets."""
    y = np.asarray(y)
    if config.one_hot:
        return config.one_hot
    if np.issubdtype(y.dtype, np.integer) and (y.ndim == 1 or y.shape[1:] == (1,)):
        return int(y.max()) + 1 if y.size else None
    if y.ndim == 2 and y.shape[1] > 1:
        return y.shape[1]
    return None


def validation_slices(count: int, validation) -> tuple[slice, slice]:
    """`(kept for training, held out)`: the slices a `data.validation` section makes of `count`.

    `split: f` holds out the last fraction `f` (as Keras' `validation_split` does); `first: n`
    holds out the first `n` examples (the Keras tour's held-out slice).

    Raises:
        DataError: When the held-out slice leaves no example on one side.
    """
    held = (
        validation.first if validation.first is not None else int(round(count * validation.split))
    )
    if not 0 < held < count:
        raise DataError(
            "data.validation",
            f"holding out {held} of {count} training "
            "examples leaves none to train on (or none to validate)",
        )
    if validation.first is not None:
        return slice(held, None), slice(0, held)
    return slice(0, count - held), slice(count - held, None)


def prepare(splits: Splits, config: DataConfig) -> Prepared:
    """Preprocesses every split and carves out the validation data.

    `validation.split: f` holds out the last fraction `f` of the training data (as Keras'
    `validation_split` does); `validation.first: n` holds out the first `n` examples (the Keras
    tour's held-out slice); validation files are used as given.

    Raises:
        DataError: For preprocessing problems, or a held-out slice as large as the training set.
    """
    pre = config.preprocess
    x_train = preprocess_images(splits.x_train, pre, "data.train")
    y_train = preprocess_labels(splits.y_train, pre, "data.train")
    x_val = y_val = None
    validation = config.validation
    if splits.x_val is not None:
        x_val = preprocess_images(splits.x_val, pre, "data.validation")
        y_val = preprocess_labels(splits.y_val, pre, "data.validation")
    elif validation is not None:
        kept, held = validation_slices(len(x_train), validation)
        x_val, y_val, x_train, y_train = x_train[held], y_train[held], x_train[kept], y_train[kept]
    x_test = y_test = None
    if splits.x_test is not None:
        x_test = preprocess_images(splits.x_test, pre, "data.test")
        y_test = preprocess_labels(splits.y_test, pre, "data.test")
    return Prepared(
        x_train, y_train, x_val, y_val, x_test, y_test, count_classes(splits.y_train, pre)
    )
