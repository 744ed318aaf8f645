"""`kerascli tune` as a user runs it: real trial processes on a slice of MNIST, tiny MLPs.

Each test starts the CLI in a process of its own (its trials are processes too), bounded in time,
and stops whatever it started.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, tiny_config, write_config

pytest.importorskip("optuna")

_LR = "compile.optimizer.learning_rate"
_UNITS = "model.layers[1].Dense.units"
_TIMEOUT = 600  # seconds for a whole sweep on a busy machine; they take far less when idle


def _config(tmp_path: Path, **tune) -> Path:
    config = tiny_config(name="tiny", seed=3, deterministic=True)
    config["data"]["limit"] = {"train": 400, "test": 50}
    config["fit"] = {"epochs": 1, "batch_size": 64}
    config["evaluate"] = {"enabled": False}
    config["tune"] = {
        "metric": "val_accuracy",
        "trials": 2,
        "sampler": "random",
        "space": {
            _LR: {"low": 1.0e-3, "high": 3.0e-2, "log": True},
            _UNITS: {"low": 8, "high": 32, "step": 8},
        },
        **tune,
    }
    return write_config(tmp_path / "sweep.yaml", config)


def _command(config: Path, runs: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "kerascli", "tune", str(config), "--runs-dir", str(runs), *more]


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")


def _tune(config: Path, runs: Path, *more: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(config, runs, *more),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        env=_env(),
        cwd=config.parent,
    )


def _start(config: Path, runs: Path, *more: str) -> subprocess.Popen:
    return subprocess.Popen(
        _command(config, runs, *more),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=config.parent,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def _sweep_dir(runs: Path) -> Path:
    (sweep,) = [path for path in runs.iterdir() if (path / "sweep.json").is_file()]
    return sweep


def _results(sweep: Path) -> list[dict]:
    with open(sweep / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for(check, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _running_trial(sweep_runs: Path):
    """A trial run directory whose run.json says running (training has begun)."""
    for run_json in sweep_runs.glob("*/trial-*/run.json"):
        if json.loads(run_json.read_text()).get("status") == "running":
            return run_json.parent
    return None


def _stopped(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def test_a_sweep_leaves_trials_results_and_a_best_config_that_retrains(tmp_path):
    runs = tmp_path / "runs"
    done = _tune(_config(tmp_path, trials=4), runs, "--workers", "2")
    assert done.returncode == 0, done.stderr
    sweep = _sweep_dir(runs)
    assert sweep.name.startswith("tiny-tune-")
    trials = sorted(sweep.glob("trial-*"))
    assert len(trials) == 4
    for number, trial in enumerate(trials):
        record = json.loads((trial / "run.json").read_text())
        assert record["status"] == "completed"
        assert record["trial"] == {"sweep_dir": str(sweep), "number": number}
    rows = _results(sweep)
    assert list(rows[0]) == ["number", "state", _LR, _UNITS, "value", "run"]
    assert [row["state"] for row in rows] == ["complete"] * 4
    assert sorted(row["run"] for row in rows) == [trial.name for trial in trials]
    best = max(rows, key=lambda row: float(row["value"]))
    assert f"best: trial {best['number']}, val_accuracy" in done.stdout
    page = (sweep / "sweep.html").read_text()
    assert page.count("<svg") >= 3 and 'src="http' not in page and "<script" not in page

    # best.yaml is the whole config with the best values; train retrains that trial.
    config = yaml.safe_load((sweep / "best.yaml").read_text())
    assert "tune" not in config
    assert config["model"]["layers"][1]["Dense"]["units"] == int(best[_UNITS])
    retrain = subprocess.run(
        [sys.executable, "-m", "kerascli", "train", str(sweep / "best.yaml")]
        + ["--runs-dir", str(tmp_path / "again"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        env=_env(),
    )
    assert retrain.returncode == 0, retrain.stderr
    (again,) = (tmp_path / "again").iterdir()
    history = json.loads((again / "history.json").read_text())
    assert max(history["val_accuracy"]) == pytest.approx(float(best["value"]), abs=1e-4)

    # `kerascli runs` lists the sweep with its best trial.
    listed = subprocess.run(
        [sys.executable, "-m", "kerascli", "runs", "--runs-dir", str(runs)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert sweep.name in listed.stdout and f"trial {best['number']}" in listed.stdout


@pytest.mark.slow  # a minute of trial processes: make test-all
def test_two_processes_on_one_storage_finish_exactly_the_budget(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    config = _config(tmp_path, trials=3)
    machines = [_start(config, tmp_path / f"host{i}", "--storage", storage) for i in range(2)]
    try:
        for machine in machines:
            machine.communicate(timeout=_TIMEOUT)
            assert machine.returncode == 0
    finally:
        for machine in machines:
            _stopped(machine)
    numbers = [
        json.loads(run_json.read_text())["trial"]["number"]
        for run_json in tmp_path.glob("host*/*/trial-*/run.json")
    ]
    assert sorted(numbers) == [0, 1, 2]  # every trial once, none twice, shared out
    for host in ("host0", "host1"):
        rows = _results(_sweep_dir(tmp_path / host))
        assert [row["state"] for row in rows] == ["complete"] * 3


def test_a_killed_trial_is_failed_and_the_sweep_goes_on(tmp_path):
    runs = tmp_path / "runs"
    config = _config(tmp_path, trials=2)
    config_data = yaml.safe_load(config.read_text())
    config_data["fit"]["epochs"] = 30  # long enough to be killed mid-training
    write_config(config, config_data)
    sweep = _start(config, runs)
    try:
        trial = _wait_for(lambda: _running_trial(runs), "a trial to start training")
        (worker,) = _wait_for(lambda: _children(sweep.pid), "the trial process")
        os.kill(worker, signal.SIGKILL)
        out, err = sweep.communicate(timeout=_TIMEOUT)
    finally:
        _stopped(sweep)
    assert sweep.returncode == 0, err
    record = json.loads((trial / "run.json").read_text())
    assert record["status"] == "failed" and "SIGKILL" in record["error"]
    rows = _results(_sweep_dir(runs))
    assert [row["state"] for row in rows] == ["failed", "complete"]


@pytest.mark.slow  # a minute of trial processes: make test-all
def test_ctrl_c_stops_the_sweep_and_the_same_command_resumes_it(tmp_path):
    runs = tmp_path / "runs"
    config = _config(tmp_path, trials=2)
    data = yaml.safe_load(config.read_text())
    data["fit"]["epochs"] = 20  # long enough to be stopped mid-training
    write_config(config, data)
    sweep = _start(config, runs)
    try:
        _wait_for(lambda: _running_trial(runs), "a trial to start training")
        os.killpg(sweep.pid, signal.SIGINT)
        out, err = sweep.communicate(timeout=_TIMEOUT)
    finally:
        _stopped(sweep)
    assert sweep.returncode == 130, err
    assert err.strip().splitlines()[-2:] == [
        f"interrupted: the sweep is saved in {_sweep_dir(runs)}",
        "resume it with the same command",
    ]
    assert json.loads((_sweep_dir(runs) / "sweep.json").read_text())["status"] == "interrupted"

    done = _tune(config, runs)
    assert done.returncode == 0, done.stderr
    sweep_dir = _sweep_dir(runs)  # the same sweep, resumed
    rows = _results(sweep_dir)
    assert [row["state"] for row in rows] == ["complete", "complete"]
    statuses = sorted(
        json.loads(path.read_text())["status"] for path in sweep_dir.glob("trial-*/run.json")
    )
    assert statuses == ["completed", "completed", "interrupted"]
    values = {(row[_LR], row[_UNITS]) for row in rows}
    assert len(values) == 2  # the resumed sampler does not draw its first point again


def test_failures_in_a_row_stop_the_sweep_with_one_line(tmp_path):
    runs = tmp_path / "runs"
    # Three outputs cannot fit ten one-hot classes: every trial fails once TensorFlow builds it.
    config = _config(tmp_path, trials=5, max_failures=2)
    data = yaml.safe_load(config.read_text())
    data["tune"]["space"] = {"model.layers[2].Dense.units": [3]}
    write_config(config, data)
    done = _tune(config, runs)
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith(
        f"error: {_sweep_dir(runs)}: 2 trials failed in a row; the last: trial 1:"
    )
    assert [row["state"] for row in _results(_sweep_dir(runs))] == ["failed", "failed"]
