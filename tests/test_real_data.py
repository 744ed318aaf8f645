"""Slow real-data checks (`make test-all`, or `pytest -m slow`): the tutorial config on the real
MNIST files, as the README's quick start trains it, then its export used without TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def kerascli(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "kerascli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("real") / "runs"
    result = kerascli(
        "train", "configs/mnist_cnn.yaml", "--set", "fit.epochs=1", "--quiet", "--runs-dir", runs
    )
    assert result.returncode == 0, result.stderr
    return next(runs.iterdir())


def test_the_tutorial_cnn_learns_real_mnist_in_one_epoch(mnist_run):
    evaluation = json.loads((mnist_run / "evaluation.json").read_text())
    assert evaluation["examples"] == 10_000
    assert evaluation["metrics"]["accuracy"] >= 0.97
    record = json.loads((mnist_run / "run.json").read_text())
    assert record["status"] == "completed" and record["train_examples"] == 54_000


def test_its_export_agrees_with_keras_on_the_real_test_digits(mnist_run):
    result = kerascli(
        "export", mnist_run, "--format", "onnx,litert", "--check", "--examples", "1000"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if "│ onnx" in line or "│ litert" in line]
    assert len(rows) == 2 and all("100.00%" in row and "yes" in row for row in rows)
