"""`kerascli runs` and `runs compare`, run as a user runs them (a process, a terminal width).

Two real tiny runs that differ in one layer's units and the epochs, and one run record written
by hand: an interrupted GAN run with a long name and long metric names, started earlier.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from tests.conftest import ROOT, train_tiny_run

LONG_NAME = "tiny_but_interrupted_with_a_rather_long_experiment_name-20200101T000000Z"


def kerascli(*args, columns: int = 200) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    env.pop("KERASCLI_RUNS", None)
    return subprocess.run(
        [sys.executable, "-m", "kerascli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("runs")
    first = train_tiny_run(base)  # units 32, one epoch, named tiny
    trained = kerascli(
        "train",
        base / "tiny.yaml",
        "-q",
        "--runs-dir",
        base / "runs",
        "--name",
        "other",
        "--set",
        "model.layers[1].Dense.units=16",
        "--set",
        "fit.epochs=2",
    )
    assert trained.returncode == 0, trained.stderr
    (second,) = (base / "runs").glob("other-*")
    fake = base / "runs" / LONG_NAME
    fake.mkdir()
    (fake / "run.json").write_text(
        json.dumps(
            {
                "name": LONG_NAME,
                "kind": "gan",
                "status": "interrupted",
                "epochs": 3,
                "started": "2020-01-01T00:00:00+00:00",
                "final_metrics": {"val_sparse_top_k_categorical_accuracy": 0.1234, "d_loss": 1.5},
            }
        )
    )
    return {"dir": base / "runs", "first": first, "second": second, "fake": fake}


def test_compare_shows_the_changed_keys_and_both_runs_metrics(runs, tmp_path):
    plot = tmp_path / "curves.png"
    result = kerascli(
        "runs", "compare", "tiny-", "latest", "--runs-dir", runs["dir"], "--plot", plot
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    lines = {
        line.split("│")[1].strip(): line for line in output.splitlines() if line.count("│") > 3
    }
    assert (
        "32" in lines["model.layers[1].Dense.units"]
        and "16" in lines["model.layers[1].Dense.units"]
    )
    assert lines["fit.epochs"].split("│")[2:4] != ["", ""] and "2" in lines["fit.epochs"]
    # The same in both (--name names the run, not the config).
    assert "name" not in lines and "compile.loss" not in lines
    for run in (runs["first"], runs["second"]):
        record = json.loads((run / "run.json").read_text())
        assert run.name in output
        assert f"{record['final_metrics']['test_accuracy']:.4f}" in lines["test_accuracy"]
    assert output.index(runs["first"].name) < output.index(runs["second"].name)  # as named
    assert f"wrote: {plot}" in output
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.size[0] >= 1000


@pytest.mark.parametrize(
    "named, message",
    [
        (["tiny"], "error: tiny: matches 2 runs: {long}, {first} (give more of the name)"),
        (
            ["nothing", "latest"],
            "error: nothing: no such run directory, and no run in {dir} is "
            "named so (kerascli runs lists them)",
        ),
        (
            ["latest", "other"],
            "error: latest other: names fewer than two different runs (name two "
            "or more runs to compare)",
        ),
    ],
)
def test_compare_names_runs_or_says_which_name_is_wrong(runs, named, message):
    result = kerascli("runs", "compare", *named, "--runs-dir", runs["dir"])
    assert result.returncode == 2
    assert result.stderr.strip() == message.format(
        first=runs["first"].name, long=LONG_NAME, dir=runs["dir"]
    )


def test_compare_by_path(runs):
    result = kerascli("runs", "compare", runs["first"], runs["second"])
    assert result.returncode == 0, result.stderr
    assert "model.layers[1].Dense.units" in result.stdout


def test_runs_table_at_80_columns_keeps_whole_words(runs):
    result = kerascli("runs", "--runs-dir", runs["dir"], columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    for word in (
        "completed",
        "interrupted",
        runs["first"].name,
        runs["second"].name,
        "0.1234",
        "status",
        "metrics",
    ):
        assert word in result.stdout, (word, result.stdout)
    # Folded, not cut: the long metric name is whole across the lines of its cell.
    last_cells = "".join(line.split("│")[-2].strip() for line in lines if line.count("│") > 2)
    assert "val_sparse_top_k_categorical_accuracy0.1234" in last_cells.replace(" ", "")
    # Oldest first: the hand-written run started in 2020.
    assert result.stdout.index("interrupted") < result.stdout.index("completed")


def test_runs_table_when_wide_shows_every_column(runs):
    result = kerascli("runs", "--runs-dir", runs["dir"], columns=200)
    for word in (
        "kind",
        "epochs",
        "started (UTC)",
        LONG_NAME,
        "val_sparse_top_k_categorical_accuracy 0.1234",
    ):
        assert word in result.stdout, (word, result.stdout)


def test_runs_json_for_scripts(runs):
    result = kerascli("runs", "--json", "--runs-dir", runs["dir"])
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [row["name"] for row in listed] == [LONG_NAME, runs["first"].name, runs["second"].name]
    second = listed[2]
    history = json.loads((runs["second"] / "history.json").read_text())
    assert second["status"] == "completed" and second["kind"] == "train" and second["epochs"] == 2
    best = min(history["val_loss"])
    assert second["best_metrics"]["val_loss"] == {
        "value": best,
        "epoch": history["val_loss"].index(best) + 1,
    }
    assert "learning_rate" not in second["best_metrics"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        (["--status", "completed"], ["first", "second"]),
        (["--status", "interrupted", "--status", "failed"], ["fake"]),
        (["--kind", "gan"], ["fake"]),
        (["--kind", "train", "--status", "interrupted"], []),
    ],
)
def test_runs_filters(runs, filters, expected):
    result = kerascli("runs", "--json", "--runs-dir", runs["dir"], *filters)
    assert result.returncode == 0, result.stderr
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names == [runs[key].name for key in expected]


def test_a_bad_filter_is_a_usage_error(runs):
    result = kerascli("runs", "--status", "done", "--runs-dir", runs["dir"])
    assert result.returncode == 2 and "done" in result.stderr
