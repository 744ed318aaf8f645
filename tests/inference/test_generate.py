"""GAN runs: `export` writes the generator, and `sample` draws from it without TensorFlow, the
same images as through Keras for the same seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.commands.test_gan import gan_config, train_gan
from tests.conftest import ROOT
from tests.inference.test_exported import DRIVER

runner = CliRunner()


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory) -> Path:
    config = gan_config()
    config["fit"]["epochs"] = 1
    run = train_gan(tmp_path_factory.mktemp("gan"), config)
    result = runner.invoke(
        app, ["export", str(run), "--format", "onnx,litert", "--check", "--examples", "32"]
    )
    assert result.exit_code == 0, result.output
    return run


def sample_in_subprocess(run: Path, out: Path, hide: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KERASCLI_TEST_HIDE": hide,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            DRIVER,
            "sample",
            str(run),
            "-n",
            "16",
            "--seed",
            "7",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )


def test_export_writes_the_generator(gan_run):
    manifest = json.loads((gan_run / "export" / "manifest.json").read_text())
    entry = manifest["networks"]["generator"]
    assert set(manifest["networks"]) == {"generator"}
    assert entry["kind"] == "generator"
    assert entry["tensor"] == {"shape": [None, 8], "dtype": "float32"}
    assert entry["input"] == {"kind": "noise", "latent_dim": 8}
    assert entry["output"]["preprocess"]["range"] == [-1.0, 1.0]
    assert sorted(entry["formats"]) == ["litert", "onnx"]
    assert (gan_run / "export" / "generator.onnx").is_file()
    assert (gan_run / "export" / "generator.tflite").is_file()


def test_sample_uses_the_exported_generator_without_tensorflow(gan_run, tmp_path):
    exported = sample_in_subprocess(gan_run, tmp_path / "exported.png")
    through_keras = runner.invoke(
        app,
        ["sample", str(gan_run), "-n", "16", "--seed", "7", "--out", str(tmp_path / "keras.png")],
    )
    # The Keras path is what runs when the runtimes are missing; it says so once.
    fallback = sample_in_subprocess(
        gan_run, tmp_path / "fallback.png", hide="onnxruntime,ai_edge_litert"
    )

    assert exported.returncode == 0, exported.stderr
    assert "LOADED:\n" in exported.stderr + "\n"
    assert f"wrote: {tmp_path / 'exported.png'} (16 images)" in exported.stdout
    assert fallback.returncode == 0, fallback.stderr
    assert (
        "note: sampling with Keras: onnxruntime or ai_edge_litert is not installed"
        in fallback.stderr
    )
    assert "LOADED:keras,tensorflow" in fallback.stderr
    assert through_keras.exit_code == 0, through_keras.output
    grids = [
        np.asarray(Image.open(tmp_path / f"{name}.png"), dtype=np.int16)
        for name in ("exported", "keras", "fallback")
    ]
    assert grids[0].shape == grids[1].shape
    # Float rounding may move a pixel across a rounding boundary, never further.
    assert np.abs(grids[0] - grids[1]).max() <= 1
    assert np.abs(grids[1] - grids[2]).max() == 0
