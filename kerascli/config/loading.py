"""Loading a config: read (and compose) the YAML, apply `--set`, validate, check every rule,
all before TensorFlow.

`load_config` is the one way a command gets an `ExperimentConfig` (and `load_config_text` the same
way for a config not yet written, such as `kerascli init`'s starter); every problem becomes a
`ConfigError` whose *where* is `file:line:column` or the `--set` that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from kerascli.config import rules, spec_checks, specs, tables
from kerascli.config.compose import read_configs
from kerascli.config.diagnostics import Blame, check_finite, schema_errors
from kerascli.config.keys import KeyPath
from kerascli.config.overrides import apply_overrides
from kerascli.config.schema import ExperimentConfig
from kerascli.config.tune import check_space
from kerascli.config.yaml_source import YamlDocument, parse_yaml
from kerascli.errors import ConfigError


def validate_data(
    data: dict, doc: YamlDocument, overrides: dict[KeyPath, str] | None = None
) -> ExperimentConfig:
    """Validates raw config data (already parsed and overridden) into an `ExperimentConfig`.

    Args:
        data: The raw mapping.
        doc: The document it came from (for file:line:column).
        overrides: The key path each `--set` wrote. Defaults to none.

    Returns:
        The validated config; its Keras names and cross-section rules are checked too.

    Raises:
        ConfigError: For the first problem found; the others are in its `others` attribute.
    """
    blame = Blame(doc, overrides or {})
    check_finite(data, blame)
    try:
        config = ExperimentConfig.model_validate(data)
    except ValidationError as error:
        raise schema_errors(error, blame) from None
    try:
        spec_checks.check_experiment(config)
        rules.check_gan(config)
        rules.check_input_shape(config)
        tables.check_features(config)
    except specs.SpecError as error:
        raise blame.error(error.key_path, error.what, error.hint, inside=error.inside) from None
    return config


def load_config(
    path: str | Path | Sequence[str | Path],
    overrides: list[str] | None = None,
    *,
    require: str = "model",
) -> ExperimentConfig:
    """Loads, composes, overrides and validates an experiment config.

    Args:
        path: The YAML file, or several merged in order (later files win key by key, see
            `compose`); the overrides apply after the last.
        overrides: `KEY.PATH=VALUE` strings from `--set`. Defaults to none.
        require: The section the command needs: `"model"` (train, evaluate), `"gan"` (gan) or
            `"any"` (validate). Defaults to `"model"`.

    Returns:
        The validated `ExperimentConfig`.

    Raises:
        ConfigError: For any problem in the file, an override or the schema.
    """
    return _checked(read_configs(path), overrides, require)


def load_config_text(text: str, path: str | Path, *, require: str = "model") -> ExperimentConfig:
    """Validates a config's YAML text exactly as `load_config` validates the file it would be.

    Args:
        text: The YAML text.
        path: The file it is meant for, named in errors (`file:line:column`).
        require: As `load_config`. Defaults to `"model"`.

    Returns:
        The validated `ExperimentConfig`.

    Raises:
        ConfigError: For any problem in the text or the schema.
    """
    return _checked(parse_yaml(text, str(path)), None, require)


def _checked(doc: YamlDocument, overrides: list[str] | None, require: str) -> ExperimentConfig:
    applied = apply_overrides(doc.data, list(overrides or []))
    config = validate_data(doc.data, doc, applied)
    rules.check_command(config, require, doc.path)
    return config


def load_sweep(
    path: str | Path | Sequence[str | Path], overrides: list[str] | None = None
) -> ExperimentConfig:
    """Loads a config for `kerascli tune`: as `load_config`, and its `tune` section checked.

    Every key of the search space is applied at both ends of its range (each value of a choice)
    and the config validated again (`tune.check_space`), all before TensorFlow.

    Args:
        path: The YAML file, or several merged in order.
        overrides: `KEY.PATH=VALUE` strings from `--set`. Defaults to none.

    Returns:
        The validated `ExperimentConfig`, with its `tune` section.

    Raises:
        ConfigError: For any problem in the file, an override, the schema or the search space.
    """
    doc = read_configs(path)
    applied = apply_overrides(doc.data, list(overrides or []))
    config = validate_data(doc.data, doc, applied)
    rules.check_command(config, "any", doc.path)
    if config.tune is None:
        raise ConfigError(
            doc.path,
            "the config has no tune section",
            "add tune: {metric, trials, space: {KEY.PATH: {low, high}}}; see docs/sweeps.md",
        )
    check_space(doc.data, config.tune, lambda data, more: validate_data(data, doc, applied | more))
    return config
