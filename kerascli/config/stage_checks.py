"""`fit.stages` checked against the model before TensorFlow is imported.

A stage that unfreezes a backbone must name one the layer stack holds; which layers inside the
backbone (`from: block_13_expand`) exist is only known once Keras builds it
(`kerascli.training.stages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerascli.config import keras_names as catalog
from kerascli.config.specs import SpecError, check_object, split_spec
from kerascli.errors import did_you_mean

if TYPE_CHECKING:  # the schema imports the checks' module tree
    from kerascli.config.schema import ExperimentConfig, ModelConfig

_EXAMPLE = "- MobileNetV2: {include_top: false, weights: imagenet, pooling: avg, trainable: false}"


def backbone_specs(model: ModelConfig | None) -> list[tuple[int, str, str | None]]:
    """The `keras.applications` models of a `model` section: `(index, class name, name)` each."""
    if model is None:
        return []
    applications = catalog.application_names()
    found = []
    for index, spec in enumerate(model.layers):
        name, args = split_spec(spec, ("model", "layers", index), "layer")
        if name in applications:
            found.append((index, name, args.get("name")))
    return found


def unfreeze_target(backbones: list, layer: str | None, key_path: tuple) -> tuple:
    """The backbone a stage's `unfreeze` names: by `name`, by class name, or the only one.

    Args:
        backbones: As `backbone_specs` returns them.
        layer: The stage's `unfreeze.layer`, or `None`.
        key_path: Where the `unfreeze` mapping is, for errors.

    Returns:
        The `(index, class name, name)` of the backbone.

    Raises:
        SpecError: When the model holds no backbone, or none (or several) match.
    """
    if not backbones:
        raise SpecError(
            key_path,
            "the model has no keras.applications backbone to unfreeze",
            f"put one in model.layers, e.g. {_EXAMPLE}",
        )
    if layer is None:
        if len(backbones) > 1:
            raise SpecError(
                key_path,
                f"the model has {len(backbones)} backbones",
                "say which with layer: NAME",
            )
        return backbones[0]
    by_name = [b for b in backbones if b[2] == layer]
    by_class = [b for b in backbones if b[1] == layer and b[2] is None]
    matches = by_name or by_class
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise SpecError(
            key_path + ("layer",),
            f"{len(matches)} backbones are {layer}",
            "give each a name: and unfreeze it by that name",
        )
    names = [b[2] or b[1] for b in backbones]
    raise SpecError(
        key_path + ("layer",),
        f"no backbone {layer!r} in model.layers",
        did_you_mean(layer, names) or f"the backbones are: {', '.join(names)}",
    )


def check_stages(config: ExperimentConfig) -> None:
    """Checks `fit.stages` against the model (duck-typed `ExperimentConfig`).

    Raises:
        SpecError: For a stage in a GAN config, an `unfreeze` that names no backbone of the
            model, or a stage callback Keras does not have.
    """
    stages = config.fit.stages or []
    if stages and getattr(config, "gan", None) is not None:
        raise SpecError(
            ("fit", "stages"),
            "is not used by kerascli gan",
            "a GAN trains both networks in one phase; remove it",
        )
    backbones = backbone_specs(config.model)
    for index, stage in enumerate(stages):
        here = ("fit", "stages", index)
        if stage.unfreeze is not None:
            unfreeze_target(backbones, stage.unfreeze.layer, here + ("unfreeze",))
        for position, callback in enumerate(stage.callbacks):
            check_object(
                callback,
                here + ("callbacks", position),
                "callback",
                catalog.callback_names(),
                catalog.REFUSED_CALLBACKS,
            )
