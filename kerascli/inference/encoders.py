"""Keras' preprocessing layers in numpy, from the state an export records: rows and texts without
TensorFlow.

A CSV run's model starts with its FeatureSpace's encoders (`Normalization`, `StringLookup`,
`Hashing`, `CategoryEncoding`, ...) and a text run's with its `TextVectorization`. Those layers
hold vocabularies and statistics and run TensorFlow string ops, which neither ONNX nor LiteRT's
built-in kernels take; so the export keeps the network that follows them, and records each
encoder's layer and adapted state in the manifest (`commands.export_inputs`). This module applies
the same steps with numpy. No maintained library implements Keras' preprocessing layers outside
TensorFlow, hence the few lines per layer here; each export is checked against Keras on examples
built from the recorded vocabularies before it counts as done, and the tests compare both paths.

Hashing needs FarmHash's Fingerprint64, TensorFlow's `to_hash_bucket_fast`: `pyfarmhash` (in the
onnx and litert extras). Without it a hashed column cannot be encoded here and predict falls back to
Keras, saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

# Keras' `backend.epsilon()`: Normalization divides by max(std, epsilon).
_EPSILON = 1e-7
# TextVectorization's default punctuation (keras.src.layers.preprocessing.text_vectorization),
# which TensorFlow's regex_replace removes.
STRIP_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# tf.strings.split without a separator splits on ASCII whitespace (absl::ascii_isspace) only.
_ASCII_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
# tf.strings.lower without an encoding lowercases ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Vocabulary lookups by the id of their list (which each entry keeps alive).
_INDEXES: dict[int, tuple[list, dict]] = {}


class EncoderError(ValueError):
    """A recorded step this module cannot apply (an unknown layer, or a missing package)."""


def hashing_available() -> bool:
    """Whether FarmHash (`pyfarmhash`) is installed, which hashed columns need."""
    try:
        import farmhash  # noqa: F401
    except ImportError:
        return False
    return True


def _column(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).reshape(-1, 1)


def _identity(step: dict, values: np.ndarray) -> np.ndarray:
    return _column(values).astype(np.float32)


def _rescaling(step: dict, values: np.ndarray) -> np.ndarray:
    scale, offset = np.float32(step["scale"]), np.float32(step["offset"])
    return _column(values).astype(np.float32) * scale + offset


def _normalization(step: dict, values: np.ndarray) -> np.ndarray:
    mean = np.asarray(step["mean"], np.float32).reshape(1, -1)
    std = np.sqrt(np.asarray(step["variance"], np.float32).reshape(1, -1))
    return (_column(values).astype(np.float32) - mean) / np.maximum(std, np.float32(_EPSILON))


def _discretization(step: dict, values: np.ndarray) -> np.ndarray:
    # tf.raw_ops.Bucketize: a value equal to a boundary goes to the bucket above it.
    boundaries = np.asarray(step["bin_boundaries"], np.float32)
    return np.digitize(_column(values).astype(np.float32), boundaries).astype(np.int64)


def _lookup(step: dict, values: np.ndarray) -> np.ndarray:
    # The vocabulary starts with the one out-of-vocabulary token (index 0), as get_vocabulary()
    # lists it; a value not in it maps to 0.
    index = _vocabulary_index(step)
    return np.array(
        [[index.get(_token(value), 0)] for value in np.asarray(values).ravel()], dtype=np.int64
    )


def _vocabulary_index(step: dict) -> dict:
    """Token -> position in the step's vocabulary, built once per vocabulary list (kept beside
    it, not in the step, which the manifest writes as it is)."""
    vocabulary = step["vocabulary"]
    cached = _INDEXES.get(id(vocabulary))
    if cached is None or cached[0] is not vocabulary:
        index: dict = {}
        for position, token in enumerate(vocabulary):
            index.setdefault(_token(token), position)
        cached = _INDEXES[id(vocabulary)] = (vocabulary, index)
    return cached[1]


def _token(value):
    # Integer columns arrive as numpy ints, their vocabularies from JSON as Python ints.
    return int(value) if isinstance(value, (int, np.integer)) else str(value)


def _hashing(step: dict, values: np.ndarray) -> np.ndarray:
    try:
        import farmhash
    except ImportError:
        raise EncoderError("hashed columns need pyfarmhash (pip install pyfarmhash)") from None
    bins = int(step["num_bins"])
    # Keras hashes integers as their decimal strings (tf.as_string), strings as their bytes.
    return np.array(
        [[farmhash.fingerprint64(str(value)) % bins] for value in np.asarray(values).ravel()],
        dtype=np.int64,
    )


def _category_encoding(step: dict, values: np.ndarray) -> np.ndarray:
    indices = np.asarray(values, np.int64).reshape(len(values), -1)
    encoded = np.zeros((len(indices), int(step["num_tokens"])), np.float32)
    rows = np.repeat(np.arange(len(indices)), indices.shape[1])
    if step.get("output_mode") == "count":
        np.add.at(encoded, (rows, indices.ravel()), 1.0)
    else:  # one_hot and multi_hot agree for one index per row
        encoded[rows, indices.ravel()] = 1.0
    return encoded


# Layer class name (as Keras names it) -> numpy version of its call on one column.
COLUMN_STEPS: dict[str, Callable[[dict, np.ndarray], np.ndarray]] = {
    "TFDIdentity": _identity,
    "Identity": _identity,
    "Rescaling": _rescaling,
    "Normalization": _normalization,
    "Discretization": _discretization,
    "StringLookup": _lookup,
    "IntegerLookup": _lookup,
    "Hashing": _hashing,
    "CategoryEncoding": _category_encoding,
}


def encode_columns(columns: list[dict], values: dict[str, np.ndarray]) -> np.ndarray:
    """A table's rows encoded as its FeatureSpace encoded them: one float32 matrix.

    Args:
        columns: The manifest's `input.columns`, in the order the FeatureSpace concatenates
            them: `{"column": name, "steps": [{"layer": ..., state...}, ...]}`.
        values: Column name to its values (float32, int64 or str), rows in order.

    Returns:
        The encoded rows `(n, width)`, float32.

    Raises:
        EncoderError: For a step this module cannot apply.
    """
    parts = []
    for column in columns:
        encoded = values[column["column"]]
        for step in column["steps"]:
            apply = COLUMN_STEPS.get(step["layer"])
            if apply is None:
                raise EncoderError(
                    f"column {column['column']}: the layer {step['layer']} "
                    "has no numpy version here"
                )
            encoded = apply(step, encoded)
        parts.append(np.asarray(encoded, np.float32).reshape(len(encoded), -1))
    return np.concatenate(parts, axis=1)


def text_tokens(step: dict, text: str) -> list[str]:
    """One text's tokens, standardized and split as the recorded `TextVectorization` does."""
    standardize = step.get("standardize")
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(_ASCII_LOWER)
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = STRIP_PUNCTUATION.sub("", text)
    split = step.get("split")
    if split == "whitespace":
        return [token for token in _ASCII_WHITESPACE.split(text) if token]
    if split == "character":
        return list(text)
    return [text]


