"""The base of every config section's pydantic model (`schema`, `data_schema`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section: unknown keys refused, values not coerced, frozen once validated."""

    # strict: YAML already gives real ints, floats and bools, so a string where a number belongs is
    # a mistake worth reporting (YAML 1.1 reads `1e-3` as a string), not something to coerce.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def named(value: Any, kind: str) -> Any:
    """Refuses `null` where a Keras object must be named (`optimizer:` left empty)."""
    if value is None:
        raise ValueError(f"must name a Keras {kind}, not null")
    return value
