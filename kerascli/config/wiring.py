"""A Functional model's graph as the config writes it: which layer takes which inputs.

The one home of the naming and wiring rule, read by the checks before TensorFlow loads
(`spec_checks`) and by the model builder (`kerascli.models.layers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kerascli.config.specs import SpecError, split_spec
from kerascli.errors import did_you_mean

if TYPE_CHECKING:
    from kerascli.config.keys import KeyPath
    from kerascli.config.schema import ModelConfig


@dataclass(frozen=True)
class LayerWiring:
    """One layer of a Functional model: what it is, what it is called and what it takes.

    Args:
        index: Its place in `model.layers`. class_name: The Keras class.
        args: Its arguments, `inputs` included. reference: The name later layers and `outputs`
            use (its `name`, else `<class>_<index>`). sources: The model inputs or earlier layers
            it takes: a name or a list of names.
    """

    index: int
    class_name: str
    args: dict
    reference: str
    sources: str | list


def functional_wiring(model: ModelConfig, key_path: KeyPath = ("model",)) -> list[LayerWiring]:
    """Resolves a Functional model's graph: the one home of its naming and wiring rule.

    Each layer takes `inputs:` (a name or a list of names of model inputs or earlier layers; by
    default the previous layer) and is referred to by its `name`, else `<class>_<index>`.

    Args:
        model: The `model` section (with `inputs`).
        key_path: Where it is in the config. Defaults to `("model",)`.

    Returns:
        One `LayerWiring` per layer, in order.

    Raises:
        SpecError: When a layer names an unknown input, a name is used twice, or an output names
            no layer.
    """
    inputs = model.inputs or {}  # called for Functional models, which have inputs
    known = set(inputs)
    previous = None
    wiring = []
    for index, layer in enumerate(model.layers):
        here = key_path + ("layers", index)
        name, args = split_spec(layer, here, "layer")
        sources = args.get("inputs", previous)
        if sources is None and "inputs" not in args:
            raise SpecError(
                here + (name,),
                "the first layer must name its inputs",
                f"add inputs: {next(iter(inputs))}",
            )
        if not (isinstance(sources, str) or (isinstance(sources, list) and sources)):
            raise SpecError(
                here + (name, "inputs"),
                "inputs must be a name or a list of names",
                "name model inputs or earlier layers",
            )
        for source in [sources] if isinstance(sources, str) else sources:
            if not isinstance(source, str) or source not in known:
                raise SpecError(
                    here + (name, "inputs"),
                    f"unknown input {source!r}",
                    did_you_mean(str(source), known)
                    or "name a model input or an earlier layer's name",
                )
        reference = args.get("name") or f"{name.lower()}_{index}"
        if reference in known:
            raise SpecError(here + (name, "name"), f"the name {reference!r} is used twice")
        known.add(reference)
        wiring.append(LayerWiring(index, name, args, reference, sources))
        previous = reference
    for index, output in enumerate(model.outputs or []):
        if output not in known:
            raise SpecError(
                key_path + ("outputs", index),
                f"unknown output {output!r}",
                did_you_mean(output, known) or "name a layer",
            )
    return wiring
