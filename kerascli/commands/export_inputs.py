"""Exporting a CSV or text run: the network without its encoders, and the encoders as data.

A CSV run's `model.keras` is its FeatureSpace's inputs and encoders followed by the trained
network (`data.table_features.raw_row_model`); a text run's is a Sequential stack that starts
with a `TextVectorization`. Their string lookups and hashes are TensorFlow ops that ONNX and
LiteRT's built-in kernels cannot run, so the export takes the network alone and records each
encoder's layer and adapted state (vocabularies, means, bins) in the manifest, for
`inference.encoders` to apply with numpy. `check_encoding` then runs both on examples built from
those vocabularies and statistics: the whole model through Keras, and the numpy encoding through
the network; an export whose encoding disagrees is refused.
"""

from __future__ import annotations

import numpy as np

from kerascli.config.tables import value_type
from kerascli.data.table_features import model_inputs
from kerascli.errors import RunError
from kerascli.inference.own_inputs import TableInput, TextInput

# The TextVectorization settings `inference.encoders` implements.
_STANDARDIZE = (None, "lower", "strip_punctuation", "lower_and_strip_punctuation")
_SPLIT = (None, "whitespace", "character")


def _history(tensor):
    return tensor._keras_history.operation  # noqa: SLF001 - Keras' graph link, as its own utils


def _first_node_inputs(layer) -> list:
    return list(layer._inbound_nodes[0].input_tensors)  # noqa: SLF001


def _step(layer, column: str, where: str) -> dict:
    """One encoder layer as the manifest records it (its class name and adapted state)."""
    name = type(layer).__name__
    config = layer.get_config()
    if name in ("TFDIdentity", "Identity"):
        return {"layer": name}
    if name == "Rescaling":
        return {
            "layer": name,
            "scale": float(np.asarray(config["scale"]).reshape(-1)[0]),
            "offset": float(np.asarray(config["offset"]).reshape(-1)[0]),
        }
    if name == "Normalization" and not config.get("invert"):
        return {
            "layer": name,
            "mean": np.asarray(layer.mean, np.float64).ravel().tolist(),
            "variance": np.asarray(layer.variance, np.float64).ravel().tolist(),
        }
    if name == "Discretization" and config.get("output_mode") == "int":
        return {"layer": name, "bin_boundaries": [float(b) for b in layer.bin_boundaries]}
    if (
        name in ("StringLookup", "IntegerLookup")
        and config.get("num_oov_indices") == 1
        and config.get("mask_token") is None
        and config.get("output_mode") == "int"
        and not config.get("invert")
    ):
        vocabulary = [
            int(token) if name == "IntegerLookup" else str(token)
            for token in layer.get_vocabulary()
        ]
        return {"layer": name, "vocabulary": vocabulary}
    if name == "Hashing" and config.get("salt") is None and config.get("mask_value") is None:
        return {"layer": name, "num_bins": int(config["num_bins"])}
    if name == "CategoryEncoding" and config.get("output_mode") in (
        "one_hot",
        "multi_hot",
        "count",
    ):
        return {
            "layer": name,
            "num_tokens": int(config["num_tokens"]),
            "output_mode": config["output_mode"],
        }
    raise RunError(
        where,
        f"column {column}: its encoder {layer.name!r} ({name}) has no TensorFlow-free version",
        "kerascli predict reads its rows through Keras",
    )


def split_table_model(model, features: dict, where: str):
    """A CSV run's model as `(network, TableInput)`: the trained network, and its encoders.

    Raises:
        RunError: When the model is not a FeatureSpace followed by one network, or an encoder
            has no numpy version.
    """
    import keras

    networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(networks) != 1:
        raise RunError(
            where,
            "the model is not a FeatureSpace followed by one network",
            "train the run again with this kerascli",
        )
    network = networks[0]
    merged = _first_node_inputs(network)[0]
    merge = _history(merged)
    columns = []
    for tensor in _first_node_inputs(merge):
        chain, layer = [], _history(tensor)
        while not isinstance(layer, keras.layers.InputLayer):
            chain.append(layer)
            layer = _history(_first_node_inputs(layer)[0])
        column = layer.name
        columns.append(
            {"column": column, "steps": [_step(step, column, where) for step in reversed(chain)]}
        )
    if {column["column"] for column in columns} != set(features):
        raise RunError(
            where,
            "the model's inputs are not the run's feature columns",
            "train the run again with this kerascli",
        )
    return network, TableInput(dict(features), columns)


