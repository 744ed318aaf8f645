"""The `--set KEY.PATH=VALUE` engine: overrides applied to raw config data before validation.

At the places that hold Keras specs (`spec_places.SPEC_PLACES`), a key path goes on into the
spec's arguments: `compile.optimizer.learning_rate=0.01` on `optimizer: adam`.
"""

from __future__ import annotations

from typing import Any

from kerascli.config.keys import KeyPath, format_key_path, split_key_path
from kerascli.config.spec_places import is_spec_slot
from kerascli.config.yaml_source import parse_yaml
from kerascli.errors import ConfigError, article


def _spec_arguments(container: Any, key: str | int, next_part: str | int) -> Any:
    """Descends into a spec for an override: `optimizer.learning_rate` and
    `optimizer.Adam.learning_rate` both reach the arguments of `optimizer: adam`."""
    spec = container[key]
    if isinstance(spec, str):
        spec = container[key] = {spec: {}}
    if not (isinstance(spec, dict) and len(spec) == 1):
        return spec
    ((name, args),) = spec.items()
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
        key_path = split_key_path(key.strip())
        if any(part == "" for part in key_path):
            raise ConfigError(
                where, f"invalid key path {key!r}", "e.g. model.layers[1].Dense.units"
            )
        try:
            value = (
                parse_yaml(f"value: {raw_value}", where).data["value"]
                if raw_value.strip()
                else None
            )
        except ConfigError as error:
            raise ConfigError(where, f"cannot parse the value: {error.what}") from None
        node = data
        for depth, part in enumerate(key_path[:-1]):
            here = format_key_path(key_path[: depth + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise ConfigError(where, f"{here}: no such list item")
                if is_spec_slot(key_path[: depth + 1]):
                    node = _spec_arguments(node, part, key_path[depth + 1])
                    continue
                node = node[part]
            elif (
                is_spec_slot(key_path[: depth + 1])
                and isinstance(node, dict)
                and isinstance(node.get(part), (str, dict))
            ):
                node = _spec_arguments(node, part, key_path[depth + 1])
            else:
                if not isinstance(node, dict):
                    kind = type(node).__name__
                    raise ConfigError(
                        where, f"{here}: cannot set a key inside {article(kind)} {kind}"
                    )
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
