"""A real MLflow tracking server for the tracking tests: SQLite behind, artifacts in a folder.

Started once per session on a free 127.0.0.1 port (bounded wait), stopped with its workers at
the end.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

STARTUP_SECONDS = 240  # a bound, not a timing: an idle machine takes about ten seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> str:
    """The URL of a running `mlflow server`."""
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow-server")
    url = f"http://127.0.0.1:{free_port()}"
    log = (root / "server.log").open("wb")
    command = [
        *(sys.executable, "-m", "mlflow", "server"),
        *("--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"),
        *("--artifacts-destination", str(root / "artifacts")),
        *("--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1], "--workers", "1"),
    ]
    # Its background job runner (for GenAI features) is a process more than the tests need.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    # A session of its own, so that its uvicorn worker is stopped with it.
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _up(url):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (root / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"mlflow server did not start: {tail}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(mlflow_server)


def history_csv(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """`history.csv` as `{key: [(epoch, value), ...]}`, empty cells left out."""
    path = run_dir / "history.csv"
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [key for key in (rows[0] if rows else {}) if key != "epoch"]
    return {
        key: [(int(row["epoch"]), float(row[key])) for row in rows if row[key] != ""]
        for key in keys
    }


def assert_metrics_equal_history(client, run_id: str, run_dir: Path) -> None:
    """Every key of `history.csv`, every epoch, is the MLflow run's metric at that step, exactly,
    and the run holds no other epoch metrics (test figures aside)."""
    expected = history_csv(run_dir)
    logged = set(client.get_run(run_id).data.metrics)
    assert {key for key in logged if not key.startswith("test_")} == set(expected)
    for key, points in expected.items():
        got = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
        assert got == points, key
