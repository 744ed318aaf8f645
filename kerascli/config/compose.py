"""Composing one config from several files: `kerascli train base.yaml faster.yaml`.

Later files win key by key: mappings merge, anything else (lists included) is replaced whole, and
a Keras spec that names another class (`optimizer: {Adam: ...}` after `{SGD: ...}`) replaces the
spec rather than merging two names into one. Every merged value keeps the file and line:column it
was written at, so an error still points into the file that wrote the offending value.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from kerascli.config.keys import KeyPath
from kerascli.config.spec_places import is_spec_slot
from kerascli.config.yaml_source import YamlDocument, read_yaml


def _replaces_spec(key_path: KeyPath, before: dict, after: dict) -> bool:
    """Whether `after` names another Keras class than `before` at a spec's place."""
    return (
        is_spec_slot(key_path)
        and len(before) == 1
        and len(after) == 1
        and set(before) != set(after)
    )


def _forget(composed: YamlDocument, key_path: KeyPath) -> None:
    """Drops the positions of `key_path` and everything under it (the value is replaced)."""
    depth = len(key_path)
    for known in [k for k in composed.positions if k[:depth] == key_path]:
        composed.positions.pop(known)
        composed.files.pop(known, None)


def _adopt(composed: YamlDocument, doc: YamlDocument, key_path: KeyPath) -> None:
    """Takes the positions of `key_path` and everything under it from `doc`."""
    depth = len(key_path)
    for known, position in doc.positions.items():
        if known[:depth] == key_path:
            composed.positions[known] = position
            composed.files[known] = doc.path


def _merge(
    target: dict, source: dict, key_path: KeyPath, composed: YamlDocument, doc: YamlDocument
) -> None:
    for key, value in source.items():
        child = key_path + (key,)
        before = target.get(key)
        if (
            isinstance(before, dict)
            and isinstance(value, dict)
            and not _replaces_spec(child, before, value)
        ):
            if child in doc.positions:  # the key itself was written last in `doc`
                composed.positions[child] = doc.positions[child]
                composed.files[child] = doc.path
            _merge(before, value, child, composed, doc)
        else:
            _forget(composed, child)
            target[key] = copy.deepcopy(value)
            _adopt(composed, doc, child)


def compose(docs: Sequence[YamlDocument]) -> YamlDocument:
    """Merges parsed config files in order; later files win key by key.

    Args:
        docs: The parsed files, first to last (at least one).

    Returns:
        One document whose data is the merged mapping and whose positions name, for every key
        path, the file and line:column the value was taken from. A single document is returned
        as it is.

    Raises:
        ValueError: When `docs` is empty.
    """
    if not docs:
        raise ValueError("compose needs at least one config file")
    if len(docs) == 1:
        return docs[0]
    first = docs[0]
    composed = YamlDocument(
        path=", ".join(doc.path for doc in docs),
        data=copy.deepcopy(first.data),
        positions=dict(first.positions),
        files=dict.fromkeys(first.positions, first.path),
    )
    for doc in docs[1:]:
        _merge(composed.data, doc.data, (), composed, doc)
    return composed


def read_configs(paths: str | Path | Sequence[str | Path]) -> YamlDocument:
    """Reads one config file, or several composed in order (see `compose`).

    Raises:
        ConfigError: For the first file that cannot be read or parsed.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return compose([read_yaml(path) for path in paths])
