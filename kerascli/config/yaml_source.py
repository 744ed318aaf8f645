"""Reading a YAML config safely, remembering where each value came from.

`yaml.safe_load` alone cannot report duplicate keys (it keeps the last one silently) nor the line
of a value that later fails validation, so this module composes the node tree with PyYAML's
`SafeLoader`, records the position of every key path, refuses duplicates and alias bombs, and only
then constructs plain Python data with the same safe constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kerascli.config.keys import KeyPath
from kerascli.errors import ConfigError, article

MAX_CONFIG_BYTES = 1 << 20
# A config has at most a few hundred nodes; aliases that expand past this are an attack or a
# mistake.
MAX_NODES = 100_000


@dataclass
class YamlDocument:
    """A parsed YAML mapping and the `line:column` of every key path in it.

    Args:
        path: The file the document was read from (as the user wrote it).
        data: The constructed mapping.
        positions: `(line, column)`, both 1-based, for each key path such as `("fit", "epochs")`.
        files: The file each key path was written in, where it is not `path` (a document composed
            from several files, see `compose`).
    """

    path: str
    data: dict
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    files: dict[KeyPath, str] = field(default_factory=dict)

    def where(self, key_path: KeyPath) -> str:
        """Returns `file:line:column` for the deepest known prefix of `key_path`."""
        for end in range(len(key_path), -1, -1):
            prefix = tuple(key_path[:end])
            position = self.positions.get(prefix)
            if position:
                return f"{self.files.get(prefix, self.path)}:{position[0]}:{position[1]}"
        return self.path


def _mark(node_or_mark: yaml.Node | yaml.Mark) -> tuple[int, int]:
    mark = node_or_mark.start_mark if isinstance(node_or_mark, yaml.Node) else node_or_mark
    return mark.line + 1, mark.column + 1


def _walk(
    node: yaml.Node, key_path: KeyPath, positions: dict, path: str, budget: list[int]
) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(
            path,
            "the YAML expands to too many nodes",
            "is it an alias bomb? configs do not need deep anchors and aliases",
        )
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a complex key has no key path; the YAML loader refuses it
            key = str(key_node.value)
            if key == "<<":
                raise ConfigError(
                    f"{path}:{_mark(key_node)[0]}:{_mark(key_node)[1]}",
                    "YAML merge keys (<<) are not supported",
                    "write the keys out",
                )
            if key in seen:
                line, column = _mark(key_node)
                first = _mark(seen[key])[0]
                raise ConfigError(
                    f"{path}:{line}:{column}",
                    f"duplicate key {key!r} (first defined on line {first})",
                    "remove one of them",
                )
            seen[key] = key_node
            child = key_path + (key,)
            positions[child] = _mark(key_node)
            _walk(value_node, child, positions, path, budget)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = key_path + (index,)
            positions[child] = _mark(item)
            _walk(item, child, positions, path, budget)


def parse_yaml(text: str | bytes, path: str = "<config>") -> YamlDocument:
    """Parses one YAML document holding a mapping, safely.

    Args:
        text: The YAML text, or its raw bytes (decoded as UTF-8).
        path: The name used in error messages. Defaults to `"<config>"`.

    Returns:
        A `YamlDocument`.

    Raises:
        ConfigError: For invalid UTF-8, syntax errors (with line:column), several documents,
            duplicate keys, tags that would construct Python objects, alias bombs, or a top level
            that is not a mapping.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_CONFIG_BYTES:
            raise ConfigError(
                path,
                f"the file is {len(text)} bytes, more than a config needs",
                f"the limit is {MAX_CONFIG_BYTES} bytes",
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ConfigError(
                path, f"not valid UTF-8 (byte {error.start})", "save the file as UTF-8"
            ) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(
                path, "the config is empty", "see configs/mnist_cnn.yaml for an example"
            )
        positions: dict[KeyPath, tuple[int, int]] = {}
        _walk(node, (), positions, path, [MAX_NODES])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = error.problem or error.context or "invalid YAML"
        hint = None
        line_text = ""
        if mark is not None and mark.buffer:
            lines = mark.buffer.split("\n")
            line_text = lines[mark.line] if mark.line < len(lines) else ""
        if "'\\t'" in problem or line_text[: len(line_text) - len(line_text.lstrip())].count("\t"):
            hint = "indent with spaces, not tabs"
        if "expected a single document" in (error.context or ""):
            problem, hint = "the file holds several YAML documents", "keep one config per file"
        if "could not determine a constructor" in (error.problem or ""):
            problem, hint = (
                f"unsupported YAML tag {problem.split('for the tag')[-1].strip()}",
                ("tags that build Python objects are never run"),
            )
        raise ConfigError(where, problem, hint) from None
    except yaml.YAMLError as error:
        raise ConfigError(path, f"invalid YAML: {error}") from None
    except RecursionError:
        raise ConfigError(
            path, "the YAML is nested too deeply", "a config needs a few levels"
        ) from None
    finally:
        loader.dispose()
    if data is None:
        raise ConfigError(path, "the config is empty", "see configs/mnist_cnn.yaml for an example")
    if not isinstance(data, dict):
        kind = (
            "a list"
            if isinstance(data, list)
            else f"{article(type(data).__name__)} {type(data).__name__} scalar"
        )
        raise ConfigError(
            path,
            f"the top level is {kind}, not a mapping",
            "a config is a mapping with sections name, data, model, compile, fit",
        )
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        key_node = next(k for k, _ in node.value if k.tag != "tag:yaml.org,2002:str")
        line, column = _mark(key_node)
        raise ConfigError(
            f"{path}:{line}:{column}", f"top-level key {bad_keys[0]!r} is not a string"
        )
    return YamlDocument(path=path, data=data, positions=positions)


def read_yaml(path: str | Path) -> YamlDocument:
    """Reads and parses a YAML config file (see `parse_yaml`).

    Raises:
        ConfigError: When the file cannot be read or is not a valid config document.
    """
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                name,
                f"the file is {size} bytes, more than a config needs",
                f"the limit is {MAX_CONFIG_BYTES} bytes",
            )
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(name, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(name, "is a directory, not a config file") from None
    except OSError as error:
        raise ConfigError(name, f"cannot read: {error.strerror}") from None
    return parse_yaml(raw, name)
