"""Turning config problems into one-line `ConfigError`s that point where the value was written.

A problem is blamed on the `--set` that wrote the value when there is one, else on the
`file:line:column` of the deepest key the YAML file holds (see `yaml_source.YamlDocument.where`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from kerascli.config.keys import KeyPath, format_key_path
from kerascli.config.schema import ExperimentConfig
from kerascli.config.yaml_source import YamlDocument
from kerascli.errors import ConfigError, did_you_mean


@dataclass
class Blame:
    """Where each key path of a config was written: an override, or a place in the file.

    Args:
        doc: The parsed file.
        overrides: The key path each `--set` wrote, and the `--set` text.
    """

    doc: YamlDocument
    overrides: dict[KeyPath, str] = field(default_factory=dict)

    def where(self, key_path: KeyPath, *, inside: bool = False) -> str:
        """The override that wrote `key_path` (or, with `inside`, a key under it), else the file
        position of its deepest written prefix."""
        for path, text in self.overrides.items():
            if key_path[: len(path)] == path or (
                inside and key_path and path[: len(key_path)] == key_path
            ):
                return text
        return self.doc.where(key_path)

    def error(
        self, key_path: KeyPath, what: str, hint: str | None = None, *, inside: bool = False
    ) -> ConfigError:
        """A `ConfigError` at `key_path`: `where: key.path: what (hint)`."""
        key = format_key_path(key_path)
        return ConfigError(
            self.where(key_path, inside=inside), f"{key}: {what}" if key else what, hint
        )


def check_finite(value: Any, blame: Blame, key_path: KeyPath = ()) -> None:
    """Refuses NaN and infinities anywhere in the config: no Keras argument means them.

    Raises:
        ConfigError: At the first non-finite number.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise blame.error(key_path, f"{value} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, blame, key_path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_finite(item, blame, key_path + (index,))


def _section_fields(loc: tuple) -> list[str]:
    """The field names valid at `loc` in the schema, for did-you-mean suggestions."""
    model: Any = ExperimentConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        found = model.model_fields.get(part)
        model = None
        if found is not None:
            for candidate in [found.annotation, *getattr(found.annotation, "__args__", ())]:
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    model = candidate
    return list(model.model_fields) if model is not None else []


def _describe(error: ErrorDetails) -> tuple[str, str | None]:
    """Turns one pydantic error into (what, hint)."""
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}", did_you_mean(str(loc[-1]), _section_fields(loc[:-1]))
    if kind == "missing":
        return "missing required key", None
    message = error["msg"].removeprefix("Value error, ")
    hint = None
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", value):
        hint = (
            f"YAML 1.1 reads {value} as a string; write it with a dot and a signed exponent, "
            "e.g. 1.0e-3"
        )
    elif isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", value):
        message += f", got str {value!r}"
        hint = "remove the quotes"
    elif isinstance(value, bool) and kind in ("int_type", "float_type"):
        hint = "yes/no/true/false are booleans in YAML"
    elif kind == "literal_error" and isinstance(value, str):
        choices = re.findall(r"'([^']+)'", error["msg"])
        hint = did_you_mean(value, choices)
    elif kind in (
        "int_type",
        "float_type",
        "string_type",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
    ):
        message += f", got {type(value).__name__} {value!r}"[:120]
    return message, hint


def schema_errors(error: ValidationError, blame: Blame) -> ConfigError:
    """One `ConfigError` per problem pydantic found: the first, with the rest in `others`."""
    problems, seen = [], set()
    for item in error.errors():
        # Pydantic names union branches and dict keys in the location ('list[any]', '[key]'):
        # they are not config keys, so they are dropped, and a problem is reported once.
        loc = tuple(
            part
            for part in item["loc"]
            if isinstance(part, int) or not re.search(r"[\[\](),]", str(part))
        )
        if loc in seen:
            continue
        seen.add(loc)
        what, hint = _describe(item)
        problems.append(blame.error(loc, what, hint, inside=True))
    first = problems[0]
    first.others.extend(problems[1:])
    return first
