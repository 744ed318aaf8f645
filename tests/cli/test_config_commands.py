"""`kerascli config` and `kerascli schema` as a user runs them, and that they never load
TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.json_schema import config_schema
from kerascli.config.loading import load_config
from tests.config.test_loading import BASE

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
runner = CliRunner()

FASTER = "name: faster\nfit:\n  epochs: 1\ncompile:\n  optimizer: {Adam: {learning_rate: 0.01}}\n"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("sets", [[], ["fit.batch_size=7", "data.validation.split=0.2"]])
def test_config_round_trips_through_train_input(tmp_path, sets):
    files = [write(tmp_path / "base.yaml", BASE), write(tmp_path / "faster.yaml", FASTER)]
    overrides = [arg for value in sets for arg in ("--set", value)]
    result = invoke("config", *files, *overrides)
    assert result.exit_code == 0, result.output
    printed = write(tmp_path / "resolved.yaml", result.stdout)
    expected = load_config(files, sets)
    assert load_config(printed) == expected  # what train would run, unchanged
    assert result.stdout == expected.to_yaml()  # the same text a run saves as config.yaml
    again = invoke("config", printed)  # the printed YAML is itself input to config
    assert again.exit_code == 0, again.output
    assert again.stdout == result.stdout


def test_config_fills_in_the_defaults(tmp_path):
    result = invoke("config", write(tmp_path / "base.yaml", BASE))
    assert result.exit_code == 0, result.output
    for line in (
        "  shuffle: true\n",
        "  steps_per_execution: 1\n",
        "evaluate: {enabled: true}\n",
        "deterministic: false\n",
        "  input_shape: [28, 28, 1]\n",
    ):
        assert line in result.stdout


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_of_every_example(tmp_path, path):
    result = invoke("config", path)
    assert result.exit_code == 0, result.output
    assert load_config(write(tmp_path / "again.yaml", result.stdout), require="any") == load_config(
        path, require="any"
    )


def test_config_errors_are_one_line_pointing_into_the_second_file(tmp_path):
    base = write(tmp_path / "base.yaml", BASE)
    bad = write(tmp_path / "bad.yaml", "fit:\n  epochs: 5\n  batch_sise: 3\n")
    result = invoke("config", base, bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {bad}:3:3: fit.batch_sise: unknown key 'batch_sise' (did you mean 'batch_size'?)\n"
    )


def test_schema_prints_the_shipped_schema():
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == config_schema()
    assert result.stdout == (REPO / "schema" / "kerascli.schema.json").read_text(encoding="utf-8")


def test_schema_out_writes_the_file(tmp_path):
    target = tmp_path / "kerascli.schema.json"
    result = invoke("schema", "--out", target)
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == config_schema()
    assert f"wrote: {target}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary file left


def test_schema_out_into_a_missing_folder_is_one_line(tmp_path):
    result = invoke("schema", "--out", tmp_path / "nowhere" / "s.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'nowhere' / 's.json'}: cannot write: ")


# --------------------------------------------------------------------------------------------
# In a fresh interpreter: these answers never import TensorFlow or Keras


def test_help_schema_config_and_config_errors_never_import_tensorflow(tmp_path):
    good = write(tmp_path / "base.yaml", BASE)
    bad = write(tmp_path / "bad.yaml", "fit:\n  epoch: 5\n")
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kerascli.cli.main import app\n"
        "runner = CliRunner()\n"
        "for args, code in [(['--help'], 0), (['config', '--help'], 0), (['schema'], 0),\n"
        f"                   (['config', {str(good)!r}], 0), (['config', {str(good)!r}, "
        f"{str(bad)!r}], 2),\n"
        f"                   (['validate', {str(good)!r}, {str(bad)!r}], 2)]:\n"
        "    result = runner.invoke(app, args)\n"
        "    assert result.exit_code == code, (args, result.exit_code, result.output)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
