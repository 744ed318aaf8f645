"""SIGTERM handled like Ctrl-C, so a terminated run ends interrupted and resumable."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt():
    """Treats SIGTERM like Ctrl-C, so a terminated run is marked interrupted and resumable."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    if os.name != "posix" or not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
