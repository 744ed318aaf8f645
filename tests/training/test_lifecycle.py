"""Resume, interruption, divergence and determinism, with real training processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import ROOT, tiny_config, write_config

runner = CliRunner()
CLI = [sys.executable, "-c", "from kerascli.cli.main import run; run()"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def history_of(run: Path) -> dict:
    return json.loads((run / "history.json").read_text())


def record_of(run: Path) -> dict:
    return json.loads((run / "run.json").read_text())


def the_run(runs_dir: Path) -> Path:
    (run,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run


def test_resume_continues_with_more_epochs(tmp_path, runs_dir):
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    assert invoke("train", config, "-q").exit_code == 0
    run = the_run(runs_dir)
    first = history_of(run)
    result = invoke("train", config, "-q", "--resume", run, "--set", "fit.epochs=4")
    assert result.exit_code == 0, result.output
    history = history_of(run)
    assert len(history["loss"]) == 4
    assert history["loss"][:2] == first["loss"][:2]  # earlier epochs kept, not retrained
    record = record_of(run)
    assert record["status"] == "completed" and record["epochs"] == 4 and record["resumed"]
    assert (run / "checkpoints" / "epoch_0004.keras").is_file()
    assert not (run / "checkpoints" / "epoch_0002.keras").exists()


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.layers[1].Dense.units=16", "model: differs from the run being resumed"),
        ("data.limit.train=1000", "data: differs from the run being resumed"),
    ],
)
def test_resume_refuses_a_changed_model_or_data(tmp_path, runs_dir, override, message):
    config = write_config(tmp_path / "tiny.yaml", tiny_config(fit={"epochs": 1, "batch_size": 64}))
    assert invoke("train", config, "-q").exit_code == 0
    run = the_run(runs_dir)
    before = (run / "history.json").read_bytes()
    result = invoke("train", config, "-q", "--resume", run, "--set", override)
    assert result.exit_code == 2 and message in result.output
    assert (run / "history.json").read_bytes() == before


def test_resume_of_a_missing_run_is_an_error(tmp_path, runs_dir):
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    result = invoke("train", config, "--resume", tmp_path / "nowhere")
    assert result.exit_code == 2 and "no such run directory" in result.output


def _start_training(tmp_path, runs_dir, epochs=400):
    data = tiny_config()["data"]
    data["limit"] = {"train": 3000, "test": 100}
    config = write_config(
        tmp_path / "long.yaml", tiny_config(data=data, fit={"epochs": epochs, "batch_size": 32})
    )
    env = {**os.environ, "KERASCLI_RUNS": str(runs_dir)}
    process = subprocess.Popen(
        [*CLI, "train", str(config), "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        states = list(runs_dir.glob("*/checkpoints/state.json"))
        if states and json.loads(states[0].read_text())["epoch"] >= 1:
            return process, config, states[0].parents[1]
        if process.poll() is not None:
            pytest.fail(f"training ended early: {process.communicate()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail("no checkpoint within 120 s")


def test_sigkill_then_resume_ends_with_the_whole_history(tmp_path, runs_dir):
    process, config, run = _start_training(tmp_path, runs_dir)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    done = json.loads((run / "checkpoints" / "state.json").read_text())["epoch"]
    assert record_of(run)["status"] == "running"  # killed: nobody could mark it
    target = done + 2
    result = invoke("train", config, "-q", "--resume", run, "--set", f"fit.epochs={target}")
    assert result.exit_code == 0, result.output
    assert len(history_of(run)["loss"]) == target
    assert record_of(run)["status"] == "completed"
    assert (run / "plots" / "loss.png").is_file()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_marks_the_run_and_exits_130(tmp_path, runs_dir, sig):
    process, _, run = _start_training(tmp_path, runs_dir)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and str(run.name) in stderr
    assert "Traceback" not in stderr
    assert record_of(run)["status"] == "interrupted"
    assert "status-interrupted" in (run / "report.html").read_text()  # the page says so too
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert (run / "checkpoints" / state["checkpoint"]).is_file()


def test_second_process_on_the_same_run_is_refused(tmp_path, runs_dir):
    process, config, run = _start_training(tmp_path, runs_dir)
    try:
        result = invoke("train", config, "-q", "--resume", run)
        assert result.exit_code == 2
        assert "another kerascli process is using this run" in result.output
    finally:
        process.kill()
        process.wait()


def test_nan_loss_fails_the_run_cleanly(tmp_path, runs_dir):
    config = tiny_config(
        compile={
            "optimizer": {"SGD": {"learning_rate": 1.0e12}},
            "loss": "categorical_crossentropy",
        }
    )
    result = invoke("train", write_config(tmp_path / "nan.yaml", config), "-q")
    assert result.exit_code == 1, result.output
    assert "NaN or infinite" in result.output and "Traceback" not in result.output
    # It diverges in the first epoch, so no checkpoint is promised.
    assert "no epoch finished cleanly" in result.output
    record = record_of(the_run(runs_dir))
    assert record["status"] == "failed"
    assert not (the_run(runs_dir) / "model.keras").exists()
    page = (the_run(runs_dir) / "report.html").read_text()
    assert "status-failed" in page and "NaN or infinite in epoch 1" in page


@pytest.mark.slow  # two whole runs compared: make test-all
def test_deterministic_runs_repeat_exactly(tmp_path, runs_dir):
    config = write_config(tmp_path / "det.yaml", tiny_config(deterministic=True))
    first = subprocess.run(
        [*CLI, "train", str(config), "-q", "--name", "a"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KERASCLI_RUNS": str(runs_dir)},
    )
    second = subprocess.run(
        [*CLI, "train", str(config), "-q", "--name", "b"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KERASCLI_RUNS": str(runs_dir)},
    )
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    (run_a,) = runs_dir.glob("a-*")
    (run_b,) = runs_dir.glob("b-*")
    assert history_of(run_a) == history_of(run_b)
