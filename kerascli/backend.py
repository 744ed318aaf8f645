"""Importing TensorFlow and Keras without their start-up noise.

TensorFlow's C++ runtime writes CUDA probing and CPU-feature lines straight to file descriptor 2
before Python's logging or `TF_CPP_MIN_LOG_LEVEL` can filter them (absl is not yet initialised),
so the only way to keep a CLI's stderr readable is to point fd 2 elsewhere while it starts.
`KERASCLI_DEBUG=1` leaves everything visible.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_native_stderr():
    """Sends native (C++) writes to stderr to /dev/null for the duration of the block."""
    if os.environ.get("KERASCLI_DEBUG") == "1":
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def import_keras():
    """Imports TensorFlow and Keras quietly and returns the `keras` module."""
    with quiet_native_stderr():
        import tensorflow as tf  # noqa: F401
        import keras

        # Listing devices initialises the GPU runtime, which logs its own probing lines.
        tf.config.list_physical_devices()
    return keras
