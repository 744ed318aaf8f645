"""The tune section: every bad entry is one line naming it, before TensorFlow loads."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from kerascli.config.loading import load_config, load_sweep
from kerascli.config.tune import as_override
from kerascli.errors import ConfigError
from tests.conftest import ROOT, tiny_config, write_config

_LR = "compile.optimizer.learning_rate"
_UNITS = "model.layers[1].Dense.units"


def _sweep(tmp_path, space=None, **tune):
    config = tiny_config()
    config["tune"] = {"metric": "val_accuracy", "space": space or {_UNITS: [8]}, **tune}
    return write_config(tmp_path / "sweep.yaml", config)


def _message(error: ConfigError) -> str:
    """The message without the file:line:column it starts with (the table's lines vary)."""
    return re.sub(r"^\S+:\d+:\d+: ", "", error.format())


BAD = [
    (
        {"fit.batchsize": [32, 64]},
        {},
        "tune.space.fit.batchsize: choice 32: unknown key 'batchsize' (did you mean 'batch_size'?)",
    ),
    (
        {"model.layers[1].Dense.unitz": {"low": 8, "high": 16}},
        {},
        "tune.space.model.layers[1].Dense.unitz: Dense has no argument 'unitz' "
        "(did you mean 'units'?)",
    ),
    (
        {"model.layers[0].Dense.units": {"low": 8, "high": 16}},
        {},
        "tune.space.model.layers[0].Dense.units: model.layers[0] is a Flatten layer, not Dense",
    ),
    (
        {"model.layers[7].Dense.units": {"low": 8, "high": 16}},
        {},
        "tune.space.model.layers[7].Dense.units: low 8: model.layers[7]: no such list item",
    ),
    (
        {_UNITS: {"low": 32, "high": 16}},
        {},
        f"tune.space: {_UNITS}: low (32) is above high (16)",
    ),
    (
        {_LR: {"low": 0.0, "high": 0.1, "log": True}},
        {},
        f"tune.space: {_LR}: a log range needs low > 0, not 0.0",
    ),
    (
        {_LR: {"low": 0.001, "high": 0.1, "log": True, "step": 0.001}},
        {},
        f"tune.space: {_LR}: a float range takes log or step, not both",
    ),
    (
        {"fit.epochs": {"low": 1, "hi": 3}},
        {},
        "tune.space: fit.epochs: unknown key 'hi' (a range takes low, high, log and step)",
    ),
    (
        {"fit.epochs": {"low": 0, "high": 3}},
        {},
        "tune.space.fit.epochs: low 0: Input should be greater than 0",
    ),
    ({"fit.batch_size": []}, {}, "tune.space: fit.batch_size: a choice needs at least one value"),
    (
        {"fit.epochs": 5},
        {},
        "tune.space: fit.epochs: give a range {low, high} or a list of values, not int 5",
    ),
    ({"tune.trials": [2, 3]}, {}, "tune.space: tune.trials: the tune section cannot tune itself"),
    (
        None,
        {"sampler": "bayes"},
        "tune.sampler: Input should be 'tpe', 'random', 'grid' or 'cmaes'",
    ),
    (None, {"pruner": "asha"}, "tune.pruner: Input should be 'none', 'median' or 'hyperband'"),
    (None, {"trials": 0}, "tune.trials: Input should be greater than 0"),
    (None, {"max_failures": 0}, "tune.max_failures: Input should be greater than 0"),
    (None, {"direction": "up"}, "tune.direction: Input should be 'minimize' or 'maximize'"),
    (None, {"metrc": "loss"}, "tune.metrc: unknown key 'metrc' (did you mean 'metric'?)"),
    (
        {_LR: {"low": 0.001, "high": 0.1}},
        {"sampler": "grid"},
        f"tune: grid needs a step or a list of values for the float range {_LR}",
    ),
]


@pytest.mark.parametrize("space, tune, message", BAD)
def test_bad_tune_entries_are_one_line(tmp_path, space, tune, message):
    with pytest.raises(ConfigError) as raised:
        load_sweep(_sweep(tmp_path, space, **tune))
    assert _message(raised.value) == message


def test_a_config_without_tune_cannot_be_swept(tmp_path):
    path = write_config(tmp_path / "plain.yaml", tiny_config())
    with pytest.raises(ConfigError) as raised:
        load_sweep(path)
    assert raised.value.format() == (
        f"{path}: the config has no tune section (add tune: {{metric, trials, space: "
        "{KEY.PATH: {low, high}}}; see docs/sweeps.md)"
    )


def test_a_good_space_loads_and_train_ignores_the_section(tmp_path):
    space = {
        _LR: {"low": 1.0e-4, "high": 0.1, "log": True},
        _UNITS: {"low": 16, "high": 64, "step": 16},
        "model.layers[2].Dense.activation": ["softmax"],
        "fit.batch_size": [32, 64],
    }
    path = _sweep(tmp_path, space, sampler="cmaes", pruner="median")
    config = load_sweep(path)
    assert config.tune.space[_UNITS].integer and not config.tune.space[_LR].integer
    assert load_config(path).tune == config.tune  # train reads the section and leaves it be


@pytest.mark.parametrize("value", [0.001, 1.0e-05, 16, "relu", True, [28, 28, 1], {"a": 1}])
def test_values_go_through_set_unchanged(value):
    import yaml

    assert yaml.safe_load(f"value: {as_override(value)}")["value"] == value


def test_the_cli_refuses_a_bad_space_in_one_line_without_tensorflow(tmp_path):
    path = _sweep(tmp_path, {"fit.batchsize": [32]})
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kerascli.cli.main import app\n"
        f"result = CliRunner().invoke(app, ['tune', {str(path)!r}])\n"
        "print(result.exit_code, 'tensorflow' in sys.modules)\n"
        "print(result.output.strip())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    status, output = done.stdout.split("\n", 1)
    assert status == "2 False"
    assert output.strip().splitlines() == [
        "error: tune.space.fit.batchsize: choice 32: unknown key 'batchsize' "
        "(did you mean 'batch_size'?)"
    ]
