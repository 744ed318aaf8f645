"""Every Keras spec of an experiment checked before TensorFlow is imported.

The places a spec may appear are `spec_places.SPEC_PLACES`; this module checks what each holds,
by the kind of its specs, plus what a place says about them as a whole (a model's wiring, a GAN's
stacks, losses and metrics per output).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kerascli.config import keras_names as catalog
from kerascli.config.keys import KeyPath
from kerascli.config.spec_places import SPEC_PLACES, SpecKind, SpecPlace
from kerascli.config.specs import SpecError, check_layer, check_object, split_spec
from kerascli.config.stage_checks import check_stages
from kerascli.config.wiring import functional_wiring
from kerascli.errors import did_you_mean

if TYPE_CHECKING:
    from kerascli.config.schema import ExperimentConfig, ModelConfig


def _check_named(kind: str, names: Callable[[], set[str]], **options: Any) -> Callable:
    def check(spec: Any, key_path: KeyPath) -> None:
        check_object(spec, key_path, kind, names(), **options)

    return check


# How one spec of each kind is checked.
_CHECKS: dict[SpecKind, Callable[[Any, KeyPath], Any]] = {
    SpecKind.LAYER: check_layer,
    SpecKind.OPTIMIZER: _check_named("optimizer", catalog.optimizer_names, case_insensitive=True),
    SpecKind.LOSS: _check_named("loss", catalog.loss_names),
    SpecKind.METRIC: _check_named("metric", catalog.metric_names),
    SpecKind.CALLBACK: _check_named(
        "callback", catalog.callback_names, refused=catalog.REFUSED_CALLBACKS
    ),
}


def check_experiment(config: ExperimentConfig) -> None:
    """Checks every spec in a validated `ExperimentConfig` (duck-typed to stay import-light).

    Raises:
        SpecError: For the first problem found.
    """
    model = config.model
    outputs = set(model.outputs or []) if model is not None else set()
    for place in SPEC_PLACES:
        section = getattr(config, place.section, None)
        if section is None:
            continue
        value = getattr(section, place.field)
        if place.per_output:
            _check_output_names(place, value, outputs)
        for key_path, spec in place.specs(value, outputs):
            _CHECKS[place.kind](spec, key_path)
            if place.stack:
                _check_stacked(spec, key_path)
        if place.section == "model" and place.field == "layers" and model is not None:
            _check_model_wiring(model)
    check_stages(config)


def _check_stacked(spec: Any, key_path: KeyPath) -> None:
    """A GAN network's layer: each takes the previous one's output, none wires `inputs`."""
    _, args = split_spec(spec, key_path, "layer")
    if "inputs" in args:
        raise SpecError(
            key_path,
            "a GAN network is a stack of layers",
            "remove inputs: each layer takes the previous one's output",
        )


def _check_model_wiring(model: ModelConfig) -> None:
    """A Functional model's wiring; in a Sequential one, no layer wires `inputs`."""
    if model.functional:
        functional_wiring(model)
        return
    for index, layer in enumerate(model.layers):
        _, args = split_spec(layer, (), "layer")
        if "inputs" in args:
            raise SpecError(
                ("model", "layers", index),
                "inputs wires Functional models",
                "give the model inputs: {name: shape} instead of input_shape",
            )


def _check_output_names(place: SpecPlace, value: Any, outputs: set[str]) -> None:
    """The keys of a mapping per output name the model's outputs.

    A list field's mapping (metrics) is always per output. A spec field's (a loss) is when it has
    several keys, a key that is an output, or a string value (`{out: "mse"}`: a spec's arguments
    are a mapping); otherwise it is one spec, `{Name: {arguments}}`.
    """
    if not isinstance(value, dict) or not value:
        return
    per_output = place.many or (
        len(value) > 1 or set(value) & outputs or any(isinstance(v, str) for v in value.values())
    )
    stray = next((key for key in value if key not in outputs), None)
    if not per_output or stray is None:
        return
    noun = "losses" if place.kind is SpecKind.LOSS else "metrics"
    listed = (
        f"the model's outputs are {', '.join(sorted(outputs))}"
        if outputs
        else f"{noun} per output are for Functional models with outputs"
    )
    raise SpecError(
        (place.section, place.field, stray),
        f"unknown output {stray!r}",
        did_you_mean(str(stray), outputs) or listed,
    )
