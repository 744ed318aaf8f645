"""Preprocessing layers that learn from data, adapted on the training split before `fit`.

`TextVectorization` learns its vocabulary, `Normalization` its mean and variance, `StringLookup`
and `IntegerLookup` their vocabularies, `Discretization` its bins: Keras' `adapt` does it. Each
such layer in a Sequential stack is adapted on the training inputs as the layers before it
transform them, in order, so a `Normalization` after a `Rescaling` learns rescaled statistics.
Their state is saved inside the `.keras` file, so a loaded model takes raw data.
"""

from __future__ import annotations

# Examples per batch while adapting: large batches are fast; adapt sees every example anyway.
_ADAPT_BATCH = 1024


def adaptable_layers(model) -> list:
    """The layers of a Sequential model that learn from data (they have `adapt`)."""
    return [
        layer for layer in getattr(model, "layers", []) if callable(getattr(layer, "adapt", None))
    ]


def adapt_preprocessing(model, x) -> list[str]:
    """Adapts every preprocessing layer of a Sequential model on the training inputs `x`.

    Functional models are left as built: which input feeds a layer there is the config's wiring,
    and no layer of a Functional config is adapted.

    Args:
        model: A `keras.Sequential` (other models are left alone).
        x: The training inputs (an array or tensor, examples on the first axis).

    Returns:
        The names of the layers adapted.
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Sequential):
        return []
    adapted = []
    for index, layer in enumerate(model.layers):
        if not callable(getattr(layer, "adapt", None)):
            continue
        dataset = tf.data.Dataset.from_tensor_slices(x).batch(_ADAPT_BATCH)
        before = model.layers[:index]
        if before:

            def through(batch, layers=tuple(before)):
                for earlier in layers:
                    batch = earlier(batch, training=False)
                return batch

            dataset = dataset.map(through)
        layer.adapt(dataset)
        adapted.append(layer.name)
    return adapted
