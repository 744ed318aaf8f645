"""Tests for the safe YAML reader: real text and real files, every way a config file can be bad.

Each bad input must raise `ConfigError` (never a raw PyYAML or Python exception) whose one-line
`format()` says where (`file:line:column` when a position is known) and what.
"""

from __future__ import annotations

import os
import time

import pytest

from kerascli.config.yaml_source import MAX_CONFIG_BYTES, YamlDocument, parse_yaml, read_yaml
from kerascli.errors import ConfigError, KerascliError

NAME = "cfg.yaml"


def config_error(text, path: str = NAME) -> ConfigError:
    """Parses `text`, expecting a ConfigError; checks that its message is one line."""
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, path)
    error = caught.value
    message = error.format()
    assert "\n" not in message and "\r" not in message
    assert message == str(error)
    assert message.startswith(path)
    return error


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs document: each level is a list of `width` aliases of the previous one."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# (id, text, fragments the message must hold, "line:column" it must point at or None for none)
BAD_TEXT = [
    pytest.param("", ["the config is empty"], None, id="empty"),
    pytest.param("   \n\n", ["the config is empty"], None, id="blank-lines"),
    pytest.param(
        "# just a comment\n# and another\n", ["the config is empty"], None, id="only-comments"
    ),
    pytest.param(
        "- Dense\n- Flatten\n", ["top level is a list", "not a mapping"], None, id="top-level-list"
    ),
    pytest.param("42\n", ["not a mapping"], None, id="top-level-int"),
    pytest.param("just words\n", ["not a mapping"], None, id="top-level-string"),
    pytest.param(
        "name: a\n---\nname: b\n",
        ["several YAML documents", "one config per file"],
        "2:1",
        id="several-documents",
    ),
    pytest.param(
        "---\nname: a\n---\n",
        ["several YAML documents"],
        "3:1",
        id="several-documents-empty-second",
    ),
    pytest.param(
        'name: !!python/object/apply:os.system ["touch PWNED"]\n',
        ["unsupported YAML tag", "python/object/apply:os.system", "never run"],
        "1:7",
        id="python-object-apply-tag",
    ),
    pytest.param(
        "name: !!python/name:os.system\n",
        ["unsupported YAML tag", "python/name:os.system"],
        "1:7",
        id="python-name-tag",
    ),
    pytest.param(
        "data:\n  source: !!python/object/new:os.system [ls]\n",
        ["unsupported YAML tag", "python/object/new"],
        "2:11",
        id="python-object-new-tag-nested",
    ),
    pytest.param(
        "name: !custom thing\n", ["unsupported YAML tag", "!custom"], "1:7", id="local-tag"
    ),
    pytest.param(
        "name: a\nseed: 1\nname: b\n",
        ["duplicate key 'name'", "first defined on line 1", "remove one"],
        "3:1",
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "fit:\n  epochs: 1\n  batch_size: 8\n  epochs: 2\n",
        ["duplicate key 'epochs'", "first defined on line 2"],
        "4:3",
        id="duplicate-nested-key",
    ),
    pytest.param(
        "model:\n  layers:\n    - Dense: {units: 1, units: 2}\n",
        ["duplicate key 'units'", "first defined on line 3"],
        "3:25",
        id="duplicate-key-in-flow-mapping-in-list",
    ),
    pytest.param(
        "fit:\n  epochs: [1, 2\nname: x\n",
        ["expected ',' or ']'"],
        "3:5",
        id="unclosed-flow-sequence",
    ),
    pytest.param(
        "name: a: b\n", ["mapping values are not allowed here"], "1:8", id="colon-in-plain-scalar"
    ),
    pytest.param("fit:\n  epochs: 1\n batch_size: 2\n", [], "3:2", id="bad-dedent"),
    pytest.param(
        'name: "unterminated\n', ["unexpected end of stream"], "2:1", id="unterminated-quote"
    ),
    pytest.param(
        "fit:\n\tepochs: 1\n",
        ["'\\t'", "indent with spaces, not tabs"],
        "2:1",
        id="tab-indentation",
    ),
    pytest.param(
        "fit:\n  epochs: 1\n\tbatch_size: 2\n",
        ["indent with spaces, not tabs"],
        "3:1",
        id="tab-indentation-later-line",
    ),
    pytest.param(
        "base: &base {epochs: 1}\nfit:\n  <<: *base\n  batch_size: 2\n",
        ["merge keys (<<) are not supported", "write the keys out"],
        "3:3",
        id="merge-key",
    ),
    pytest.param("? [a, b]\n: 1\n", ["unhashable key"], "1:3", id="list-as-key"),
    pytest.param(
        "3: x\nname: y\n", ["top-level key 3 is not a string"], "1:1", id="integer-top-level-key"
    ),
]


