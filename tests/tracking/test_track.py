"""End to end against a real `mlflow server`: runs trained through the CLI, read back with
`MlflowClient` (params, metrics equal to history.csv, tags, artifacts, status)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import ROOT, tiny_config, write_config
from tests.tracking.conftest import assert_metrics_equal_history, free_port

pytest.importorskip("mlflow")

runner = CliRunner()
CLI = [sys.executable, "-c", "from kerascli.cli.main import run; run()"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def record_of(run: Path) -> dict:
    return json.loads((run / "run.json").read_text())


def the_run(runs_dir: Path) -> Path:
    (run,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run


def tracked_config(tmp_path: Path, uri: str, **sections) -> tuple[Path, str]:
    """A tiny MNIST config tracked in its own experiment; returns its file and experiment."""
    experiment = f"test-{uuid.uuid4().hex[:8]}"
    config = tiny_config(**sections)
    config["data"]["limit"] = {"train": 600, "test": 100}
    config["track"] = {"mlflow": {"uri": uri, "experiment": experiment}}
    return write_config(tmp_path / "tiny.yaml", config), experiment


def mlflow_run(client, run: Path):
    return client.get_run(record_of(run)["tracking"]["run_id"])


def test_a_completed_run_is_one_mlflow_run_nested_in_the_callers(
    tmp_path, runs_dir, mlflow_server, client, monkeypatch
):
    import mlflow

    config, experiment = tracked_config(tmp_path, mlflow_server)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    parent_experiment = client.create_experiment(f"parent-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run(experiment_id=parent_experiment) as parent:
        result = invoke("train", config, "-q")
        assert result.exit_code == 0, result.output
        # kerascli never ends (nor replaces) the caller's active run.
        assert mlflow.active_run().info.run_id == parent.info.run_id
    assert "warning" not in result.output
    run = the_run(runs_dir)
    tracking = record_of(run)["tracking"]
    found = client.get_run(tracking["run_id"])
    assert found.info.status == "FINISHED"
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"  # ended by its owner
    assert client.get_experiment(found.info.experiment_id).name == experiment
    assert tracking == {
        "run_id": found.info.run_id,
        "experiment_id": found.info.experiment_id,
        "uri": mlflow_server,
        "url": f"{mlflow_server}/#/experiments/{found.info.experiment_id}/runs/{found.info.run_id}",
    }
    tags = found.data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    assert tags["mlflow.runName"] == run.name
    assert tags["kerascli.status"] == "completed" and tags["kerascli.kind"] == "train"
    assert tags["kerascli.run_dir"] == str(run.resolve())
    assert tags["kerascli.distribute"] == "none" and "CPU" in tags["kerascli.device"]
    assert tags["kerascli.version"] == record_of(run)["versions"]["kerascli"]
    params = found.data.params
    assert params["fit.epochs"] == "2" and params["compile.optimizer"] == "adam"
    assert params["model.layers.1.Dense.units"] == "32"  # [1] written .1 (MLflow's key rules)
    assert params["data.preprocess.reshape.2"] == "1"
    assert params["track.mlflow.experiment"] == experiment
    assert_metrics_equal_history(client, found.info.run_id, run)
    final = record_of(run)["final_metrics"]
    assert found.data.metrics["test_accuracy"] == final["test_accuracy"]
    top = {item.path for item in client.list_artifacts(found.info.run_id)}
    assert {"config.yaml", "run.json", "report.html", "history.csv", "plots", "model"} <= top
    plots = {item.path for item in client.list_artifacts(found.info.run_id, "plots")}
    assert {"plots/loss.png", "plots/accuracy.png"} <= plots
    models = [item.path for item in client.list_artifacts(found.info.run_id, "model")]
    assert models == ["model/model.keras"]
    # The link is where people look: `kerascli runs` (and its JSON) and the report.
    listing = invoke("runs")
    assert f"mlflow: {run.name}: {tracking['url']}" in listing.output
    assert json.loads(invoke("runs", "--json").output)[0]["tracking"] == tracking
    assert f'href="{tracking["url"]}"' in (run / "report.html").read_text()
    # An export (kerascli export's files) joins the same MLflow run.
    from kerascli.tracking.track import log_export

    (run / "export").mkdir()
    (run / "export" / "model.onnx").write_bytes(b"onnx bytes")
    log_export(run, [run / "export" / "model.onnx"])
    exported = [item.path for item in client.list_artifacts(found.info.run_id, "export")]
    assert exported == ["export/model.onnx"]


def test_a_diverged_run_ends_failed(tmp_path, runs_dir, mlflow_server, client):
    config, _ = tracked_config(
        tmp_path,
        mlflow_server,
        compile={"optimizer": {"SGD": {"learning_rate": 1.0e30}}, "loss": "mse"},
    )
    result = invoke("train", config, "-q")
    assert result.exit_code == 1 and "NaN or infinite" in result.output, result.output
    run = the_run(runs_dir)
    found = mlflow_run(client, run)
    assert found.info.status == "FAILED"
    assert found.data.tags["kerascli.status"] == "failed"
    assert "NaN or infinite" in found.data.tags["kerascli.error"]
    assert_metrics_equal_history(client, found.info.run_id, run)
    top = {item.path for item in client.list_artifacts(found.info.run_id)}
    assert {"config.yaml", "run.json", "report.html"} <= top and "model" not in top


def _start_training(tmp_path: Path, runs_dir: Path, config: Path):
    env = {**os.environ, "KERASCLI_RUNS": str(runs_dir)}
    process = subprocess.Popen(
        [*CLI, "train", str(config), "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        states = list(runs_dir.glob("*/checkpoints/state.json"))
        if states and json.loads(states[0].read_text())["epoch"] >= 1:
            return process, states[0].parents[1]
        if process.poll() is not None:
            pytest.fail(f"training ended early: {process.communicate()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail("no checkpoint within 180 s")


def test_an_interrupted_run_ends_killed_and_resume_continues_it(
    tmp_path, runs_dir, mlflow_server, client
):
    config, _ = tracked_config(tmp_path, mlflow_server, fit={"epochs": 400, "batch_size": 16})
    process, run = _start_training(tmp_path, runs_dir, config)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "warning" not in stderr and "Traceback" not in stderr
    found = mlflow_run(client, run)
    assert found.info.status == "KILLED"
    assert found.data.tags["kerascli.status"] == "interrupted"
    assert_metrics_equal_history(client, found.info.run_id, run)
    done = record_of(run)["epochs"]
    result = invoke("train", config, "-q", "--resume", run, "--set", f"fit.epochs={done + 1}")
    assert result.exit_code == 0, result.output
    resumed = mlflow_run(client, run)
    assert resumed.info.run_id == found.info.run_id  # the same MLflow run, continued
    assert resumed.info.status == "FINISHED"
    assert_metrics_equal_history(client, found.info.run_id, run)  # every epoch once
    assert len(client.get_metric_history(found.info.run_id, "loss")) == done + 1
    assert len(client.search_runs([found.info.experiment_id])) == 1


def test_a_dead_server_warns_twice_and_the_run_completes(tmp_path, runs_dir):
    dead = f"http://127.0.0.1:{free_port()}"
    config, _ = tracked_config(tmp_path, dead)
    result = invoke("train", config, "-q")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.output
    assert warnings[0].startswith(f"warning: mlflow: cannot start tracking at {dead} (")
    assert "training goes on" in warnings[0]
    assert warnings[1].startswith(
        f"warning: mlflow: not sent to {dead}: params, metrics, artifacts"
    )
    run = the_run(runs_dir)
    assert str(run) in warnings[1]
    record = record_of(run)
    assert record["status"] == "completed" and "tracking" not in record
    for name in ("config.yaml", "history.csv", "model.keras", "report.html", "plots/loss.png"):
        assert (run / name).is_file(), name


def test_nothing_is_tracked_unless_asked(tmp_path, runs_dir, mlflow_server, client, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)  # MLflow set up, and installed
    config = tiny_config(name=f"untracked-{uuid.uuid4().hex[:8]}")
    config["data"]["limit"] = {"train": 300, "test": 50}
    config["fit"] = {"epochs": 1, "batch_size": 64}
    result = invoke("train", write_config(tmp_path / "tiny.yaml", config), "-q")
    assert result.exit_code == 0, result.output
    assert "tracking" not in record_of(the_run(runs_dir))
    assert client.get_experiment_by_name(config["name"]) is None
    assert "mlflow" not in invoke("runs").output


def test_track_option_without_mlflow_installed_is_one_line(tmp_path, runs_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    result = invoke("train", config, "--track", "mlflow")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: track.mlflow: MLflow is not installed (pip install 'kerascli[mlflow]')"
    )
    assert not runs_dir.exists() or not list(runs_dir.iterdir())


def test_a_gan_run_with_the_track_option_goes_to_mlflow_tracking_uri(
    tmp_path, runs_dir, mlflow_server, client, monkeypatch
):
    from tests.commands.test_gan import gan_config

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    name = f"tgan-{uuid.uuid4().hex[:8]}"
    config = write_config(tmp_path / "gan.yaml", gan_config(name=name))
    result = invoke("gan", config, "-q", "--track", "mlflow")
    assert result.exit_code == 0, result.output
    run = the_run(runs_dir)
    found = mlflow_run(client, run)
    assert client.get_experiment(found.info.experiment_id).name == name  # the config's name
    assert found.info.status == "FINISHED" and found.data.tags["kerascli.kind"] == "gan"
    assert found.data.params["track.mlflow"] == "{}"  # what --track wrote into config.yaml
    assert_metrics_equal_history(client, found.info.run_id, run)
    models = {item.path for item in client.list_artifacts(found.info.run_id, "model")}
    assert models == {"model/generator.keras", "model/discriminator.keras"}
    samples = [item.path for item in client.list_artifacts(found.info.run_id, "samples")]
    assert samples == ["samples/progress.gif"]
