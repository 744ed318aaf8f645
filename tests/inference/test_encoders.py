"""The numpy encoders against the Keras layers they stand for: each layer adapted on real values,
recorded as the export records it, and both applied to awkward inputs."""

from __future__ import annotations

import numpy as np
import pytest

from kerascli.commands.export_inputs import _step
from kerascli.errors import RunError
from kerascli.inference.encoders import (
    COLUMN_STEPS,
    EncoderError,
    encode_columns,
    text_tokens,
    vectorize_texts,
)

keras = pytest.importorskip("keras")
FLOATS = np.array([-3.5, 0.0, 0.25, 1.0, 2.0, 7.75, 100.0, 3.0], np.float32)
INTS = np.array([1, 2, 3, 3, 7, 7, 7, 42], np.int64)
STRINGS = np.array(["calm", "breeze", "gale", "calm", "Calm", "", "ünï", "gale"], dtype=object)


def keras_column(layer, values):
    """What the Keras layer answers for one column of values, `(n, ...)`."""
    import tensorflow as tf

    tensor = tf.constant(values.astype(str) if values.dtype == object else values)
    return np.asarray(layer(tf.reshape(tensor, (-1, 1))))


def adapted(layer, values):
    import tensorflow as tf

    layer.adapt(
        tf.reshape(tf.constant(values.astype(str) if values.dtype == object else values), (-1, 1))
    )
    return layer


@pytest.mark.parametrize(
    "make, train, ask",
    [
        (lambda: keras.layers.Normalization(axis=-1), FLOATS, FLOATS[::-1] * 3),
        (lambda: keras.layers.Rescaling(scale=0.5, offset=-1.0), None, FLOATS),
        (
            lambda: keras.layers.Discretization(num_bins=4),
            FLOATS,
            np.array([-9, 0.0, 0.25, 0.26, 1.0, 2.0, 50, 1e6], np.float32),
        ),
        (
            lambda: keras.layers.StringLookup(),
            STRINGS,
            np.array(
                ["gale", "never seen", "", "Calm", "calm", "ünï", "x", "breeze"], dtype=object
            ),
        ),
        (lambda: keras.layers.IntegerLookup(), INTS, np.array([7, 3, 99, -1, 0, 42, 1, 2])),
        (lambda: keras.layers.Hashing(num_bins=16), None, STRINGS),
        (lambda: keras.layers.Hashing(num_bins=7), None, np.array([0, -5, 12345678901, 7, 3])),
    ],
    ids=[
        "normalization",
        "rescaling",
        "discretization",
        "string_lookup",
        "integer_lookup",
        "hashing_strings",
        "hashing_integers",
    ],
)
def test_each_column_encoder_answers_as_its_keras_layer(make, train, ask):
    pytest.importorskip("farmhash")
    layer = make()
    if train is not None:
        adapted(layer, train)
    step = _step(layer, "column", "test")
    assert step["layer"] in COLUMN_STEPS
    got = COLUMN_STEPS[step["layer"]](step, ask)
    expected = keras_column(layer, ask)
    np.testing.assert_allclose(got, expected.reshape(got.shape), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_answers_as_keras(mode):
    layer = keras.layers.CategoryEncoding(num_tokens=6, output_mode=mode)
    indices = np.array([[0], [5], [2], [2]], np.int64)
    got = COLUMN_STEPS["CategoryEncoding"](_step(layer, "c", "test"), indices)
    np.testing.assert_array_equal(got, np.asarray(layer(indices)).reshape(got.shape))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: keras.layers.StringLookup(num_oov_indices=2), "StringLookup"),
        (lambda: keras.layers.Hashing(num_bins=4, salt=7), "Hashing"),
        (lambda: keras.layers.Dense(3), "Dense"),
    ],
)
def test_an_encoder_without_a_numpy_version_is_one_line(make, message):
    with pytest.raises(RunError) as caught:
        _step(make(), "wind", "run/model.keras")
    assert caught.value.format().count("\n") == 0
    assert "column wind: its encoder" in caught.value.format()
    assert message in caught.value.format()


def test_columns_concatenate_in_the_recorded_order():
    columns = [
        {"column": "b", "steps": [{"layer": "Rescaling", "scale": 2.0, "offset": 0.0}]},
        {"column": "a", "steps": [{"layer": "Identity"}]},
    ]
    encoded = encode_columns(columns, {"a": np.array([1.0, 2.0]), "b": np.array([10.0, 20.0])})
    np.testing.assert_array_equal(encoded, [[20.0, 1.0], [40.0, 2.0]])
    with pytest.raises(EncoderError, match="column a: the layer Dense"):
        encode_columns([{"column": "a", "steps": [{"layer": "Dense"}]}], {"a": np.zeros(2)})


TEXTS = [
    "The film was GREAT, truly great!",
    "awful\tawful\nawful  plot",
    "",
    "   ",
    "Ça va? NAÏVE café — l'été",
    "unseenword " * 40,
    "a.b,c;d:e!f?g(h)i[j]k{l}m~n",
    "x\u00a0y\u2003z",
    "tabs\t\tand\r\nnewlines\x0bvertical\x0cfeed",
]


@pytest.mark.parametrize(
    "options",
    [
        {"output_mode": "int", "output_sequence_length": 12},
        {"output_mode": "int", "output_sequence_length": 5, "standardize": "lower"},
        {"output_mode": "int", "output_sequence_length": 30, "standardize": None},
        {"output_mode": "int", "output_sequence_length": 8, "standardize": "strip_punctuation"},
        {"output_mode": "int", "output_sequence_length": 40, "split": "character"},
        {"output_mode": "multi_hot"},
        {"output_mode": "count"},
        {"output_mode": "tf_idf"},
        {"output_mode": "multi_hot", "max_tokens": 10, "pad_to_max_tokens": True},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
def test_text_vectorization_answers_as_keras(options):
    import tensorflow as tf

    from kerascli.commands.export_inputs import split_text_model

    layer = keras.layers.TextVectorization(**options)
    layer.adapt(tf.constant(TEXTS[:3] + ["great fun film", "Great FUN, films."]))
    model = keras.Sequential([keras.Input((), dtype="string"), layer])
    _, source = split_text_model(model, "test")
    got = vectorize_texts(source.vectorization, TEXTS)
    expected = np.asarray(layer(tf.constant(TEXTS)))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_tokens_split_on_ascii_whitespace_and_lower_ascii_only():
    step = {"standardize": "lower_and_strip_punctuation", "split": "whitespace"}
    assert text_tokens(step, "Ça\u00a0VA,\tÉté!  ok") == ["Ça\u00a0va", "Été", "ok"]


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"output_mode": "int"}, "output_mode='int' without output_sequence_length"),
        ({"output_mode": "int", "output_sequence_length": 4, "ngrams": 2}, "ngrams=2"),
    ],
)
def test_text_settings_without_a_numpy_version_are_one_line(options, problem):
    import tensorflow as tf

    from kerascli.commands.export_inputs import split_text_model

    layer = keras.layers.TextVectorization(**options)
    layer.adapt(tf.constant(["a b c", "b c d"]))
    with pytest.raises(RunError) as caught:
        split_text_model(keras.Sequential([keras.Input((), dtype="string"), layer]), "m.keras")
    assert caught.value.format() == (
        f"m.keras: its TextVectorization has {problem}, which the TensorFlow-free path "
        "does not implement (use the defaults with output_sequence_length, or predict through "
        "Keras)"
    )
