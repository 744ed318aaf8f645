"""The experiment config: its schema, loading, overrides and the errors they produce.

`load_config` reads a YAML file (safely, see `yaml_source`), applies `--set` overrides, validates
the result against the pydantic schema below and checks every Keras name in it (layers, optimizers,
losses, metrics, callbacks) against Keras' own exports, all without importing TensorFlow. Every
problem becomes a `ConfigError` whose *where* is `file:line:column` or the `--set` that caused it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kerascli import specs
from kerascli.errors import ConfigError, article, did_you_mean
from kerascli.yaml_source import KeyPath, YamlDocument, parse_yaml, read_yaml

BUILTIN_SOURCES = ("mnist", "fashion_mnist", "cifar10")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class _Section(BaseModel):
    # strict: YAML already gives real ints, floats and bools, so a string where a number belongs is
    # a mistake worth reporting (YAML 1.1 reads `1e-3` as a string), not something to coerce.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _named(value, kind: str):
    """Refuses `null` where a Keras object must be named (`optimizer:` left empty)."""
    if value is None:
        raise ValueError(f"must name a Keras {kind}, not null")
    return value


class SplitFiles(_Section):
    """A pair of files holding images and labels (IDX, or `.npy`)."""

    images: str
    labels: str


class ValidationConfig(_Section):
    """Where validation data comes from: exactly one of `split`, `first`, or files."""

    split: float | None = Field(default=None, gt=0, lt=1)
    first: int | None = Field(default=None, gt=0)
    images: str | None = None
    labels: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [self.split is not None, self.first is not None,
                 self.images is not None or self.labels is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of split, first, or images with labels")
        if (self.images is None) != (self.labels is None):
            raise ValueError("images and labels go together")
        return self


class PreprocessConfig(_Section):
    """Preprocessing applied to every image and label, in training, evaluation and prediction."""

    reshape: list[int] | None = None
    scale: float | None = Field(default=None, gt=0)
    range: list[float] | None = Field(default=None, min_length=2, max_length=2)
    one_hot: int | None = Field(default=None, ge=2)

    @field_validator("reshape")
    @classmethod
    def _positive_dims(cls, value):
        if value is not None and (not value or any(d == 0 or d < -1 for d in value)):
            raise ValueError("dimensions must be positive (or -1 once)")
        if value is not None and value.count(-1) > 1:
            raise ValueError("only one dimension may be -1")
        return value

    @field_validator("range")
    @classmethod
    def _ordered(cls, value):
        if value is not None and not value[0] < value[1]:
            raise ValueError("range must be [low, high] with low < high")
        return value


class LimitConfig(_Section):
    """Use only the first N examples of a split (quick experiments and tests)."""

    train: int | None = Field(default=None, gt=0)
    test: int | None = Field(default=None, gt=0)


class DataConfig(_Section):
    """Where the data comes from and how it is prepared."""

    source: Literal["mnist", "fashion_mnist", "cifar10", "idx", "npz"]
    path: str | None = None
    train: SplitFiles | None = None
    test: SplitFiles | None = None
    validation: ValidationConfig | None = None
    preprocess: PreprocessConfig = PreprocessConfig()
    augment: list[Any] = []
    class_names: list[str] | None = None
    limit: LimitConfig = LimitConfig()
    shuffle_buffer: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _paths_fit_source(self):
        if self.source == "idx" and self.train is None:
            raise ValueError("source idx needs train: {images: ..., labels: ...}")
        if self.source == "npz" and self.path is None:
            raise ValueError("source npz needs path: FILE.npz")
        if self.source in ("npz",) and (self.train or self.test):
            raise ValueError("source npz reads x_train/y_train/x_test/y_test from path; "
                             "train and test are for source idx")
        return self


class ModelConfig(_Section):
    """A Sequential model (`input_shape`) or a Functional one (`inputs`, `outputs`)."""

    name: str | None = Field(default=None, pattern=NAME_PATTERN)
    input_shape: list[int | None] | None = None
    inputs: dict[str, list[int | None]] | None = None
    layers: list[Any] = Field(min_length=1)
    outputs: list[str] | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.input_shape is None) == (self.inputs is None):
            raise ValueError("give input_shape (Sequential) or inputs (Functional), not both")
        if self.input_shape is not None and self.outputs is not None:
            raise ValueError("outputs is for Functional models (with inputs)")
        if self.inputs is not None and not self.inputs:
            raise ValueError("inputs must name at least one input")
        for shape in [self.input_shape, *(self.inputs or {}).values()]:
            if shape is not None and any(d is not None and d <= 0 for d in shape):
                raise ValueError("input dimensions must be positive (or null for any size)")
        return self

    @property
    def functional(self) -> bool:
        return self.inputs is not None


class CompileConfig(_Section):
    """Arguments to `model.compile`: optimizer, loss(es) and metrics by Keras name."""

    optimizer: Any = "adam"
    loss: Any

    _given = field_validator("loss", "optimizer")(lambda value: _named(value, "loss or optimizer"))
    metrics: list[Any] | dict[str, list[Any]] = []
    loss_weights: list[float] | dict[str, float] | None = None
    steps_per_execution: int = Field(default=1, gt=0)
    jit_compile: bool | Literal["auto"] = "auto"


class FitConfig(_Section):
    """Arguments to `model.fit`."""

    epochs: int = Field(default=10, gt=0)
    batch_size: int = Field(default=32, gt=0)
    shuffle: bool = True
    callbacks: list[Any] = []
    class_weight: dict[int, float] | None = None
    steps_per_epoch: int | None = Field(default=None, gt=0)


class EvaluateConfig(_Section):
    """Evaluation on the test split at the end of training."""

    enabled: bool = True
    batch_size: int | None = Field(default=None, gt=0)


_GAN_OPTIMIZER = {"Adam": {"learning_rate": 0.0002, "beta_1": 0.5}}


class GanConfig(_Section):
    """A generative adversarial network: two layer stacks and how they are trained (`kerascli gan`).

    The generator maps `latent_dim` standard-normal numbers to an image of the data's shape; the
    discriminator maps an image to one score (a logit, or a probability when its last layer ends
    in a sigmoid). Defaults follow the DCGAN paper (Adam 2e-4, beta_1 0.5).
    """

    latent_dim: int = Field(default=100, gt=0)
    generator: list[Any] = Field(min_length=1)
    discriminator: list[Any] = Field(min_length=1)
    generator_optimizer: Any = _GAN_OPTIMIZER
    discriminator_optimizer: Any = _GAN_OPTIMIZER
    loss: Literal["bce", "wgan-gp"] = "bce"
    gradient_penalty: float = Field(default=10.0, ge=0)
    discriminator_steps: int | None = Field(default=None, gt=0)
    update: Literal["simultaneous", "alternating"] | None = None
    label_smoothing: float = Field(default=0.0, ge=0, lt=0.5)
    instance_noise: float = Field(default=0.0, ge=0)
    samples: int = Field(default=64, gt=0, le=400)
    judge: str | None = None
    judge_samples: int = Field(default=1000, ge=20, le=20000)
    judge_confidence: float = Field(default=0.9, gt=0, lt=1)
    jit_compile: bool | Literal["auto"] = "auto"

    _optimizer_given = field_validator("generator_optimizer", "discriminator_optimizer")(
        lambda value: _named(value, "optimizer"))

    @model_validator(mode="after")
    def _settings_fit_loss(self):
        if self.update == "simultaneous" and (self.loss != "bce" or self.critic_steps != 1):
            raise ValueError("update: simultaneous is for loss bce with one discriminator step "
                             "(WGAN-GP alternates)")
        if self.label_smoothing and self.loss != "bce":
            raise ValueError("label_smoothing is for loss bce: a WGAN critic has no labels")
        return self

    @property
    def critic_steps(self) -> int:
        """Discriminator updates per generator update: 5 for WGAN-GP (its paper), else 1."""
        if self.discriminator_steps is not None:
            return self.discriminator_steps
        return 5 if self.loss == "wgan-gp" else 1


class ExperimentConfig(_Section):
    """A whole experiment: the root of every config file."""

    name: str = Field(default="experiment", pattern=NAME_PATTERN)
    seed: int | None = Field(default=None, ge=0)
    deterministic: bool = False
    data: DataConfig
    model: ModelConfig | None = None
    compile: CompileConfig | None = None
    gan: GanConfig | None = None
    fit: FitConfig = FitConfig()
    evaluate: EvaluateConfig = EvaluateConfig()

    @model_validator(mode="after")
    def _model_or_gan(self):
        if self.gan is not None and (self.model is not None or self.compile is not None):
            raise ValueError("give model and compile (kerascli train) or gan (kerascli gan), "
                             "not both")
        return self

    @field_validator("deterministic")
    @classmethod
    def _deterministic_needs_seed(cls, value, info):
        if value and info.data.get("seed") is None:
            raise ValueError("needs a seed (deterministic runs repeat a seeded run)")
        return value

    def to_yaml(self) -> str:
        """Returns the resolved config as YAML: exactly what runs, re-loadable by `load_config`."""
        # mode="python" keeps int keys (class_weight) ints, so the file re-validates as it was.
        return yaml.safe_dump(self.model_dump(mode="python", exclude_none=True), sort_keys=False)


# --------------------------------------------------------------------------------------------
# Overrides


_INDEX = re.compile(r"\[(\d+)\]")


def _split_key_path(dotted: str) -> KeyPath:
    parts: list = []
    for part in dotted.split("."):
        name = _INDEX.split(part)
        if name[0] or len(name) == 1:  # an empty segment stays "" and is refused by the caller
            parts.append(int(name[0]) if name[0].isdigit() else name[0])
        parts.extend(int(index) for index in name[1::2])
    return tuple(parts)


def format_key_path(key_path: KeyPath) -> str:
    """Formats `("model", "layers", 2, "Dense")` as `model.layers[2].Dense`."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_SPEC_SLOTS = (("compile", "optimizer"), ("compile", "loss"), ("model", "layers", int),
               ("fit", "callbacks", int), ("data", "augment", int), ("gan", "generator", int),
               ("gan", "discriminator", int), ("gan", "generator_optimizer"),
               ("gan", "discriminator_optimizer"))