@pytest.mark.parametrize("text, fragments, position", BAD_TEXT)
def test_bad_yaml_text_is_one_config_error(text, fragments, position):
    error = config_error(text)
    message = error.format()
    for fragment in fragments:
        assert fragment in message, message
    if position is None:
        assert message.startswith(f"{NAME}: "), message
    else:
        assert message.startswith(f"{NAME}:{position}: "), message
    assert "Traceback" not in message


def test_config_error_is_a_usage_error():
    error = config_error("- a\n")
    assert isinstance(error, KerascliError)
    assert error.exit_code == 2
    assert error.others == []


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param('!!python/object/apply:os.system ["touch PWNED"]', id="object-apply"),
        pytest.param('!!python/object/apply:subprocess.call [["touch", "PWNED"]]', id="subprocess"),
        pytest.param("!!python/name:os.system", id="name"),
    ],
)
def test_python_tags_never_run(tmp_path, monkeypatch, tag):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: x\nseed: {tag}\n")
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    assert "unsupported YAML tag" in caught.value.format()
    assert caught.value.format().startswith(f"{path}:2:7: ")
    assert not (tmp_path / "PWNED").exists()
    assert not os.path.exists("PWNED")


def test_alias_bomb_is_refused_quickly():
    text = alias_bomb()  # 9**10 "lol"s if it were expanded
    assert len(text) < 1000
    started = time.perf_counter()
    error = config_error(text, "bomb.yaml")
    elapsed = time.perf_counter() - started
    assert "too many nodes" in error.format()
    assert "alias bomb" in error.format()
    assert elapsed < 5, f"took {elapsed:.1f} s"