def split_text_model(model, where: str):
    """A text run's model as `(network, TextInput)`: the layers after its TextVectorization,
    and the vectorization's settings and vocabulary.

    Raises:
        RunError: When the model does not start with a TextVectorization this module can
            record (custom standardize or split, n-grams, or no fixed sequence length).
    """
    import keras

    layers = list(model.layers)
    if not layers or not isinstance(layers[0], keras.layers.TextVectorization):
        raise RunError(
            where,
            "the model does not start with a TextVectorization layer",
            "export takes text models whose first layer is TextVectorization",
        )
    vectorizer, config = layers[0], layers[0].get_config()
    mode = config["output_mode"]
    problem = None
    if config.get("standardize") not in _STANDARDIZE:
        problem = f"standardize={config['standardize']!r}"
    elif config.get("split") not in _SPLIT:
        problem = f"split={config['split']!r}"
    elif config.get("ngrams"):
        problem = f"ngrams={config['ngrams']!r}"
    elif mode == "int" and not config.get("output_sequence_length"):
        problem = "output_mode='int' without output_sequence_length"
    elif mode not in ("int", "multi_hot", "count", "tf_idf"):
        problem = f"output_mode={mode!r}"
    if problem:
        raise RunError(
            where,
            f"its TextVectorization has {problem}, which the TensorFlow-free "
            "path does not implement",
            "use the defaults with output_sequence_length, or predict through Keras",
        )
    width = int(vectorizer.compute_output_shape((None,))[-1])
    vectorization = {
        "standardize": config.get("standardize"),
        "split": config.get("split"),
        "output_mode": mode,
        "vocabulary": [str(t) for t in vectorizer.get_vocabulary()],
    }
    if mode == "int":
        vectorization["output_sequence_length"] = width
        inputs = keras.Input((width,), dtype="int64", name="token_ids")
    else:
        vectorization["width"] = width
        if mode == "tf_idf":
            idf = vectorizer._lookup_layer.idf_weights  # noqa: SLF001 - no public accessor
            vectorization["idf_weights"] = np.asarray(idf, np.float64).ravel().tolist()
        inputs = keras.Input((width,), dtype="float32", name="token_counts")
    outputs = inputs
    for layer in layers[1:]:
        outputs = layer(outputs)
    return keras.Model(inputs, outputs, name=f"{model.name}_network"), TextInput(vectorization)


def _sample_rows(source: TableInput, count: int = 24) -> dict[str, np.ndarray]:
    """Rows that exercise each column's encoder: its vocabulary, an unseen value, its bins and
    its spread."""
    rows = {}
    for column in source.columns:
        name, kind = column["column"], value_type(source.features[column["column"]])
        seen = [token for step in column["steps"] for token in step.get("vocabulary", [])[1:]]
        numbers = [
            value
            for step in column["steps"]
            for value in [*step.get("bin_boundaries", []), *step.get("mean", [])]
        ]
        if kind == "string":
            pool = [*seen, "an unseen value", "", "Ünïcode"]
            rows[name] = np.array([pool[i % len(pool)] for i in range(count)], dtype=object)
        elif kind == "integer":
            pool = [*seen, 987654, -3, 0, 1, 2, 7]
            rows[name] = np.array([pool[i % len(pool)] for i in range(count)], np.int64)
        else:
            pool = [*numbers, *[n + 0.5 for n in numbers], -2.5, 0.0, 1.0, 3.75, 100.0]
            rows[name] = np.array([pool[i % len(pool)] for i in range(count)], np.float32)
    return rows


def _sample_texts(source: TextInput) -> list[str]:
    words = [w for w in source.vectorization["vocabulary"] if w not in ("", "[UNK]")][:40]
    words = words or ["word"]
    return [
        " ".join(words[::5]).upper(),
        f"{' '.join(words[:12])}, unseenword! ?",
        "\t".join(words[3:9]) + "\n\u00a0" + words[0],
        "",
        "Ça va? naïve café " + words[-1],
        " ".join(words * 20),
    ]


def check_encoding(
    model, network, source: TableInput | TextInput, where: str, tolerance: float
) -> None:
    """Runs the whole model through Keras and the numpy encoding through the network on the
    same examples.

    Args:
        model: The run's whole model. network: What is exported. source: The recorded encoders.
        where: Names the run in errors. tolerance: The largest output difference allowed.

    Raises:
        RunError: When they answer differently.
    """
    import tensorflow as tf

    if isinstance(source, TableInput):
        if source.unavailable():
            return  # hashing cannot be checked without pyfarmhash; predict falls back to Keras
        raw = _sample_rows(source)
        expected = model.predict_on_batch(model_inputs(raw))
    else:
        raw = _sample_texts(source)
        expected = model.predict_on_batch(tf.constant(raw))
    got = network.predict_on_batch(source.prepare(raw))
    expected, got = np.asarray(expected), np.asarray(got)
    if expected.shape != got.shape or np.abs(expected - got).max() > tolerance:
        raise RunError(
            where,
            "the TensorFlow-free encoding of the inputs answers differently from the Keras model",
            "predict through Keras, and report this as a bug",
        )
