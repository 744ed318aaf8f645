"""Table columns through Keras' `FeatureSpace`: adapted on the training split, saved in the model.

Training encodes the columns once (the encoded features are a small float matrix, fed through the
ordinary array pipeline, so no epoch pays for string lookups again); the model that is saved as
`model.keras` is the FeatureSpace's own inputs and encoders followed by the trained network, so
`evaluate` and `predict` hand it raw rows. Keras saves FeatureSpace's encoders (`Normalization`,
`StringLookup`, `Discretization`, ...) with their adapted state, and loads them in safe mode.
"""

from __future__ import annotations

import numpy as np

from kerascli.config.tables import feature_kind
from kerascli.errors import ConfigError, one_line

# Rows encoded per FeatureSpace call: bounded memory for large tables, few calls for small ones.
_CHUNK = 65536


def build_feature_space(features: dict):
    """A `keras.utils.FeatureSpace` with one feature per column, encoded into one vector.

    Args:
        features: Column name to feature spec (`float_normalized`, `{string_hashed: {num_bins:
            64}}`, ...).

    Raises:
        ConfigError: When Keras refuses a feature's arguments.
    """
    import keras

    space = keras.utils.FeatureSpace
    built = {}
    for name, spec in features.items():
        kind, args = feature_kind(spec, ("data", "features", name))
        try:
            built[name] = getattr(space, kind)(**args)
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"data.features.{name}.{kind}",
                one_line(error),
                f"see keras.utils.FeatureSpace.{kind}",
            ) from None
    return space(features=built, output_mode="concat")


def model_inputs(columns: dict[str, np.ndarray]) -> dict:
    """Columns as the tensors a FeatureSpace (or the saved model) takes: strings as tf.string.

    Keras' array adapter refuses numpy object arrays, so text columns become tensors.
    """
    import tensorflow as tf

    return {
        name: tf.constant(values.astype(str)) if values.dtype == object else values
        for name, values in columns.items()
    }


def adapt_feature_space(feature_space, columns: dict[str, np.ndarray]) -> None:
    """Adapts every encoder of the FeatureSpace (vocabularies, means, bins) on training columns."""
    import tensorflow as tf

    feature_space.adapt(tf.data.Dataset.from_tensor_slices(model_inputs(columns)).batch(4096))


def encode(feature_space, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The encoded features of every row, as one float32 matrix `(rows, width)`."""
    count = len(next(iter(columns.values())))
    parts = [
        np.asarray(
            feature_space(
                model_inputs(
                    {name: values[start : start + _CHUNK] for name, values in columns.items()}
                )
            )
        )
        for start in range(0, count, _CHUNK)
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)


def raw_row_model(feature_space, network, name: str):
    """The model that takes raw rows: the FeatureSpace's inputs and encoders, then `network`.

    Args:
        feature_space: The adapted FeatureSpace.
        network: The trained model over encoded features.
        name: The model's name.

    Returns:
        A `keras.Model` with one input per column (not compiled).
    """
    import keras

    return keras.Model(
        feature_space.get_inputs(), network(feature_space.get_encoded_features()), name=name
    )