def vectorize_texts(step: dict, texts: list[str]) -> np.ndarray:
    """Texts as the recorded `TextVectorization` turns them into the network's input.

    `int` mode gives token ids `(n, output_sequence_length)` (int64; padding 0, unknown words 1),
    truncated or padded at the end; `multi_hot`, `count` and `tf_idf` give one float32 column per
    vocabulary entry (unknown words in column 0).

    Raises:
        EncoderError: For settings this module cannot apply.
    """
    mode = step["output_mode"]
    index = _vocabulary_index(step)
    unknown = 1 if mode == "int" else 0
    ids = [[index.get(token, unknown) for token in text_tokens(step, text)] for text in texts]
    if mode == "int":
        length = int(step["output_sequence_length"])
        token_ids = np.zeros((len(texts), length), np.int64)
        for row, tokens in enumerate(ids):
            tokens = tokens[:length]
            token_ids[row, : len(tokens)] = tokens
        return token_ids
    width = int(step["width"])
    batch = np.zeros((len(texts), width), np.float32)
    for row, tokens in enumerate(ids):
        if mode == "multi_hot":
            batch[row, tokens] = 1.0
        else:
            np.add.at(batch[row], tokens, 1.0)
    if mode == "tf_idf":
        weights = np.zeros(width, np.float32)
        idf = np.asarray(step["idf_weights"], np.float32)
        weights[: len(idf)] = idf
        batch *= weights
    elif mode not in ("multi_hot", "count"):
        raise EncoderError(f"TextVectorization output_mode {mode!r} has no numpy version here")
    return batch
