"""`--resume auto`: the same command again continues the newest unfinished run, or starts one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.runs.files import update_run_json
from kerascli.training.resume_auto import is_auto
from tests.conftest import tiny_config, write_config
from tests.training.test_lifecycle import history_of, record_of

runner = CliRunner()


def runs_of(runs_dir):
    return sorted(path for path in runs_dir.iterdir() if path.is_dir())


def train(config, *extra):
    result = runner.invoke(app, ["train", str(config), "--quiet", "--resume", "auto", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_same_command_continues_the_newest_unfinished_run(tmp_path, runs_dir):
    config = tiny_config()
    config["data"]["limit"] = {"train": 300, "test": 50}
    config["fit"] = {"epochs": 1, "batch_size": 64}
    config["evaluate"] = {"enabled": False}
    path = write_config(tmp_path / "tiny.yaml", config)

    said = train(path)
    assert f"--resume auto: no unfinished tiny run to continue in {runs_dir}; starting" in said
    (first,) = runs_of(runs_dir)
    train(path)  # the first is completed: a second run
    first, second = runs_of(runs_dir)
    # What a killed process leaves behind: `running`, with a checkpoint and no lock held.
    update_run_json(second, status="running")
    update_run_json(first, status="interrupted")

    said = train(path, "--set", "fit.epochs=2")
    assert f"--resume auto: continuing {second} from the end of epoch 1" in said
    assert runs_of(runs_dir) == [first, second]
    record = record_of(second)
    assert (record["status"], record["epochs"]) == ("completed", 2) and record["resumed"]
    assert len(history_of(second)["loss"]) == 2
    assert record_of(first)["status"] == "interrupted"

    # A changed network cannot continue an unfinished run: the next older one that fits, else
    # a new run.
    update_run_json(second, status="failed")
    said = train(path, "--set", "model.layers[1].Dense.units=16")
    assert "starting a new one" in said
    assert len(runs_of(runs_dir)) == 3

    said = train(path, "--set", "fit.epochs=2")  # back to the first network: the newest that fits
    assert f"--resume auto: continuing {second} from the end of epoch 2" in said
    assert len(history_of(second)["loss"]) == 2  # nothing left to train, nothing trained twice


def test_another_name_has_its_own_runs(tmp_path, runs_dir):
    config = tiny_config()
    config["data"]["limit"] = {"train": 300, "test": 50}
    config["fit"] = {"epochs": 1, "batch_size": 64}
    config["evaluate"] = {"enabled": False}
    path = write_config(tmp_path / "tiny.yaml", config)
    train(path)
    (run,) = runs_of(runs_dir)
    update_run_json(run, status="running")
    said = train(path, "--name", "other")
    assert "no unfinished other run to continue" in said
    assert record_of(run)["status"] == "running"


@pytest.mark.parametrize(("value", "auto"), [("auto", True), (None, False), ("runs/auto-1", False)])
def test_only_auto_is_auto(value, auto):
    assert is_auto(value) is auto
