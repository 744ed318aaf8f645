"""The keras#20585 workaround: still needed on the installed Keras, and needed for real.

When an upgrade fixes either function, `test_the_installed_keras_still_has_both_faults` fails:
remove that patch (and, when both are gone, the module). When an upgrade changes the functions
so that the patches no longer make two workers train, the CLI's two-worker test
(`tests/training/test_distribute.py`) fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import keras

from kerascli.training import keras_workaround
from tests.conftest import ROOT
from tests.training.test_distribute import free_ports, tf_config, wait_all

# Two workers fit a plain Keras model (with `patched`, after the workaround is applied: handy
# when checking a new Keras by hand).
PLAIN_KERAS_WORKER = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    import keras
    if sys.argv[1] == "patched":
        from kerascli.training import keras_workaround
        keras_workaround.apply()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=1,
                        verbose=0)
    print("loss", history.history["loss"][0])
""")


def test_the_installed_keras_still_has_both_faults():
    assert keras_workaround.needed() == {
        "_maybe_symbolic_build": True,
        "reduce_per_replica": True,
    }, (
        f"Keras {keras.__version__} fixed keras-team/keras#20585 in part: remove that patch "
        "from kerascli/training/keras_workaround.py"
    )


def test_apply_patches_once_and_keeps_the_originals_reachable():
    from keras.src.backend.tensorflow import trainer

    assert keras_workaround.apply() == ["_maybe_symbolic_build", "reduce_per_replica"]
    patched = trainer.reduce_per_replica
    assert keras_workaround.apply() == ["_maybe_symbolic_build", "reduce_per_replica"]
    assert trainer.reduce_per_replica is patched  # not wrapped twice
    assert keras_workaround.REDUCE_FAULT in __import__("inspect").getsource(patched.__wrapped__)


def run_two_workers(mode: str) -> list[subprocess.CompletedProcess]:
    ports = free_ports(2)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PLAIN_KERAS_WORKER, mode],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(ROOT),
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "TF_CONFIG": tf_config(ports, index),
            },
        )
        for index in range(2)
    ]
    return wait_all(processes)


def test_without_the_workaround_two_workers_cannot_fit():
    """With it they can: `test_two_local_workers_train_and_resume_from_the_chiefs_checkpoint`
    trains two workers through the CLI and matches the single-device losses."""
    for result in run_two_workers("plain"):
        assert result.returncode != 0, (
            f"Keras {keras.__version__} fits with two workers unpatched: keras-team/keras#20585 "
            "is fixed; remove kerascli/training/keras_workaround.py"
        )
        assert "PerReplica" in result.stderr, result.stderr[-2000:]
