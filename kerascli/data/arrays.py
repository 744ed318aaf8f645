"""Reading arrays from the user's files: IDX (gzip or raw), `.npy` and `.npz`, never pickles."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from kerascli.data.idx import read_idx
from kerascli.data.splits import Splits
from kerascli.errors import DataError


def _check_pair(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if len(images) != len(labels):
        raise DataError(
            where,
            f"{len(images)} images but {len(labels)} labels",
            "images and labels must come in pairs",
        )


def read_array(path: str) -> np.ndarray:
    """Reads an IDX file (raw or gzip) or a `.npy` array, refusing pickled objects."""
    if str(path).endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise DataError(path, "file not found") from None
        except (OSError, ValueError) as error:
            raise DataError(path, f"not a readable .npy array: {error}") from None
    return read_idx(path)


def read_pair(images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_array(images), read_array(labels)
    _check_pair(x, y, images)
    return x, y


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
                raise DataError(
                    where,
                    f"the archive has no {', '.join(sorted(missing))}",
                    f"it holds {', '.join(sorted(keys)) or 'nothing'}",
                )
            arrays = {
                key: archive[key]
                for key in ("x_train", "y_train", "x_test", "y_test")
                if key in keys
            }
    except FileNotFoundError:
        raise DataError(where, "file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(where, f"not a readable .npz archive: {error}") from None
    _check_pair(arrays["x_train"], arrays["y_train"], where)
    if "x_test" in arrays and "y_test" in arrays:
        _check_pair(arrays["x_test"], arrays["y_test"], where)
    return Splits(
        arrays["x_train"],
        arrays["y_train"],
        arrays.get("x_test"),
        arrays.get("y_test"),
        origin=str(path),
    )
