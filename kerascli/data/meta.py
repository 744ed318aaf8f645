"""Facts about a run's data that using its model needs: class names, and the ink convention.

`predict` inverts light-background images for models trained on dark ones (`--invert auto`), and
`export` records both facts in its manifest so that the exported path never reads the data again.
"""

from __future__ import annotations

import numpy as np

from kerascli.config.schema import ExperimentConfig
from kerascli.config.sources import BUILTIN_DATASETS
from kerascli.data.images import ink
from kerascli.data.sources import class_names, load_splits
from kerascli.errors import DataError


def trained_on_dark_background(config: ExperimentConfig, geometry: tuple[int, int, int]) -> bool:
    """Whether the run's training images are light on dark, like MNIST.

    Known for the built-in sources; an image-folder run's photos are taken as they are (never
    inverted); otherwise measured on the border of up to 256 training images. When those cannot be
    read any more, MNIST's convention is assumed.
    """
    if config.data.source == "images":
        return False
    if config.data.source in BUILTIN_DATASETS:
        return BUILTIN_DATASETS[config.data.source].dark_background
    try:
        sample = np.asarray(load_splits(config.data).x_train[:256], dtype=np.float32)
        sample = sample.reshape((len(sample), *geometry))
    except (DataError, ValueError):
        return True
    return ink.has_dark_background(sample)


def output_class_names(config: ExperimentConfig, units: int, recorded: object = None) -> list[str]:
    """The class name of each column of a classifier's output of `units` units.

    One sigmoid unit stands for classes 0 and 1. Names come from the run's record (the folder
    names or target values training found), else the config or the built-in dataset when they
    fit, else the class indices.

    Args:
        config: The run's config.
        units: The output's width.
        recorded: `run.json`'s `class_names`, when it has them. Defaults to `None`.
    """
    classes = 2 if units == 1 else units
    if isinstance(recorded, list) and all(isinstance(name, str) for name in recorded):
        names = recorded
    else:
        names = class_names(config.data, classes)
    return names if names and len(names) == classes else [str(i) for i in range(classes)]
