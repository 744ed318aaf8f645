"""Key paths into a config: `("model", "layers", 2, "Dense")`, written `model.layers[2].Dense`."""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]  # mapping keys and list indices

_INDEX = re.compile(r"\[(\d+)\]")


def format_key_path(key_path: KeyPath) -> str:
    """Formats `("model", "layers", 2, "Dense")` as `model.layers[2].Dense`."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def split_key_path(dotted: str) -> KeyPath:
    """Parses `model.layers[2].Dense` into `("model", "layers", 2, "Dense")`.

    An empty segment (`fit..epochs`) stays `""`, for the caller to refuse.
    """
    parts: list = []
    for part in dotted.split("."):
        name = _INDEX.split(part)
        if name[0] or len(name) == 1:
            parts.append(int(name[0]) if name[0].isdigit() else name[0])
        parts.extend(int(index) for index in name[1::2])
    return tuple(parts)
