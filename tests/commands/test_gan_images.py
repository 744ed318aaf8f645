"""`kerascli gan` on `source: images` (the DCGAN demo on a folder of photos), through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.colour_images import write_colour_folders
from tests.conftest import write_config

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def gan_config(photos) -> dict:
    """A DCGAN on 16x16 colour photos scaled to [-1, 1] for a tanh generator."""
    return {
        "name": "photogan",
        "seed": 2,
        "data": {
            "source": "images",
            "path": str(photos),
            "image_size": [16, 16],
            "preprocess": {"range": [-1, 1]},
        },
        "gan": {
            "latent_dim": 8,
            "samples": 9,
            "generator": [
                {"Dense": {"units": 128}},
                {"Reshape": {"target_shape": [4, 4, 8]}},
                {
                    "Conv2DTranspose": {
                        "filters": 8,
                        "kernel_size": 4,
                        "strides": 2,
                        "padding": "same",
                    }
                },
                "BatchNormalization",
                {"LeakyReLU": {"negative_slope": 0.2}},
                {
                    "Conv2DTranspose": {
                        "filters": 3,
                        "kernel_size": 4,
                        "strides": 2,
                        "padding": "same",
                        "activation": "tanh",
                    }
                },
            ],
            "discriminator": [
                {"Conv2D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}},
                {"LeakyReLU": {"negative_slope": 0.2}},
                "Flatten",
                {"Dense": {"units": 1}},
            ],
        },
        "fit": {"epochs": 2, "batch_size": 16},
    }


@pytest.mark.slow  # a GAN on images and its sampling: make test-all
def test_gan_trains_on_an_image_folder_and_samples_colour_images(tmp_path):
    photos = write_colour_folders(
        tmp_path / "photos", per_class={"train": 16}, size=20, seed=4
    )  # resized to 16x16 on reading
    result = invoke(
        "gan",
        write_config(tmp_path / "gan.yaml", gan_config(photos)),
        "-q",
        "--runs-dir",
        tmp_path / "runs",
    )
    assert result.exit_code == 0, result.output
    (run,) = list((tmp_path / "runs").iterdir())
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed" and record["epochs"] == 2
    history = json.loads((run / "history.json").read_text())
    assert len(history["d_loss"]) == 2 and all(np.isfinite(history["g_loss"]))
    for name in ("generator.keras", "discriminator.keras"):
        assert (run / name).is_file()
    with Image.open(sorted((run / "samples").glob("*.png"))[-1]) as grid:
        assert grid.mode == "RGB"  # three channels, as the photos

    out = tmp_path / "more.png"
    sampled = invoke("sample", run, "-n", 4, "--out", out)
    assert sampled.exit_code == 0, sampled.output
    with Image.open(out) as grid:
        pixels = np.asarray(grid.convert("RGB"), dtype=float)
    assert pixels.std() > 0  # the generator draws something, not a blank grid
