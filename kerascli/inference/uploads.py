"""Uploaded files read exactly as `predict` reads the user's files: through a temporary file.

The readers take a path (and check it is a regular file), so an upload is written to a temporary
file that is deleted at once, and every error about that file is renamed to name the upload.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerascli.errors import DataError
from kerascli.inference.classify import Classifier
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput


@contextlib.contextmanager
def upload_file(data: bytes, suffix: str) -> Iterator[str]:
    """The upload as a temporary file, deleted on leaving."""
    descriptor, temporary = tempfile.mkstemp(prefix="kerascli-upload-", suffix=suffix)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield temporary
    finally:
        os.unlink(temporary)


def renamed(error: DataError, temporary: str, name: str) -> DataError:
    """An error about the temporary file, naming the upload instead (of the same type)."""
    return type(error)(
        error.where.replace(temporary, name), error.what.replace(temporary, name), error.hint
    )


def decode_upload(data: bytes, name: str, classifier: Classifier) -> np.ndarray:
    """An uploaded image's pixels at the model's size, as `predict` would read the same file.

    Raises:
        DataError: Naming the upload, when it is not an image `ImageInput.load` reads (PNG,
            JPEG, BMP; GIF too for an image-folder run: a `files.UnsupportedImage`), is damaged,
            or has more pixels than Pillow's decompression-bomb limit.
    """
    # The suffix only admits the file to Pillow, which tells the formats apart by their content.
    with upload_file(data, ".png") as temporary:
        try:
            return classifier.image.load(temporary)
        except DataError as error:
            named = renamed(error, temporary, name)
            raise type(error)(name, named.what, error.hint) from None


def read_upload(
    data: bytes, name: str, predictor: OwnPredictor
) -> tuple[list[tuple[list[str], Any]], list[DataError]]:
    """An uploaded CSV or text file as `predict` reads the same file: `(batches of labels and
    raw examples, errors)`, each error naming the upload (and its line)."""
    errors: list[DataError] = []
    suffix = ".csv" if isinstance(predictor.input, TableInput) else ".txt"
    with upload_file(data, suffix) as temporary:
        read: list[tuple[list, Any]] = list(predictor.input.read([temporary], errors))
    batches = [
        ([label.replace(temporary, name) for label in labels], examples)
        for labels, examples in read
    ]
    return batches, [renamed(error, temporary, name) for error in errors]
