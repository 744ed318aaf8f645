"""Where a Keras spec may appear in a config, listed once.

A spec is `name` or `{Name: {arguments}}` (`specs.split_spec`). The `--set` engine descends into
the arguments of the specs at these places (`overrides`), composition replaces a spec that names
another class whole (`compose`), every spec found at them is checked against Keras' names before
TensorFlow loads (`spec_checks`), and the JSON Schema gives each place the definitions of its kind
(`json_schema`). A new place is one entry here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kerascli.config.keys import KeyPath


class SpecKind(str, Enum):
    """What a spec builds: the `keras.<module>` it names a class of."""

    LAYER = "layer"
    OPTIMIZER = "optimizer"
    LOSS = "loss"
    METRIC = "metric"
    CALLBACK = "callback"


@dataclass(frozen=True)
class SpecPlace:
    """One place of a config that holds Keras specs.

    Args:
        section: The config's section (`model`, `compile`, ...).
        field: The field in it.
        kind: What the specs there build.
        schema: The section's model in the JSON Schema's definitions (`ModelConfig`, ...).
        many: Whether the field is a list of specs (`field[*]`), else one spec.
        per_output: Whether the field may instead map a Functional model's output names to what
            it holds otherwise (a loss, or a list of metrics, per output).
        at_least_one: Whether a list must hold at least one spec (a model's layers).
        stack: Whether the layers form a stack, each taking the previous one's output (a GAN's
            networks), so that none may wire its own `inputs`.
    """

    section: str
    field: str
    kind: SpecKind
    schema: str
    many: bool = False
    per_output: bool = False
    at_least_one: bool = False
    stack: bool = False

    @property
    def path(self) -> str:
        """The place as a key path pattern: `model.layers[*]`, `compile.optimizer`."""
        return f"{self.section}.{self.field}" + ("[*]" if self.many else "")

    def holds(self, key_path: KeyPath) -> bool:
        """Whether `key_path` is the place of one spec here (`("model", "layers", 2)`)."""
        if tuple(key_path[:2]) != (self.section, self.field):
            return False
        rest = key_path[2:]
        if self.many:
            return len(rest) == 1 and isinstance(rest[0], int)
        return not rest

    def specs(self, value: Any, outputs: Collection[str] = ()) -> Iterator[tuple[KeyPath, Any]]:
        """Each spec of the field's (validated) `value`, with its key path.

        Args:
            value: The field's value.
            outputs: The model's output names: a mapping of them holds the specs per output.
        """
        base: KeyPath = (self.section, self.field)
        groups: list[tuple[KeyPath, Any]] = [(base, value)]
        if self.per_output and isinstance(value, dict):
            # A list field's mapping is always per output; a spec field's only when every key is
            # an output (`{Name: {arguments}}` is one spec).
            if self.many or (value and set(value) <= set(outputs)):
                groups = [(base + (key,), group) for key, group in value.items()]
        for path, group in groups:
            if self.many:
                yield from ((path + (index,), spec) for index, spec in enumerate(group or []))
            else:
                yield path, group


# In the order they are checked (so the first problem reported is the first in this order).
SPEC_PLACES: tuple[SpecPlace, ...] = (
    SpecPlace("model", "layers", SpecKind.LAYER, "ModelConfig", many=True, at_least_one=True),
    SpecPlace("data", "augment", SpecKind.LAYER, "DataConfig", many=True),
    SpecPlace(
        "gan", "generator", SpecKind.LAYER, "GanConfig", many=True, at_least_one=True, stack=True
    ),
    SpecPlace("gan", "generator_optimizer", SpecKind.OPTIMIZER, "GanConfig"),
    SpecPlace(
        "gan",
        "discriminator",
        SpecKind.LAYER,
        "GanConfig",
        many=True,
        at_least_one=True,
        stack=True,
    ),
    SpecPlace("gan", "discriminator_optimizer", SpecKind.OPTIMIZER, "GanConfig"),
    SpecPlace("compile", "optimizer", SpecKind.OPTIMIZER, "CompileConfig"),
    SpecPlace("compile", "loss", SpecKind.LOSS, "CompileConfig", per_output=True),
    SpecPlace("compile", "metrics", SpecKind.METRIC, "CompileConfig", many=True, per_output=True),
    SpecPlace("fit", "callbacks", SpecKind.CALLBACK, "FitConfig", many=True),
)


def is_spec_slot(key_path: KeyPath) -> bool:
    """Whether `key_path` is a place that holds one Keras spec (an optimizer, a layer, ...)."""
    return any(place.holds(key_path) for place in SPEC_PLACES)
