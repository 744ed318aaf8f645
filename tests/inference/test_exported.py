"""`kerascli predict` through an exported model: no TensorFlow, the same answers and output as
the Keras path, and a one-line note when it must fall back to Keras."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.runs.saved import open_run
from tests.conftest import ROOT, train_tiny_run, write_digit_pngs

COUNT = 40
# Runs `kerascli predict` in a fresh interpreter, then fails if TensorFlow or Keras got imported.
# Runtimes named in KERASCLI_TEST_HIDE are made unimportable first (as if not installed).
DRIVER = """
import sys, os
for name in filter(None, os.environ.get("KERASCLI_TEST_HIDE", "").split(",")):
    sys.modules[name] = None
from kerascli.cli.main import app
try:
    app(sys.argv[1:], prog_name="kerascli")
except SystemExit as stop:
    code = stop.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"})
print("LOADED:" + ",".join(loaded), file=sys.stderr)
print("SCHEMA:" + str("kerascli.config.schema" in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def run_cli(*args, hide: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KERASCLI_TEST_HIDE": hide,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("KERASCLI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )


def loaded_modules(result) -> str:
    return [line for line in result.stderr.splitlines() if line.startswith("LOADED:")][-1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    run = train_tiny_run(tmp_path_factory.mktemp("exported"))
    result = CliRunner().invoke(app, ["export", str(run), "--format", "onnx,litert"])
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("digits") / "png"
    write_digit_pngs(folder, COUNT)
    return folder


@pytest.fixture(scope="module")
def keras_rows(run_dir, digits) -> list[dict]:
    """What the Keras path answers for the digits (`predict_files` never uses an export)."""
    from kerascli.commands.predict import predict_files

    report = predict_files([digits], open_run(run_dir), top_k=3)
    return [p.to_json() for p in report.predictions]


def assert_same_rows(rows: list[dict], expected: list[dict]) -> None:
    assert [row["file"] for row in rows] == [row["file"] for row in expected]
    for row, want in zip(rows, expected):
        assert [t["class"] for t in row["top_k"]] == [t["class"] for t in want["top_k"]]
        for got, wanted in zip(row["top_k"], want["top_k"]):
            assert abs(got["probability"] - wanted["probability"]) <= 2e-6


def test_predict_uses_the_onnx_export_without_tensorflow(run_dir, digits, keras_rows):
    result = run_cli("predict", digits, "--run", run_dir, "--json", "--top-k", "3")

    assert result.returncode == 0, result.stderr
    assert loaded_modules(result) == "LOADED:"
    # Nor the config's schema: building its pydantic models is a sixth of the start-up.
    assert "SCHEMA:False" in result.stderr
    assert "note:" not in result.stderr
    assert_same_rows([json.loads(line) for line in result.stdout.splitlines()], keras_rows)


def test_predict_uses_litert_when_onnxruntime_is_missing(run_dir, digits, keras_rows):
    result = run_cli(
        "predict", digits, "--run", run_dir, "--json", "--top-k", "3", hide="onnxruntime"
    )

    assert result.returncode == 0, result.stderr
    assert loaded_modules(result) == "LOADED:"
    assert_same_rows([json.loads(line) for line in result.stdout.splitlines()], keras_rows)


def test_table_output_is_the_keras_paths(run_dir, digits, monkeypatch):
    """The rich table, as a user reads it, from both paths: identical."""
    from kerascli.cli import reporting
    from kerascli.inference import formats

    monkeypatch.setattr(reporting.out, "width", 250)
    one = digits / "00000.png"
    exported = CliRunner().invoke(app, ["predict", str(one), "--run", str(run_dir)])
    for key, item in formats.FORMATS.items():  # as if no runtime were installed
        monkeypatch.setitem(formats.FORMATS, key, replace(item, package="no_such_runtime"))
    keras_path = CliRunner().invoke(app, ["predict", str(one), "--run", str(run_dir)])

    assert exported.exit_code == keras_path.exit_code == 0
    assert exported.stdout == keras_path.stdout
    assert "note: predicting with Keras: " in keras_path.stderr
    assert "note:" not in exported.stderr


def test_without_runtimes_predict_falls_back_to_keras_and_says_why_once(
    run_dir, digits, keras_rows
):
    result = run_cli(
        "predict",
        digits,
        "--run",
        run_dir,
        "--json",
        "--top-k",
        "3",
        hide="onnxruntime,ai_edge_litert",
    )

    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: predicting with Keras: onnxruntime or ai_edge_litert is not "
        "installed (pip install kerascli[onnx] or kerascli[litert])"
    ]
    assert loaded_modules(result) == "LOADED:keras,tensorflow"
    assert_same_rows([json.loads(line) for line in result.stdout.splitlines()], keras_rows)


def test_a_stale_export_is_not_used(run_dir, digits, tmp_path):
    """An export of an older model.keras (its digest differs) falls back to Keras, saying so."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".lock"))
    manifest = copy / "export" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["networks"]["model"]["source_sha256"] = "0" * 64
    manifest.write_text(json.dumps(data))

    result = run_cli("predict", digits / "00001.png", "--run", copy, "--json")

    assert result.returncode == 0, result.stderr
    assert (
        f"note: predicting with Keras: the export in {copy / 'export'} is older than "
        "model.keras" in result.stderr
    )
    assert loaded_modules(result) == "LOADED:keras,tensorflow"


def test_bad_files_are_reported_as_on_the_keras_path(run_dir, digits, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    result = run_cli(
        "predict",
        digits / "00002.png",
        tmp_path / "notes.png",
        tmp_path / "gone.png",
        "--run",
        run_dir,
        "--json",
    )

    assert result.returncode == 2
    assert loaded_modules(result) == "LOADED:"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'gone.png'}: no such file or directory",
        f"error: {tmp_path / 'notes.png'}: not a PNG, JPEG or BMP image (the "
        "content is not one of those formats)",
    ]
    assert len(result.stdout.splitlines()) == 1
