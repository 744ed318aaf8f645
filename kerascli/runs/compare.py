"""Putting runs side by side: the config keys that differ between them, by dotted path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from kerascli.config.keys import format_key_path
from kerascli.runs.layout import CONFIG_FILE

MISSING = object()  # a key one run's config does not have


def flatten(value: Any, path: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """Every leaf of a nested config by its dotted path (`model.layers[1].Dense.units`).

    Empty mappings and lists are leaves, so `augment: []` is still a key.
    """
    if isinstance(value, dict) and (value or not path):
        return {
            key: leaf
            for name, child in value.items()
            for key, leaf in flatten(child, (*path, str(name))).items()
        }
    if isinstance(value, list) and value:
        return {
            key: leaf
            for index, child in enumerate(value)
            for key, leaf in flatten(child, (*path, index)).items()
        }
    return {format_key_path(path): value}


def shown(value: Any) -> str:
    """A config value as `runs compare` (and MLflow's params) show it: strings as they are, the
    rest as JSON (`true`, `0.001`, `[28, 28, 1]`, `null`)."""
    return value if isinstance(value, str) else json.dumps(value)


def read_config(run_dir: Path) -> dict[str, Any]:
    """A run's saved `config.yaml` as plain data (`{}` when missing or unreadable)."""
    try:
        config = yaml.safe_load((Path(run_dir) / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def config_differences(configs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The dotted keys whose values are not the same in every config, in first-seen order.

    Returns:
        `{dotted key: [value in each config, or MISSING]}`.
    """
    flat = [flatten(config) for config in configs]
    keys = list(dict.fromkeys(key for one in flat for key in one))
    differences = {}
    for key in keys:
        values = [one.get(key, MISSING) for one in flat]
        # Compared with their types: `1` and `true` are different settings, though 1 == True.
        if any(
            value is MISSING or value != values[0] or type(value) is not type(values[0])
            for value in values
        ):
            differences[key] = values
    return differences
