"""TensorBoard event files of real tiny runs, read back with TensorBoard's own reader.

A classifier with `fit.tensorboard: true` and a GAN with a `TensorBoard` callback in its config
are each trained, then resumed for more epochs: their curves must continue, not restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.commands.test_gan import gan_config, only_run
from tests.conftest import tiny_config, write_config

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def events(log_dir: Path) -> EventAccumulator:
    """Every event file under `log_dir` (one per fit), as TensorBoard loads them."""
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def steps(accumulator: EventAccumulator, tag: str) -> list[int]:
    return [event.step for event in accumulator.Tensors(tag)]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> Path:
    """A two-epoch classifier with `fit.tensorboard: true`, resumed to three epochs."""
    tmp = tmp_path_factory.mktemp("tb")
    config = tiny_config(fit={"epochs": 2, "batch_size": 64, "tensorboard": True})
    config["data"]["limit"] = {"train": 300, "test": 50}
    path = write_config(tmp / "tiny.yaml", config)
    invoke("train", path, "-q", "--runs-dir", tmp / "runs")
    run = only_run(tmp / "runs")
    invoke("train", path, "-q", "--resume", run, "--set", "fit.epochs=3")
    return run


def test_train_and_validation_scalars_continue_after_a_resume(classifier):
    train = events(classifier / "tensorboard" / "train")
    validation = events(classifier / "tensorboard" / "validation")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train.Tags()["tensors"])
    assert {"epoch_loss", "epoch_accuracy"} <= set(validation.Tags()["tensors"])
    # Two fits wrote two event files; the resumed one goes on at epoch 3 (step 2).
    assert len(list((classifier / "tensorboard" / "train").glob("events.out.tfevents.*"))) == 2
    assert steps(train, "epoch_loss") == [0, 1, 2]
    assert steps(validation, "epoch_loss") == [0, 1, 2]


def test_tensorboard_writes_only_inside_the_run(classifier):
    assert not Path("logs").exists()
    assert (classifier / "tensorboard").is_dir()


@pytest.fixture(scope="module")
def gan(tmp_path_factory) -> Path:
    """A one-epoch GAN with `TensorBoard: {log_dir: tb, update_freq: batch}`, resumed to two."""
    tmp = tmp_path_factory.mktemp("tbgan")
    config = gan_config(
        fit={
            "epochs": 1,
            "batch_size": 64,
            "callbacks": [{"TensorBoard": {"log_dir": "tb", "update_freq": "batch"}}],
        }
    )
    path = write_config(tmp / "gan.yaml", config)
    invoke("gan", path, "-q", "--runs-dir", tmp / "runs")
    run = only_run(tmp / "runs")
    invoke("gan", path, "-q", "--resume", run, "--set", "fit.epochs=2")
    return run


def test_gan_losses_and_sample_grids_per_epoch(gan):
    train = events(gan / "tb" / "train")
    assert {"epoch_d_loss", "epoch_g_loss"} <= set(train.Tags()["tensors"])
    assert steps(train, "epoch_g_loss") == [0, 1]
    # tf.summary.image stores each grid as PNG-encoded strings: width, height, then the image.
    grids = train.Tensors("samples")
    assert [event.step for event in grids] == [0, 1]
    png = grids[-1].tensor_proto.string_val[2]
    assert png.startswith(b"\x89PNG")
    assert not (gan / "tensorboard").exists()  # the configured log_dir, nothing else


def test_gan_batch_steps_continue_after_a_resume(gan):
    # 128 images in batches of 64: two updates per epoch, numbered 1..4 across both fits.
    assert steps(events(gan / "tb" / "train"), "batch_d_loss") == [1, 2, 3, 4]
