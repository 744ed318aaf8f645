"""A CSV source's feature kinds, and their checks before TensorFlow is imported.

The kinds are Keras' `FeatureSpace` constructors (`FeatureSpace.float_normalized()`, ...); this
module knows which exist, which arguments each needs and what type of value each column must
hold, so that a misspelt kind gets a did-you-mean at once and `data.tables` can check every cell
before the slow import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kerascli.config.specs import SpecError, split_spec
from kerascli.errors import did_you_mean

if TYPE_CHECKING:
    from kerascli.config.keys import KeyPath
    from kerascli.config.schema import ExperimentConfig

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


def feature_kind(spec: Any, key_path: KeyPath = ()) -> tuple[str, dict]:
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
        raise SpecError(
            key_path,
            f"unknown feature kind {kind!r}",
            did_you_mean(kind, FEATURE_KINDS) or f"use one of {', '.join(FEATURE_KINDS)}",
        )
    for needed in FEATURE_KINDS[kind][1]:
        if needed not in args:
            raise SpecError(
                key_path + (kind,), f"needs {needed}", f"write it as {{{kind}: {{{needed}: 32}}}}"
            )
    return kind, args


def value_type(spec: Any) -> str:
    """`float`, `integer` or `string`: what a column of this feature kind holds."""
    return FEATURE_KINDS[feature_kind(spec)[0]][0]


def check_features(config: ExperimentConfig) -> None:
    """Checks a validated config's `data.features` (duck-typed to stay import-light).

    Raises:
        SpecError: For the first bad feature spec, or a feature that is also the target.
    """
    features = config.data.features or {}
    for column, spec in features.items():
        feature_kind(spec, ("data", "features", column))
        if column == config.data.target:
            raise SpecError(
                ("data", "features", column),
                "is the target column",
                "the target is what the model predicts; remove it from features",
            )
