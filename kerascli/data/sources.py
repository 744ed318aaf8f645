"""Where a config's data comes from: the one entry point from a `data` section to raw arrays.

Built-in datasets (`builtin`), IDX files and npz arrays (`arrays`) and folders of class folders
(`image_folders`) all end as `Splits` of plain numpy arrays; nothing here imports TensorFlow
unless a download or an image folder needs it. CSV tables and text folders (`config.sources.
ENCODED_SOURCES`) are prepared by `data.own` instead, which also decides the model's input;
`check_files` checks every source's files before TensorFlow.
"""

from __future__ import annotations

import numpy as np

from kerascli.config.schema import DataConfig
from kerascli.config.sources import (
    BUILTIN_DATASETS,
    COLOR_CHANNELS,
    ENCODED_SOURCES,
    files_input_shape,
)
from kerascli.data.arrays import read_npz, read_pair
from kerascli.data.builtin import load_builtin
from kerascli.data.idx import read_idx_shape
from kerascli.data.image_folders import image_layout, load_image_folders
from kerascli.data.own import TrainingData, check_own_data, load_own_data
from kerascli.data.preprocess import prepare
from kerascli.data.splits import Splits


def check_files(config: DataConfig) -> str | None:
    """Checks what can be checked of the data's files before TensorFlow loads.

    An image folder's layout is checked and every image in it decoded once by Pillow; a CSV
    table is parsed and every cell checked against its feature kind; a text folder's layout is
    checked. A missing folder or a damaged file is then one line at once rather than after
    TensorFlow's start.

    Returns:
        What a csv or text source holds (`data.own.check_own_data`: feature kinds, classes), for
        `kerascli validate` to show; `None` for the other sources.

    Raises:
        DataError: For the first problem (further ones in its `others`).
    """
    if config.source == "images":
        image_layout(config, check_files=True)
    return check_own_data(config)


def load_training_data(config: DataConfig) -> TrainingData:
    """Reads and prepares a source's splits: the one dispatch `kerascli train` reads data by.

    Args:
        config: The validated `data` section.

    Returns:
        The prepared splits, their class names, and the input shape the data decides (image
        folders: `files_input_shape`; csv and text: `data.own`), with what run.json records.

    Raises:
        DataError: When the data cannot be read. ConfigError: For feature arguments Keras
            refuses (csv).
    """
    if config.source in ENCODED_SOURCES:
        return load_own_data(config)
    prepared = prepare(load_splits(config), config)
    names = class_names(config, prepared.num_classes)
    shape = files_input_shape(config)
    # Image folders' class names are the folder names: recorded so that predict names the
    # classes without the data folder, and evaluate as training did.
    record = {"class_names": names} if config.source == "images" else {}
    return TrainingData(prepared, names, None if shape is None else tuple(shape), record=record)


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
    if config.source in BUILTIN_DATASETS:
        splits = load_builtin(config.source, config.path)
    elif config.source == "npz":
        splits = read_npz(config.path, "data.path")
    elif config.source == "images":
        return load_image_folders(config)  # data.limit is applied while reading
    else:
        x_train, y_train = read_pair(config.train.images, config.train.labels)
        splits = Splits(x_train, y_train, origin=config.train.images)
        if config.test is not None:
            splits.x_test, splits.y_test = read_pair(config.test.images, config.test.labels)
    if config.validation is not None and config.validation.images is not None:
        splits.x_val, splits.y_val = read_pair(config.validation.images, config.validation.labels)
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
    if config.source in BUILTIN_DATASETS:
        return list(BUILTIN_DATASETS[config.source].class_names)
    if config.source == "images":
        return list(image_layout(config).class_names)  # the folder names: no image is read
    return [str(index) for index in range(num_classes)] if num_classes else None


def example_shape(config: DataConfig) -> tuple[int, ...]:
    """The shape of one raw training example, read from as little of the data as possible.

    Built-in datasets are known; IDX files are asked for their header only. Other sources read
    their training arrays (an npz archive is read whole by numpy anyway).

    Raises:
        DataError: When the training data cannot be read.
    """
    if config.source in BUILTIN_DATASETS:
        return BUILTIN_DATASETS[config.source].raw_shape
    if config.source == "images":
        return (*config.image_size, COLOR_CHANNELS[config.color_mode])
    if config.source == "idx" and not str(config.train.images).endswith(".npy"):
        return read_idx_shape(config.train.images)[1:]
    return tuple(np.asarray(load_splits(config).x_train).shape[1:])
