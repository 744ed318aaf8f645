"""The raw arrays a data source yields, before preprocessing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
