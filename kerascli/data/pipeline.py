"""The tf.data input pipeline: shuffle, batch, augment, prefetch."""

from __future__ import annotations

import numpy as np


def feed_inputs(x: np.ndarray, input_shapes: dict[str, tuple] | None):
    """Maps one input array onto a model's inputs.

    A Functional model with several inputs gets the same examples at every input, each reshaped to
    that input's shape (for example an image branch `[28, 28, 1]` and a pixel branch `[784]`).

    Args:
        x: The preprocessed inputs.
        input_shapes: Input name to shape (without the batch axis), or `None` for one input.

    Returns:
        `x` itself, or a dict from input name to a reshaped view of `x`.
    """
    if not input_shapes or len(input_shapes) == 1 or isinstance(x, dict):
        return x  # one input, or already one array per input (a table's columns)
    return {
        name: x.reshape((len(x), *[d if d is not None else -1 for d in shape]))
        for name, shape in input_shapes.items()
    }


def input_shapes(model) -> dict[str, tuple] | None:
    """Input name to shape (without batch) for multi-input models, else `None`."""
    if len(model.inputs) <= 1:
        return None
    return {tensor.name.split(":")[0]: tuple(tensor.shape[1:]) for tensor in model.inputs}


def feed_targets(y: np.ndarray, model):
    """The labels, once per model output (multi-output models learn the same labels)."""
    if len(model.outputs) <= 1:
        return y
    return tuple(y for _ in model.outputs)


def make_dataset(
    x, y, *, batch_size: int, shuffle: bool = False, seed: int | None = None, augment=None
):
    """Builds a batched, prefetched `tf.data.Dataset` from in-memory arrays.

    Shuffling permutes indices and gathers whole batches, the way Keras' own array adapter does:
    a per-example shuffle buffer over image tensors costs more than the training step on a small
    CPU model.

    Args:
        x: An array or a dict of arrays (one per model input), examples on the first axis.
        y: Labels: an array, or `None` for inputs only (prediction).
        batch_size: Examples per batch.
        shuffle: Reshuffle every epoch. Defaults to `False`.
        seed: Shuffle seed. Defaults to `None` (random).
        augment: A callable on each training batch `(x, y)` returning the augmented batch
            (`models.augmentation.BatchAugmentation`: image layers, then MixUp or CutMix,
            which blend labels too). Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of `(x, y)` batches, or `x` batches when `y` is `None`.
    """
    import tensorflow as tf

    data = (x,) if y is None else (x, y)
    tensors = tf.nest.map_structure(tf.constant, data)
    count = len(y) if y is not None else len(next(iter(x.values())) if isinstance(x, dict) else x)
    dataset = tf.data.Dataset.range(count)
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)

    def gather(indices):
        batch = tf.nest.map_structure(lambda tensor: tf.gather(tensor, indices), tensors)
        return batch if y is not None else batch[0]

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if augment is not None:
        dataset = dataset.map(
            lambda bx, by: augment(bx, by),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)
