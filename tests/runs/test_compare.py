"""Config differences by dotted path, and finding a run by path, prefix or `latest`."""

from __future__ import annotations

import json

import pytest

from kerascli.errors import RunError
from kerascli.runs.compare import MISSING, config_differences, flatten
from kerascli.runs.records import find_run


def test_flatten_names_leaves_as_set_takes_them():
    config = {
        "fit": {"epochs": 2, "callbacks": []},
        "model": {"layers": ["Flatten", {"Dense": {"units": 32}}]},
    }
    assert flatten(config) == {
        "fit.epochs": 2,
        "fit.callbacks": [],
        "model.layers[0]": "Flatten",
        "model.layers[1].Dense.units": 32,
    }


@pytest.mark.parametrize(
    "configs, expected",
    [
        ([{"fit": {"epochs": 1}}, {"fit": {"epochs": 3}}], {"fit.epochs": [1, 3]}),
        ([{"a": 1}, {"a": 1}], {}),
        ([{"a": 1}, {"a": True}], {"a": [1, True]}),  # 1 == True, but not the same setting
        ([{"a": 1}, {}], {"a": [1, MISSING]}),
        ([{"l": [1, 2]}, {"l": [1, 2, 3]}, {"l": [1, 2]}], {"l[2]": [MISSING, 3, MISSING]}),
    ],
)
def test_config_differences(configs, expected):
    assert config_differences(configs) == expected


@pytest.fixture
def runs_dir(tmp_path):
    for name, started in [
        ("mnist-1", "2026-01-01T00:00:00"),
        ("mnist-2", "2026-01-02T00:00:00"),
        ("gan-1", "2025-01-01T00:00:00"),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(json.dumps({"started": started}))
    return tmp_path


@pytest.mark.parametrize(
    "named, found",
    [
        ("latest", "mnist-2"),
        ("gan", "gan-1"),
        ("mnist-1", "mnist-1"),
        ("mnist-2", "mnist-2"),
    ],
)
def test_find_run(runs_dir, named, found):
    assert find_run(runs_dir, named) == runs_dir / found


def test_find_run_by_path_outside_the_runs_dir(runs_dir, tmp_path_factory):
    assert find_run(tmp_path_factory.mktemp("other"), str(runs_dir / "gan-1")) == runs_dir / "gan-1"


@pytest.mark.parametrize(
    "named, message",
    [
        ("mnist", "matches 2 runs: mnist-1, mnist-2"),
        ("cifar", "no such run directory, and no run in {dir} is named so"),
    ],
)
def test_find_run_refuses(runs_dir, named, message):
    with pytest.raises(RunError) as raised:
        find_run(runs_dir, named)
    assert raised.value.where == named and raised.value.what == message.format(dir=runs_dir)


def test_latest_of_nothing(tmp_path):
    with pytest.raises(RunError, match="has no runs"):
        find_run(tmp_path / "none", "latest")
