"""Importing TensorFlow and Keras without their start-up noise.

TensorFlow's C++ runtime writes CUDA probing and CPU-feature lines straight to file descriptor 2
before Python's logging or `TF_CPP_MIN_LOG_LEVEL` can filter them (absl is not yet initialised),
so the only way to keep a CLI's stderr readable is to point fd 2 elsewhere while it starts.
`KERASCLI_DEBUG=1` leaves everything visible.
"""

from __future__ import annotations

import contextlib
import os
import platform
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


def quiet_cluster_logs() -> None:
    """Keeps TensorFlow's C++ error logs of a multi-worker cluster off stderr (before it loads).

    A lost worker makes every other one log the failed RPCs and collectives from C++, many lines
    of node and task names; kerascli says the same in one line (`kerascli.training.faults`).
    `KERASCLI_DEBUG=1` keeps them.
    """
    if os.environ.get("KERASCLI_DEBUG") != "1":
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"


def import_keras():
    """Imports TensorFlow and Keras quietly and returns the `keras` module."""
    with quiet_native_stderr():
        import keras
        import tensorflow as tf  # noqa: F401

        # Listing devices initialises the GPU runtime, which logs its own probing lines.
        tf.config.list_physical_devices()
    return keras


def setup_backend(seed: int | None, deterministic: bool) -> list[dict]:
    """Seeds every random generator and lists the devices TensorFlow will use.

    TensorFlow places models on a GPU by itself when it finds one; memory growth is turned on
    so that a run does not claim the whole card.

    Args:
        seed: Seeds Python, numpy and TensorFlow. `None` leaves them random.
        deterministic: Makes TensorFlow's ops deterministic (slower; needs a seed).

    Returns:
        One `{"name", "type"}` dict per physical device.
    """
    import keras
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # Already initialised (a second run in the same process).
            pass
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return [{"name": d.name, "type": d.device_type} for d in tf.config.list_physical_devices()]


def versions() -> dict[str, str]:
    """The versions that decide what a run computes, for `run.json`."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerascli import __version__

    return {
        "kerascli": __version__,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
