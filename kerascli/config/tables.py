"""A CSV source's feature kinds, and their checks before TensorFlow is imported.

The kinds are Keras' `FeatureSpace` constructors (`FeatureSpace.float_normalized()`, ...); this
module knows which exist, which arguments each needs and what type of value each column must
hold, so that a misspelt kind gets a did-you-mean at once and `data.tables` can check every cell
before the slow import.
"""

from __future__ import annotations

from kerascli.config.sources import OWN_DATA_SOURCES
from kerascli.config.specs import SpecError, split_spec
from kerascli.errors import did_you_mean

# FeatureSpace kind -> (the type of value its column holds, the arguments it cannot do without).
FEATURE_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "float": ("float", ()),
    "float_rescaled": ("float", ()),
    "float_normalized": ("float", ()),
    "float_discretized": ("float", ("num_bins",)),
    "integer_categorical": ("integer", ()),
    "integer_hashed": ("integer", ("num_bins",)),
    "string_categorical": ("string", ()),
    "string_hashed": ("string", ("num_bins",)),
}


def own_data_paths(data) -> None:
    """Checks the keys a csv or text `data` section names its files with (duck-typed: the schema
    calls it from its validator).

    Raises:
        ValueError: For a combination the source cannot read, as pydantic reports it.
    """
    file_test = isinstance(data.test, str)
    split_test = data.test is not None and not file_test and hasattr(data.test, "split")
    if data.source == "csv":
        if not data.target:
            raise ValueError("source csv needs target: the column to predict")
        if (data.train is None) == (data.path is None):
            raise ValueError("source csv needs train: FILE (with test: FILE) or path: FILE "
                             "(with test: {split: F})")
        if (data.train is not None and not isinstance(data.train, str)) or (
                data.test is not None and not (file_test or split_test)):
            raise ValueError("source csv takes train: FILE and test: FILE, one CSV file each")
        if data.path is not None and file_test:
            raise ValueError("with path: FILE, the test set is a split of it: test: {split: F}")
        if data.train is not None and split_test:
            raise ValueError("test: {split: F} splits path: FILE; with train: FILE give "
                             "test: FILE")
    elif data.source == "text":
        if data.path is None or data.train is not None or (data.test is not None
                                                           and not split_test):
            raise ValueError("source text needs path: DIR (DIR/train/<class>/*.txt, "
                             "DIR/test/<class>/*.txt) and at most test: {split: F}")
    else:
        if data.target or data.features:
            raise ValueError("target and features are for source csv")
        if isinstance(data.train, str) or file_test or split_test:
            raise ValueError(f"source {data.source} takes train and test as "
                             "{images: FILE, labels: FILE}")


def feature_kind(spec, key_path: tuple = ()) -> tuple[str, dict]:
    """Splits a feature spec (`float_normalized` or `{float_discretized: {num_bins: 8}}`).

    Args:
        spec: The spec as written under `data.features`.
        key_path: Where it is written, for errors. Defaults to `()`.

    Returns:
        `(kind, arguments)`.

    Raises:
        SpecError: For an unknown kind or a missing required argument.
    """
    kind, args = split_spec(spec, key_path, "feature kind")
    if kind not in FEATURE_KINDS:
        raise SpecError(key_path, f"unknown feature kind {kind!r}",
                        did_you_mean(kind, FEATURE_KINDS) or
                        f"use one of {', '.join(FEATURE_KINDS)}")
    for needed in FEATURE_KINDS[kind][1]:
        if needed not in args:
            raise SpecError(key_path + (kind,), f"needs {needed}",
                            f"write it as {{{kind}: {{{needed}: 32}}}}")
    return kind, args


def value_type(spec) -> str:
    """`float`, `integer` or `string`: what a column of this feature kind holds."""
    return FEATURE_KINDS[feature_kind(spec)[0]][0]


def check_own_data(config) -> None:
    """Checks a validated config's `data.features` and who decides the model's input shape.

    Duck-typed to stay import-light.

    Raises:
        SpecError: For the first bad feature spec, a feature that is also the target, a model
            with no input shape on data that cannot tell it, or one with an input shape on data
            that decides it.
    """
    model = config.model
    if model is not None and config.data.source in OWN_DATA_SOURCES:
        if model.inputs is not None or model.input_shape is not None:
            key = "inputs" if model.inputs is not None else "input_shape"
            raise SpecError(("model", key), f"source {config.data.source} decides the model's "
                            "input", "leave model.input_shape and model.inputs out: the "
                            "model's first layer gets the encoded features (csv) or one string "
                            "per example (text)")
    elif model is not None and model.inputs is None and model.input_shape is None:
        raise SpecError(("model",), "give input_shape (Sequential) or inputs (Functional)",
                        f"source {config.data.source} cannot tell the input shape")
    features = config.data.features or {}
    for column, spec in features.items():
        feature_kind(spec, ("data", "features", column))
        if column == config.data.target:
            raise SpecError(("data", "features", column), "is the target column",
                            "the target is what the model predicts; remove it from features")
