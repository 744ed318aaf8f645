"""Decoding many image files on a small thread pool, in order, a batch ahead of the model."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from kerascli.data.images.decode import bomb_guard, load_image
from kerascli.errors import DataError


class ImageReader:
    """Decodes image files on a small thread pool, in order.

    Pillow's decoders and TensorFlow release the GIL, so the pool decodes the next batch while the
    model predicts the current one, and several large images decode at once. Use it as a context
    manager: it holds the pool and `bomb_guard`.

    Args:
        height: Output height. width: Output width.
        channels: 1 (grayscale) or 3 (RGB).
        workers: Decoding threads. Defaults to `None`: the CPU count, at most 4.
        load: Reads one file into its array, raising `DataError`. Defaults to `None`:
            `load_image` at the size and channels given.
    """

    def __init__(
        self,
        *,
        height: int,
        width: int,
        channels: int,
        workers: int | None = None,
        load: Callable[[Path], np.ndarray] | None = None,
    ):
        self.height, self.width, self.channels = height, width, channels
        self.load = load
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._guard = None

    def __enter__(self) -> ImageReader:
        self._guard = bomb_guard()
        self._guard.__enter__()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kerascli-image")
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._guard.__exit__(*exc_info)

    def _read_one(self, path: Path) -> np.ndarray | DataError:
        try:
            if self.load is not None:
                return self.load(path)
            return load_image(path, height=self.height, width=self.width, channels=self.channels)
        except DataError as error:
            return error

    def read(self, paths: list[Path]) -> list[np.ndarray | DataError]:
        """Reads `paths`; each item is the image array or the `DataError` for that file."""
        return [future.result() for future in self._submit(paths)]

    def read_batches(
        self, paths: list[Path], batch_size: int
    ) -> Iterator[tuple[list[Path], list[np.ndarray | DataError]]]:
        """Reads `paths` in batches, in order, decoding the next batch while this one is used.

        Yields:
            `(paths, items)` per batch of at most `batch_size` files, as `read` returns them.
        """
        batches = [paths[start : start + batch_size] for start in range(0, len(paths), batch_size)]
        pending = self._submit(batches[0]) if batches else []
        for index, batch in enumerate(batches):
            current = pending
            if index + 1 < len(batches):
                # Queued behind this batch, so the pool works on it while the caller predicts.
                pending = self._submit(batches[index + 1])
            yield batch, [future.result() for future in current]

    def _submit(self, paths: list[Path]) -> list[Future]:
        if self._pool is None:
            raise RuntimeError("use ImageReader as a context manager")
        return [self._pool.submit(self._read_one, path) for path in paths]
