"""Preprocessing: reshape, scale, range, one-hot and the validation split."""

from __future__ import annotations

import numpy as np
import pytest

from kerascli.config.schema import DataConfig, PreprocessConfig
from kerascli.data.preprocess import prepare, preprocess_images, preprocess_labels
from kerascli.data.splits import Splits
from kerascli.errors import DataError

IMAGES = np.arange(10 * 4, dtype=np.uint8).reshape(10, 2, 2) * 6
LABELS = np.arange(10, dtype=np.uint8) % 3


@pytest.mark.parametrize(
    "config, low, high",
    [
        (PreprocessConfig(scale=255), 0.0, 234 / 255),
        (PreprocessConfig(range=[-1, 1]), -1.0, -1 + 2 * 234 / 255),
        (PreprocessConfig(), 0.0, 234.0),
    ],
)
def test_scaling(config, low, high):
    x = preprocess_images(IMAGES, config)
    assert x.dtype == np.float32
    assert x.min() == pytest.approx(low) and x.max() == pytest.approx(high)


def test_reshape_and_bad_reshape():
    assert preprocess_images(IMAGES, PreprocessConfig(reshape=[4])).shape == (10, 4)
    assert preprocess_images(IMAGES, PreprocessConfig(reshape=[2, 2, 1])).shape == (10, 2, 2, 1)
    with pytest.raises(DataError, match=r"cannot reshape examples of shape \(2, 2\) to \[5\]"):
        preprocess_images(IMAGES, PreprocessConfig(reshape=[5]))


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([0, 1, 12]), "label 12 \\(example 2\\) is outside the 10 classes"),
        (np.array([0, -1]), "label -1 \\(example 1\\) is outside"),
        (np.array([0.5, 1.0]), "one_hot needs integer class labels"),
    ],
)
def test_bad_labels(labels, message):
    with pytest.raises(DataError, match=message):
        preprocess_labels(labels, PreprocessConfig(one_hot=10))


def test_one_hot():
    y = preprocess_labels(LABELS, PreprocessConfig(one_hot=3))
    assert y.shape == (10, 3) and (y.argmax(1) == LABELS).all()


@pytest.mark.parametrize(
    "validation, train_first, val_first, val_count",
    [
        ({"split": 0.2}, 0, 8, 2),  # the last 20%, like Keras' validation_split
        ({"first": 3}, 3, 0, 3),  # the tour's held-out first slice
    ],
)
def test_validation_split(validation, train_first, val_first, val_count):
    config = DataConfig(
        source="npz", path="x.npz", validation=validation, preprocess={"reshape": [4]}
    )
    prepared = prepare(Splits(IMAGES, LABELS), config)
    assert len(prepared.x_val) == val_count and len(prepared.x_train) == 10 - val_count
    assert prepared.x_train[0, 0] == IMAGES[train_first, 0, 0]
    assert prepared.x_val[0, 0] == IMAGES[val_first, 0, 0]
    assert prepared.num_classes == 3


def test_validation_that_leaves_nothing_is_refused():
    config = DataConfig(source="npz", path="x.npz", validation={"first": 10})
    with pytest.raises(DataError, match="leaves none to train on"):
        prepare(Splits(IMAGES, LABELS), config)
