"""SIGTERM handled like Ctrl-C, so a terminated run ends interrupted and resumable."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt():
    """Treats SIGTERM like Ctrl-C, so a terminated run is marked interrupted and resumable.

    SIGINT gets Python's own Ctrl-C handler for the block even where it was ignored: a shell
    script starts its background jobs with SIGINT ignored, and `kill -INT` should still stop
    such a run cleanly rather than do nothing.
    """
    def handler(signum, frame):
        raise KeyboardInterrupt

    if os.name != "posix" or not _in_main_thread():
        yield
        return
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, handler),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
