"""Tests for composing a config from several files: merge order, and errors that still say where.

Real files in `tmp_path`, loaded the way `kerascli train base.yaml faster.yaml` loads them.
"""

from __future__ import annotations

import pytest
import yaml

from kerascli.config.compose import compose, read_configs
from kerascli.config.loading import load_config
from kerascli.config.yaml_source import parse_yaml
from kerascli.errors import ConfigError
from tests.config.test_loading import BASE


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FASTER = """\
name: faster
fit:
  epochs: 1
  callbacks: []
compile:
  optimizer: {Adam: {learning_rate: 0.01}}
"""


def test_later_files_win_key_by_key_and_mappings_merge(tmp_path):
    config = load_config(
        [write(tmp_path, "base.yaml", BASE), write(tmp_path, "faster.yaml", FASTER)]
    )
    assert config.name == "faster"
    assert config.fit.epochs == 1
    assert config.fit.batch_size == 128  # kept from base: fit merged, not replaced
    assert config.fit.callbacks == []  # lists are replaced whole
    assert config.compile.optimizer == {"Adam": {"learning_rate": 0.01}}
    assert config.compile.loss == "categorical_crossentropy"
    assert len(config.model.layers) == 5


def test_the_order_of_the_files_decides(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    faster = write(tmp_path, "faster.yaml", FASTER)
    assert load_config([faster, base]).fit.epochs == 5
    assert load_config([base, faster]).fit.epochs == 1


def test_set_applies_after_the_last_file(tmp_path):
    files = [write(tmp_path, "base.yaml", BASE), write(tmp_path, "faster.yaml", FASTER)]
    config = load_config(files, ["fit.epochs=7", "compile.optimizer.learning_rate=0.5"])
    assert config.fit.epochs == 7
    assert config.compile.optimizer == {"Adam": {"learning_rate": 0.5}}


@pytest.mark.parametrize(
    "first, second, expected",
    [
        pytest.param(
            {"fit": {"callbacks": [{"EarlyStopping": {"patience": 2}}]}},
            {"fit": {"callbacks": [{"TerminateOnNaN": {}}]}},
            {"fit": {"callbacks": [{"TerminateOnNaN": {}}]}},
            id="list-replaced",
        ),
        pytest.param(
            {"compile": {"optimizer": {"Adam": {"learning_rate": 0.1}}}},
            {"compile": {"optimizer": {"Adam": {"beta_1": 0.5}}}},
            {"compile": {"optimizer": {"Adam": {"learning_rate": 0.1, "beta_1": 0.5}}}},
            id="same-spec-arguments-merge",
        ),
        pytest.param(
            {"compile": {"optimizer": {"Adam": {"learning_rate": 0.1}}}},
            {"compile": {"optimizer": {"SGD": {"momentum": 0.9}}}},
            {"compile": {"optimizer": {"SGD": {"momentum": 0.9}}}},
            id="another-spec-replaces",
        ),
        pytest.param(
            {"compile": {"optimizer": {"Adam": {"learning_rate": 0.1}}}},
            {"compile": {"optimizer": "sgd"}},
            {"compile": {"optimizer": "sgd"}},
            id="bare-name-replaces",
        ),
        pytest.param(
            {"data": {"validation": {"split": 0.1}}},
            {"data": {"validation": None}},
            {"data": {"validation": None}},
            id="null-replaces",
        ),
        pytest.param(
            {"seed": 1},
            {"fit": {"epochs": 2}},
            {"seed": 1, "fit": {"epochs": 2}},
            id="disjoint-keys-kept",
        ),
    ],
)
def test_merge_rules(first, second, expected):
    docs = [
        parse_yaml(yaml.safe_dump(first), "a.yaml"),
        parse_yaml(yaml.safe_dump(second), "b.yaml"),
    ]
    assert compose(docs).data == expected


def test_composing_leaves_the_documents_as_they_were():
    first = parse_yaml("fit: {epochs: 1, batch_size: 2}\n", "a.yaml")
    second = parse_yaml("fit: {epochs: 3}\n", "b.yaml")
    compose([first, second])
    assert first.data == {"fit": {"epochs": 1, "batch_size": 2}}
    assert second.data == {"fit": {"epochs": 3}}


# Each bad value is written in one of the two files; the error names that file, line and column.
@pytest.mark.parametrize(
    "base_text, second_text, blamed, needle, fragment",
    [
        pytest.param(
            BASE,
            "fit:\n  epochs: 0\n",
            "faster.yaml",
            "epochs",
            "fit.epochs: Input should be greater than 0",
            id="bad-value-in-second",
        ),
        pytest.param(
            BASE.replace("batch_size: 128", "batch_size: -1"),
            "fit:\n  epochs: 2\n",
            "base.yaml",
            "batch_size",
            "fit.batch_size: Input should be greater than 0",
            id="bad-value-in-first-of-a-merged-mapping",
        ),
        pytest.param(
            BASE,
            "fit:\n  epoch: 2\n",
            "faster.yaml",
            "epoch",
            "fit.epoch: unknown key 'epoch' (did you mean 'epochs'?)",
            id="misspelt-key",
        ),
        pytest.param(
            BASE,
            "model:\n  layers:\n    - Dense2: {units: 3}\n",
            "faster.yaml",
            "Dense2",
            "model.layers[0].Dense2: unknown layer 'Dense2'",
            id="replaced-list",
        ),
        pytest.param(
            BASE,
            "compile:\n  optimizer: {Adam: {learning_rate: 1e-3}}\n",
            "faster.yaml",
            "learning_rate",
            "learning_rate",
            id="spec-argument",
        ),
    ],
)
def test_errors_point_at_the_file_and_line_that_wrote_the_value(
    tmp_path, base_text, second_text, blamed, needle, fragment
):
    files = {"base.yaml": base_text, "faster.yaml": second_text}
    paths = [write(tmp_path, name, text) for name, text in files.items()]
    with pytest.raises(ConfigError) as caught:
        load_config(paths)
    lines = files[blamed].splitlines()
    line = next(number for number, text in enumerate(lines, 1) if needle in text)
    column = lines[line - 1].index(needle) + 1
    message = caught.value.format()
    assert message.startswith(f"{tmp_path / blamed}:{line}:{column}: "), message
    assert fragment in message, message


def test_a_merged_mapping_keeps_the_positions_of_both_files(tmp_path):
    doc = read_configs(
        [
            write(tmp_path, "a.yaml", "fit:\n  epochs: 1\n  batch_size: 2\n"),
            write(tmp_path, "b.yaml", "seed: 3\nfit:\n  epochs: 4\n"),
        ]
    )
    assert doc.where(("fit", "epochs")) == f"{tmp_path / 'b.yaml'}:3:3"
    assert doc.where(("fit", "batch_size")) == f"{tmp_path / 'a.yaml'}:3:3"
    assert doc.where(("seed",)) == f"{tmp_path / 'b.yaml'}:1:1"


def test_a_replaced_list_forgets_the_positions_of_the_first_file(tmp_path):
    doc = read_configs(
        [
            write(tmp_path, "a.yaml", "fit:\n  callbacks:\n    - A\n    - B\n    - C\n"),
            write(tmp_path, "b.yaml", "fit:\n  callbacks: [X]\n"),
        ]
    )
    assert doc.data["fit"]["callbacks"] == ["X"]
    # Item 2 exists only in a.yaml, whose list was replaced: the list itself is blamed.
    assert doc.where(("fit", "callbacks", 2)) == f"{tmp_path / 'b.yaml'}:2:3"
    assert doc.where(("fit", "callbacks", 0)) == f"{tmp_path / 'b.yaml'}:2:15"


def test_a_missing_second_file_is_named(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config([write(tmp_path, "base.yaml", BASE), tmp_path / "nope.yaml"])
    assert caught.value.format() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_a_missing_section_names_every_file(tmp_path):
    first = write(tmp_path, "a.yaml", "data: {source: mnist}\n")
    second = write(tmp_path, "b.yaml", "fit: {epochs: 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_config([first, second])
    assert caught.value.format().startswith(f"{first}, {second}: the config has no model section")
