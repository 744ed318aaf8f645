"""The `tune` section: a sweep's search space over the config's own key paths, and its budget.

`kerascli train` ignores the section; `kerascli tune` runs the study it describes (Optuna). The
space's keys are the dotted paths `--set` takes; `check_space` applies each at both ends of its
range to the config and validates the result, so a key that does not exist or a bound a layer
refuses is reported before TensorFlow loads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator

from kerascli.config.keys import format_key_path, split_key_path
from kerascli.config.section import Section
from kerascli.errors import ConfigError

Sampler = Literal["tpe", "random", "grid", "cmaes"]
Pruner = Literal["none", "median", "hyperband"]
SAMPLERS: tuple[str, ...] = get_args(Sampler)
PRUNERS: tuple[str, ...] = get_args(Pruner)


class Range(Section):
    """A numeric parameter: integer bounds give an integer parameter, any float a float one."""

    low: int | float = Field(description="The smallest value tried.")
    high: int | float = Field(description="The largest value tried.")
    log: bool = Field(
        default=False, description="Sample on a log scale (learning rates); needs low > 0."
    )
    step: int | float | None = Field(
        default=None,
        gt=0,
        description="Only values low + k * step (default: any value; 1 for integers).",
    )

    @model_validator(mode="after")
    def _sensible(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, not {self.low}")
        if self.log and self.step is not None and not self.integer:
            raise ValueError("a float range takes log or step, not both")
        if self.integer and self.step is not None and not isinstance(self.step, int):
            raise ValueError("an integer range (integer low and high) takes an integer step")
        return self

    @property
    def integer(self) -> bool:
        """Whether both bounds are integers, which makes the parameter an integer."""
        return isinstance(self.low, int) and isinstance(self.high, int)


def _range_problem(error: ValidationError) -> str:
    """The first problem of a range, in the words the rest of the config's errors use."""
    # A misspelt key explains the missing one it was meant to be: it is reported first.
    problem = min(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    field = ".".join(str(part) for part in problem["loc"])
    if problem["type"] == "extra_forbidden":
        return f"unknown key {field!r} (a range takes low, high, log and step)"
    if problem["type"] == "missing":
        return f"a range needs {field}"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


class TuneConfig(Section):
    """A sweep (`kerascli tune`): which values to try, how to judge a trial, and the budget."""

    metric: str = Field(
        default="val_loss",
        min_length=1,
        description="The history key that judges a trial; a trial's value is its best epoch.",
    )
    direction: Literal["minimize", "maximize"] | None = Field(
        default=None,
        description="minimize or maximize the metric (default: minimize names with loss, else "
        "maximize).",
    )
    trials: int = Field(
        default=20, gt=0, le=100000, description="The study's budget, all workers together."
    )
    sampler: Sampler = Field(
        default="tpe",
        description="How the next values are chosen: tpe (Bayesian), random, grid (every "
        "combination; ranges need a step), cmaes (CMA-ES, numeric parameters).",
    )
    pruner: Pruner = Field(
        default="none",
        description="Stop unpromising trials early: none, median (below the median of earlier "
        "trials at the same epoch) or hyperband.",
    )
    max_failures: int = Field(
        default=3, gt=0, description="Failed trials in a row that stop the sweep (exit 1)."
    )
    storage: str | None = Field(
        default=None,
        min_length=1,
        description="Where the study lives: an Optuna storage URL (sqlite:///sweep.db, "
        "postgresql://user@host/db) shared by every machine that joins (default: a SQLite file "
        "in the sweep directory).",
    )
    seed: int | None = Field(
        default=None, ge=0, description="Seeds the sampler (default: the config's seed)."
    )
    space: dict[str, Range | list[Any]] = Field(
        min_length=1,
        description="The parameters: a dotted key path as --set takes it -> {low, high, log, "
        "step} (a range) or a list of values (a choice).",
    )

    @field_validator("space", mode="before")
    @classmethod
    def _entries(cls, space: Any) -> Any:
        # Each entry is checked here, by hand, so that its key path leads the message: pydantic
        # would name a dict key with brackets in it only as part of its location.
        if not isinstance(space, dict):
            return space
        checked: dict[str, Range | list[Any]] = {}
        for key, values in space.items():
            parts = split_key_path(str(key))
            if not parts or any(part == "" for part in parts):
                raise ValueError(f"{key!r} is not a key path (e.g. model.layers[1].Dense.units)")
            if parts[0] == "tune":
                raise ValueError(f"{key}: the tune section cannot tune itself")
            if isinstance(values, list):
                if not values:
                    raise ValueError(f"{key}: a choice needs at least one value")
                checked[key] = values
            elif isinstance(values, dict):
                try:
                    checked[key] = Range.model_validate(values)
                except ValidationError as error:
                    raise ValueError(f"{key}: {_range_problem(error)}") from None
            else:
                raise ValueError(
                    f"{key}: give a range {{low, high}} or a list of values, not "
                    f"{type(values).__name__} {values!r}"
                )
        return checked

    @model_validator(mode="after")
    def _sampler_fits(self) -> TuneConfig:
        if self.sampler == "grid":
            for key, values in self.space.items():
                if isinstance(values, Range) and not values.integer and values.step is None:
                    raise ValueError(
                        f"grid needs a step or a list of values for the float range {key}"
                    )
        return self


_LAYER_LISTS = (("model", "layers"), ("gan", "generator"), ("gan", "discriminator"))


def _check_layer_argument(data: dict, key: str) -> None:
    """Refuses a space key into a layer that names another layer or an argument it lacks.

    `--set` creates what it reaches, and Keras layers take `**kwargs`, so validation alone would
    pass `model.layers[0].Dense.units` on a Flatten layer; the layer's own signature, read from
    Keras' source, tells.
    """
    from kerascli.config.keras_signatures import layer_signature
    from kerascli.config.specs import split_spec
    from kerascli.errors import did_you_mean

    parts = split_key_path(key)
    if len(parts) < 4 or tuple(parts[:2]) not in _LAYER_LISTS or not isinstance(parts[2], int):
        return
    layers = (data.get(parts[0]) or {}).get(parts[1])
    if not isinstance(layers, list) or parts[2] >= len(layers):
        return  # reported by the override itself
    name, _ = split_spec(layers[parts[2]], tuple(parts[:3]), "layer")
    where = f"tune.space.{format_key_path(parts)}"
    rest = parts[3:]
    if isinstance(rest[0], str) and rest[0].lower() == name.lower():
        rest = rest[1:]
    elif len(rest) > 1 and layer_signature(str(rest[0])) is not None:
        raise ConfigError(
            where, f"{format_key_path(parts[:3])} is a {name} layer, not {rest[0]}", None
        )
    signature = layer_signature(name)
    if not rest or not isinstance(rest[0], str) or signature is None or not signature.complete:
        return
    if rest[0] not in signature.arguments:
        raise ConfigError(
            where,
            f"{name} has no argument {rest[0]!r}",
            did_you_mean(rest[0], signature.arguments),
        )


def _bound_values(values: Range | list) -> list[tuple[str, Any]]:
    """The values a parameter is checked at: both ends of a range, every choice."""
    if isinstance(values, list):
        return [(f"choice {value!r}", value) for value in values]
    return [(f"low {values.low!r}", values.low), (f"high {values.high!r}", values.high)]


def check_space(data: dict, tune: TuneConfig, validate: Callable[[dict, Any], Any]) -> None:
    """Checks every space key at both ends of its range (every value of a choice).

    Each value is applied to a copy of the raw config as `--set` would apply it, and the result
    validated, so a key that does not exist, or a value its layer or optimizer refuses, is one
    line naming the space key before anything trains.

    Args:
        data: The raw config mapping (composed, overridden, not validated).
        tune: The validated `tune` section.
        validate: Validates a raw mapping (raising `ConfigError`) given it and the key paths
            that overrides wrote, e.g. `loading.validate_data` bound to the document.

    Raises:
        ConfigError: `tune.space.<key>: <bound>: <what>`, for the first value refused.
    """
    from kerascli.config.overrides import apply_overrides

    for key, values in tune.space.items():
        where = f"tune.space.{format_key_path(split_key_path(key))}"
        _check_layer_argument(data, key)
        for label, value in _bound_values(values):
            trial = copy.deepcopy(data)
            trial.pop("tune", None)
            try:
                validate(trial, apply_overrides(trial, [f"{key}={as_override(value)}"]))
            except ConfigError as error:
                # Blamed on the override that set this key: the key is already in `where`.
                what = error.what.removeprefix(f"{format_key_path(split_key_path(key))}: ")
                raise ConfigError(where, f"{label}: {what}", error.hint) from None


def as_override(value: Any) -> str:
    """A value as `--set` text, which `--set` parses back to the same value (YAML flow)."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=10**6)
    return text.removesuffix("\n...\n").strip()