def test_alias_bomb_in_a_file_is_refused(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("name: x\n" + alias_bomb(levels=12, width=10))
    with pytest.raises(ConfigError, match="too many nodes"):
        read_yaml(path)


def test_a_few_plain_aliases_are_fine():
    doc = parse_yaml("shape: &s [28, 28, 1]\nmodel: {input_shape: *s}\n")
    assert doc.data["model"]["input_shape"] == [28, 28, 1]


@pytest.mark.parametrize("depth", [600])
def test_deeply_nested_yaml_is_a_config_error(depth):
    error = config_error("name: " + "[" * depth + "]" * depth + "\n")
    assert "nested" in error.format()


def test_moderately_nested_yaml_is_fine():
    doc = parse_yaml("a: " + "[" * 50 + "]" * 50 + "\n")
    expected: list = []
    for _ in range(49):
        expected = [expected]
    assert doc.data["a"] == expected


def test_document_marker_only_is_empty():
    error = config_error("---\n")
    assert "empty" in error.format()
    assert "NoneType" not in error.format()


def test_non_string_top_level_key_has_a_position():
    error = config_error("name: y\n3: x\n")
    assert error.format().startswith(f"{NAME}:2:1: ")


def test_tab_hint_only_for_tab_indentation():
    error = config_error('name: "a\tb"\nfit: [1\n')
    assert "expected ',' or ']'" in error.format()
    assert "tabs" not in error.format(), error.format()


# --------------------------------------------------------------------------------------------
# Bytes and files


def test_invalid_utf8_bytes():
    error = config_error(b"name: caf\xe9\n")
    assert "not valid UTF-8" in error.format()
    assert "byte 9" in error.format()
    assert "save the file as UTF-8" in error.format()


def test_invalid_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    assert caught.value.format().startswith(f"{path}: not valid UTF-8")


def test_utf16_file_is_refused(tmp_path):
    path = tmp_path / "utf16.yaml"
    path.write_bytes("name: x\n".encode("utf-16"))
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        read_yaml(path)


def test_utf8_with_bom_and_non_ascii_is_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: x\ndata: {class_names: [zéro, un]}\n".encode("utf-8"))
    doc = read_yaml(path)
    assert doc.data["data"]["class_names"] == ["zéro", "un"]


def test_file_larger_than_a_mebibyte(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"name: x\n" + b"# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    assert path.stat().st_size > MAX_CONFIG_BYTES
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    message = caught.value.format()
    assert message.startswith(f"{path}: the file is {path.stat().st_size} bytes")
    assert f"limit is {MAX_CONFIG_BYTES} bytes" in message


def test_bytes_larger_than_a_mebibyte():
    error = config_error(b"name: x\n" + b"#" * MAX_CONFIG_BYTES)
    assert "more than a config needs" in error.format()


def test_file_just_under_the_limit_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    head = b"name: x\n"
    path.write_bytes(head + b"#" * (MAX_CONFIG_BYTES - len(head) - 1) + b"\n")
    assert path.stat().st_size == MAX_CONFIG_BYTES
    assert read_yaml(path).data == {"name": "x"}


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    assert caught.value.format() == f"{path}: file not found"


def test_directory(tmp_path):
    with pytest.raises(ConfigError) as caught:
        read_yaml(tmp_path)
    assert caught.value.format() == f"{tmp_path}: is a directory, not a config file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n")
    path.chmod(0)
    try:
        with pytest.raises(ConfigError) as caught:
            read_yaml(path)
    finally:
        path.chmod(0o600)
    assert caught.value.format().startswith(f"{path}: cannot read")


def test_error_path_is_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel.yaml").write_text("a: 1\na: 2\n")
    with pytest.raises(ConfigError) as caught:
        read_yaml("rel.yaml")
    assert caught.value.format().startswith("rel.yaml:2:1: duplicate key 'a'")


# --------------------------------------------------------------------------------------------
# What a good document gives


NESTED = """\
name: demo
model:
  input_shape: [28, 28, 1]
  layers:
    - Conv2D: {filters: 16, kernel_size: 3}
    - Flatten
    - Dense:
        units: 10
fit:
  epochs: 3
"""


def test_positions_of_nested_keys_and_list_items(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED)
    doc = read_yaml(path)
    assert isinstance(doc, YamlDocument)
    assert doc.path == str(path)
    assert doc.positions[("name",)] == (1, 1)
    assert doc.positions[("model",)] == (2, 1)
    assert doc.positions[("model", "input_shape")] == (3, 3)
    assert doc.positions[("model", "input_shape", 2)] == (3, 25)
    assert doc.positions[("model", "layers")] == (4, 3)
    assert doc.positions[("model", "layers", 0)] == (5, 7)
    assert doc.positions[("model", "layers", 0, "Conv2D")] == (5, 7)
    assert doc.positions[("model", "layers", 0, "Conv2D", "kernel_size")] == (5, 29)
    assert doc.positions[("model", "layers", 1)] == (6, 7)
    assert doc.positions[("model", "layers", 2, "Dense", "units")] == (8, 9)
    assert doc.positions[("fit", "epochs")] == (10, 3)


def test_where_uses_the_deepest_known_prefix():
    doc = parse_yaml(NESTED, "n.yaml")
    assert doc.where(("fit", "epochs")) == "n.yaml:10:3"
    assert doc.where(("model", "layers", 2, "Dense", "units")) == "n.yaml:8:9"
    # A key that is not in the file (a default, or an override's new key) falls back to its parent.
    assert doc.where(("model", "layers", 2, "Dense", "activation")) == "n.yaml:7:7"
    assert doc.where(("fit", "batch_size")) == "n.yaml:9:1"
    assert doc.where(("evaluate", "enabled")) == "n.yaml"
    assert doc.where(()) == "n.yaml"


def test_values_are_plain_python_data():
    doc = parse_yaml(NESTED)
    assert doc.path == "<config>"
    assert doc.data == {
        "name": "demo",
        "model": {
            "input_shape": [28, 28, 1],
            "layers": [
                {"Conv2D": {"filters": 16, "kernel_size": 3}},
                "Flatten",
                {"Dense": {"units": 10}},
            ],
        },
        "fit": {"epochs": 3},
    }


@pytest.mark.parametrize(
    "text, value",
    [
        pytest.param("v: 1e-3\n", "1e-3", id="yaml11-exponent-without-dot-is-a-string"),
        pytest.param("v: 1.0e-3\n", 0.001, id="exponent-with-dot-is-a-float"),
        pytest.param("v: yes\n", True, id="yes-is-true"),
        pytest.param("v: off\n", False, id="off-is-false"),
        pytest.param("v: ~\n", None, id="tilde-is-null"),
        pytest.param("v: '3'\n", "3", id="quoted-number-is-a-string"),
        pytest.param("v: 0x10\n", 16, id="hex-int"),
    ],
)
def test_yaml_11_scalars(text, value):
    assert parse_yaml(text).data["v"] == value


def test_document_end_marker_is_fine():
    assert parse_yaml("name: x\n...\n").data == {"name": "x"}


def test_bytes_and_text_give_the_same_document():
    assert parse_yaml(NESTED.encode()).data == parse_yaml(NESTED).data
