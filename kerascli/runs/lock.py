"""One process at a time per run directory: an exclusive `flock` on its lock file."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from kerascli.errors import RunError
from kerascli.runs.layout import LOCK_FILE


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Holds an exclusive lock on a run directory for the duration of the block.

    Raises:
        RunError: When another process holds it.
    """
    handle = open(Path(run_dir) / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                str(run_dir), "another kerascli process is using this run", "wait for it to finish"
            ) from None
        yield
    finally:
        handle.close()


def is_locked(run_dir: Path) -> bool:
    """Whether a live process holds the run's lock (see `locked`), without creating the file."""
    try:
        descriptor = os.open(Path(run_dir) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False  # no lock file: nothing ever trained here under a lock
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)  # closing also releases the lock taken just now
    return False