def _is_spec_slot(key_path: KeyPath) -> bool:
    return any(len(slot) == len(key_path) and all(
        (isinstance(k, int) if s is int else k == s) for s, k in zip(slot, key_path))
        for slot in _SPEC_SLOTS)


def _spec_arguments(container, key, next_part):
    """Descends into a spec for an override: `optimizer.learning_rate` and
    `optimizer.Adam.learning_rate` both reach the arguments of `optimizer: adam`."""
    spec = container[key]
    if isinstance(spec, str):
        spec = container[key] = {spec: {}}
    if not (isinstance(spec, dict) and len(spec) == 1):
        return spec
    (name, args), = spec.items()
    if args is None:
        args = spec[name] = {}
    if isinstance(next_part, str) and next_part.lower() == str(name).lower():
        # `optimizer.Adam.x` on `optimizer: adam`: keep the spelling the override uses.
        if next_part != name:
            spec.pop(name)
            spec[next_part] = args
        return spec
    return args  # the next part is an argument of this spec


def apply_overrides(data: dict, overrides: list[str]) -> dict[KeyPath, str]:
    """Applies `KEY.PATH=VALUE` overrides to raw config data in place.

    Values are parsed as YAML scalars (`3` is an int, `0.5` a float, `true` a bool, `[28, 28]` a
    list). Intermediate mappings are created as needed, so a key the file leaves at its default
    can be set; keys that the schema does not know are reported by validation, against the
    override.

    Args:
        data: The config mapping, modified in place.
        overrides: The `--set` arguments.

    Returns:
        A mapping from each overridden key path to the override text, for error messages.

    Raises:
        ConfigError: For an override without `=`, an empty key, a bad index or an unparsable value.
    """
    applied = {}
    for override in overrides:
        where = f"--set {override}"
        key, sep, raw_value = override.partition("=")
        if not sep or not key.strip():
            raise ConfigError(where, "an override is KEY=VALUE", "e.g. --set fit.epochs=3")
        key_path = _split_key_path(key.strip())
        if any(part == "" for part in key_path):
            raise ConfigError(where, f"invalid key path {key!r}", "e.g. model.layers[1].Dense.units")
        try:
            value = parse_yaml(f"value: {raw_value}", where).data["value"] if raw_value.strip() else None
        except ConfigError as error:
            raise ConfigError(where, f"cannot parse the value: {error.what}") from None
        node = data
        for depth, part in enumerate(key_path[:-1]):
            here = format_key_path(key_path[: depth + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise ConfigError(where, f"{here}: no such list item")
                if _is_spec_slot(key_path[: depth + 1]):
                    node = _spec_arguments(node, part, key_path[depth + 1])
                    continue
                node = node[part]
            elif _is_spec_slot(key_path[: depth + 1]) and isinstance(node, dict) and isinstance(
                    node.get(part), (str, dict)):
                node = _spec_arguments(node, part, key_path[depth + 1])
            else:
                if not isinstance(node, dict):
                    kind = type(node).__name__
                    raise ConfigError(where, f"{here}: cannot set a key inside "
                                             f"{article(kind)} {kind}")
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        last = key_path[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise ConfigError(where, f"{format_key_path(key_path)}: no such list item")
        elif not isinstance(node, dict):
            raise ConfigError(where, f"{format_key_path(key_path[:-1])} is not a mapping")
        node[last] = value
        applied[key_path] = where
    return applied


# --------------------------------------------------------------------------------------------
# Validation errors


def _section_fields(loc: tuple) -> list[str]:
    """The field names valid at `loc` in the schema, for did-you-mean suggestions."""
    model: Any = ExperimentConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = None
        if field is not None:
            for candidate in [field.annotation, *getattr(field.annotation, "__args__", ())]:
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    model = candidate
    return list(model.model_fields) if model is not None else []


def _describe(error: dict) -> tuple[str, str | None]:
    """Turns one pydantic error into (what, hint)."""
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}", did_you_mean(str(loc[-1]), _section_fields(loc[:-1]))
    if kind == "missing":
        return "missing required key", None
    message = error["msg"].removeprefix("Value error, ")
    hint = None
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", value):
        hint = (f"YAML 1.1 reads {value} as a string; write it with a dot and a signed exponent, "
                "e.g. 1.0e-3")
    elif isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", value):
        message += f", got str {value!r}"
        hint = "remove the quotes"
    elif isinstance(value, bool) and kind in ("int_type", "float_type"):
        hint = "yes/no/true/false are booleans in YAML"
    elif kind == "literal_error" and isinstance(value, str):
        choices = re.findall(r"'([^']+)'", error["msg"])
        hint = did_you_mean(value, choices)
    elif kind in ("int_type", "float_type", "string_type", "bool_type", "list_type", "dict_type",
                  "model_type", "model_attributes_type"):
        message += f", got {type(value).__name__} {value!r}"[:120]
    return message, hint


def _validation_errors(error: ValidationError, doc: YamlDocument,
                       overrides: dict[KeyPath, str]) -> ConfigError:
    problems, seen = [], set()
    for item in error.errors():
        # Pydantic names union branches and dict keys in the location ('list[any]', '[key]'):
        # they are not config keys, so they are dropped, and a problem is reported once.
        loc = tuple(part for part in item["loc"]
                    if isinstance(part, int) or not re.search(r"[\[\](),]", str(part)))
        if loc in seen:
            continue
        seen.add(loc)
        what, hint = _describe(item)
        where = next((text for path, text in overrides.items()
                      if loc[: len(path)] == path or (loc and path[: len(loc)] == loc)), None)
        key = format_key_path(loc)
        problems.append(ConfigError(where or doc.where(loc), f"{key}: {what}" if key else what, hint))
    first = problems[0]
    first.others = problems[1:]
    return first


def _override_for(key_path: KeyPath, overrides: dict[KeyPath, str]) -> str | None:
    return next((text for path, text in overrides.items() if key_path[: len(path)] == path), None)


def _check_numbers(value: Any, key_path: KeyPath, doc: YamlDocument,
                   overrides: dict[KeyPath, str]) -> None:
    """Refuses NaN and infinities anywhere in the config: no Keras argument means them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(_override_for(key_path, overrides) or doc.where(key_path),
                          f"{format_key_path(key_path)}: {value} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_numbers(item, key_path + (key,), doc, overrides)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_numbers(item, key_path + (index,), doc, overrides)


def validate_data(data: dict, doc: YamlDocument, overrides: dict[KeyPath, str] | None = None
                  ) -> ExperimentConfig:
    """Validates raw config data (already parsed and overridden) into an `ExperimentConfig`.

    Raises:
        ConfigError: For the first problem found; the others are in its `others` attribute.
    """
    overrides = overrides or {}
    _check_numbers(data, (), doc, overrides)
    try:
        config = ExperimentConfig.model_validate(data)
    except ValidationError as error:
        raise _validation_errors(error, doc, overrides) from None
    try:
        specs.check_experiment(config)
    except specs.SpecError as error:
        raise ConfigError(_override_for(error.key_path, overrides) or doc.where(error.key_path),
                          f"{format_key_path(error.key_path)}: {error.what}", error.hint) from None
    return config


def load_config(path: str | Path, overrides: list[str] | None = None, *,
                require: str = "model") -> ExperimentConfig:
    """Loads, overrides and validates an experiment config file.

    Args:
        path: The YAML file.
        overrides: `KEY.PATH=VALUE` strings from `--set`. Defaults to none.
        require: The section the command needs: `"model"` (train, evaluate), `"gan"` (gan) or
            `"any"` (validate). Defaults to `"model"`.

    Returns:
        The validated `ExperimentConfig`.

    Raises:
        ConfigError: For any problem in the file, an override or the schema.
    """
    doc = read_yaml(path)
    applied = apply_overrides(doc.data, list(overrides or []))
    config = validate_data(doc.data, doc, applied)
    if require == "any":
        require = "gan" if config.gan is not None else "model"
    if require == "model":
        for section in ("model", "compile"):
            if getattr(config, section) is None:
                hint = ("this is a GAN config: run it with kerascli gan" if config.gan is not None
                        else f"kerascli train needs {section}")
                raise ConfigError(doc.path, f"the config has no {section} section", hint)
    elif require == "gan" and config.gan is None:
        raise ConfigError(doc.path, "the config has no gan section",
                          "kerascli gan needs gan: {latent_dim, generator, discriminator}")
    return config


def load_saved_config(run_dir: Path, overrides: list[str] | None = None, *,
                      require: str = "model") -> ExperimentConfig:
    """Loads the resolved `config.yaml` of a run directory, with optional overrides."""
    return load_config(Path(run_dir) / "config.yaml", overrides, require=require)
