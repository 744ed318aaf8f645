"""`data.augment` built as one callable on training batches: image layers, then label mixing.

Most augmentation layers (RandomFlip, RandomRotation, RandAugment, ...) change the images of a
batch. MixUp and CutMix blend pairs of examples and their labels, so they take the batch's images
and one-hot labels together (`{"images": ..., "labels": ...}`, as Keras' own examples call them)
and come after the image layers. Sparse class labels are made one-hot by the training plan
(`mixing_labels`), which also swaps a sparse loss for its one-hot twin while training.
"""

from __future__ import annotations

from kerascli.config.specs import split_spec

MIXING_LAYERS = ("MixUp", "CutMix")
# The one-hot twin of each sparse loss and metric name a config may give.
ONE_HOT_TWINS = {
    "sparse_categorical_crossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "CategoricalCrossentropy",
    "sparse_categorical_accuracy": "categorical_accuracy",
    "SparseCategoricalAccuracy": "CategoricalAccuracy",
    "sparse_top_k_categorical_accuracy": "top_k_categorical_accuracy",
    "SparseTopKCategoricalAccuracy": "TopKCategoricalAccuracy",
}


def mixes_labels(specs: list) -> bool:
    """Whether `data.augment` holds MixUp or CutMix (which need one-hot labels)."""
    return any(split_spec(spec, ())[0] in MIXING_LAYERS for spec in specs)


def one_hot_twin(spec):
    """A loss or metric spec with a sparse name swapped for its one-hot twin."""
    if isinstance(spec, str):
        return ONE_HOT_TWINS.get(spec, spec)
    if isinstance(spec, dict) and len(spec) == 1:
        name, args = next(iter(spec.items()))
        return {ONE_HOT_TWINS.get(name, name): args}
    return spec


def one_hot_compile(config):
    """The `compile` section with sparse losses and metrics swapped for their one-hot twins."""
    metrics = config.metrics
    metrics = (
        {key: [one_hot_twin(m) for m in group] for key, group in metrics.items()}
        if isinstance(metrics, dict)
        else [one_hot_twin(m) for m in metrics]
    )
    loss = config.loss
    if isinstance(loss, dict) and not (len(loss) == 1 and next(iter(loss)) in ONE_HOT_TWINS):
        loss = {key: one_hot_twin(value) for key, value in loss.items()}  # one per output
    else:
        loss = one_hot_twin(loss)
    return config.model_copy(update={"loss": loss, "metrics": metrics})


class BatchAugmentation:
    """Applies `data.augment` to a training batch `(x, y)`.

    Args:
        images: A `keras.Sequential` of the image layers, or `None`.
        mixing: The MixUp and CutMix layers, in order.
    """

    def __init__(self, images, mixing: list):
        self.images = images
        self.mixing = mixing

    def __call__(self, x, y):
        if self.images is not None:
            x = self.images(x, training=True)
        for layer in self.mixing:
            mixed = layer({"images": x, "labels": y}, training=True)
            x, y = mixed["images"], mixed["labels"]
        return x, y
