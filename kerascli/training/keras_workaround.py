"""A narrow workaround for Keras 3 `fit` under `MultiWorkerMirroredStrategy` (TensorFlow backend).

Keras 3 (measured on 3.15.1 with TensorFlow 2.21) cannot `fit` with more than one worker:
https://github.com/keras-team/keras/issues/20585 (open), and behind it
https://github.com/tensorflow/tensorflow/issues/72388. Two functions of
`keras.src.backend.tensorflow.trainer` are at fault:

- `TensorFlowTrainer._maybe_symbolic_build` builds the model from the first batch by
  `strategy.reduce("MEAN", batch)`: across workers that is a collective over the data itself,
  which fails ("Failed to convert ... PerReplica ... to a Tensor"). The build only needs the
  batch's shapes and dtypes, so the patch hands it this worker's first replica's part.
- `reduce_per_replica` averages each step's logs with `strategy.reduce("MEAN", v, axis=0)`
  across workers, and a scalar (the loss, every metric) has no axis 0. The patch reduces
  scalars with `axis=None` (the mean over replicas, as a single worker's Keras does).

Each patch wraps the original and is applied only when the installed Keras still has the fault
(`needed()` reads its source), only once, and only for multi-worker strategies; everything else
goes to the original. `tests/training/test_keras_workaround.py` fails when an upgrade fixes
either function (remove the patch then) or when the patched Keras stops training correctly.
"""

from __future__ import annotations

import functools
import inspect

# The lines that show the faults, as they read in the affected Keras versions.
SYMBOLIC_BUILD_FAULT = "data_batch = self.distribute_strategy.reduce("
REDUCE_FAULT = 'return strategy.reduce("MEAN", v, axis=0)'
_applied: set[str] = set()


def _trainer_module():
    from keras.src.backend.tensorflow import trainer

    return trainer


def needed() -> dict[str, bool]:
    """Which of the two functions of the installed Keras still have the fault, by name."""
    trainer = _trainer_module()
    found = {}
    for name, function, fault in (
        (
            "_maybe_symbolic_build",
            trainer.TensorFlowTrainer._maybe_symbolic_build,
            SYMBOLIC_BUILD_FAULT,
        ),
        ("reduce_per_replica", trainer.reduce_per_replica, REDUCE_FAULT),
    ):
        function = inspect.unwrap(function)
        try:
            found[name] = fault in inspect.getsource(function)
        except (OSError, TypeError):  # no source shipped: leave Keras as it is
            found[name] = False
    return found


def apply() -> list[str]:
    """Patches the functions that `needed` names; returns the names patched (now or before)."""
    trainer = _trainer_module()
    for name, faulty in needed().items():
        if faulty and name not in _applied:
            if name == "_maybe_symbolic_build":
                trainer.TensorFlowTrainer._maybe_symbolic_build = _symbolic_build_patch(
                    trainer.TensorFlowTrainer._maybe_symbolic_build, trainer
                )
            else:
                trainer.reduce_per_replica = _reduce_patch(trainer.reduce_per_replica, trainer)
            _applied.add(name)
    return sorted(_applied)


def _symbolic_build_patch(original, trainer):
    import tensorflow as tf

    @functools.wraps(original)
    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if (
            strategy is None
            or iterator is None
            or not trainer._collective_all_reduce_multi_worker(strategy)
        ):
            return original(self, iterator=iterator, data_batch=data_batch)
        for _, _, batches in iterator:
            data_batch = tf.nest.map_structure(
                lambda value: (
                    strategy.experimental_local_results(value)[0]
                    if isinstance(value, tf.distribute.DistributedValues)
                    else value
                ),
                next(batches),
            )
            break
        return original(self, iterator=None, data_batch=data_batch)

    return _maybe_symbolic_build


def _reduce_patch(original, trainer):
    import tensorflow as tf

    def rank(value):
        if trainer._is_per_replica_instance(value):
            value = value.values[0]
        return getattr(getattr(value, "shape", None), "rank", None)

    @functools.wraps(original)
    def reduce_per_replica(values, strategy, reduction):
        if (
            reduction not in ("auto", "mean")
            or isinstance(strategy, tf.distribute.TPUStrategy)
            or not trainer._collective_all_reduce_multi_worker(strategy)
        ):
            return original(values, strategy, reduction)
        return tf.nest.map_structure(
            lambda value: (
                strategy.reduce("MEAN", value, axis=None)
                if rank(value) == 0
                else original(value, strategy, reduction)
            ),
            values,
        )

    return reduce_per_replica
