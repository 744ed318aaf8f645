"""End-to-end: `kerascli gan` and `kerascli sample` through the CLI, on a real MNIST slice.

Tiny networks (8 noise numbers, a Dense+Reshape+Conv2DTranspose generator, a one-Conv2D
discriminator) on 128 images: each run takes seconds, and runs that several tests read are
module-scoped fixtures. Signals need a real process, so those tests start `python -m kerascli`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.loading import load_config
from tests.conftest import MNIST_DIR, ROOT, tiny_config, write_config
from tests.training.test_lifecycle import history_of, record_of

runner = CliRunner()
SAMPLES = 16  # the per-epoch grid: 4x4 tiles


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def gan_config(**changes) -> dict:
    """A GAN on 128 real MNIST digits in [-1, 1], small enough to train an epoch in a second."""
    mnist = {
        "images": str(MNIST_DIR / "t10k-images-idx3-ubyte.gz"),
        "labels": str(MNIST_DIR / "t10k-labels-idx1-ubyte.gz"),
    }
    config = {
        "name": "tgan",
        "seed": 3,
        "data": {
            "source": "idx",
            "train": dict(mnist),
            "test": dict(mnist),
            "limit": {"train": 128, "test": 128},
            "preprocess": {"reshape": [28, 28, 1], "range": [-1, 1]},
        },
        "gan": {
            "latent_dim": 8,
            "samples": SAMPLES,
            "generator": [
                {"Dense": {"units": 98}},
                {"LeakyReLU": {"negative_slope": 0.2}},
                {"Reshape": {"target_shape": [7, 7, 2]}},
                {
                    "Conv2DTranspose": {
                        "filters": 1,
                        "kernel_size": 4,
                        "strides": 4,
                        "padding": "same",
                        "activation": "tanh",
                    }
                },
            ],
            "discriminator": [
                {"Conv2D": {"filters": 2, "kernel_size": 3, "strides": 2}},
                {"LeakyReLU": {"negative_slope": 0.2}},
                "Flatten",
                {"Dense": {"units": 1}},
            ],
        },
        "fit": {"epochs": 2, "batch_size": 64},
    }
    for dotted, value in changes.items():
        node = config
        *parents, last = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = copy.deepcopy(value)
    return config


def grid_size(count: int, side: int = 56) -> tuple[int, int]:
    """(width, height) of a sample grid: 28x28 digits are drawn 56x56 with 2-pixel gaps."""
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    return columns * (side + 2) + 2, rows * (side + 2) + 2


def only_run(runs_dir: Path) -> Path:
    found = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert len(found) == 1, found
    return found[0]


def assert_empty(runs_dir: Path) -> None:
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), list(runs_dir.iterdir())


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def assert_one_error(result, fragment: str) -> None:
    """Exit 2 and exactly one line of output: `error: ...` containing `fragment`."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert fragment in lines[0], result.output


def optimizer_steps(path: Path) -> int:
    """How many updates a saved network's optimizer has made."""
    import keras

    return int(keras.saving.load_model(path, safe_mode=True).optimizer.iterations)


def gif_frames(path: Path) -> int:
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        return gif.n_frames


def train_gan(tmp, config: dict) -> Path:
    """Runs `kerascli gan` on a config in a fresh runs directory; returns the run directory."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = write_config(tmp / "gan.yaml", config)
    result = invoke("gan", path, "-q", "--runs-dir", tmp / "runs")
    assert result.exit_code == 0, result.output
    run = only_run(tmp / "runs")
    assert f"run: {run}" in result.output and f"samples: {run / 'samples'}" in result.output
    assert "last epoch:" in result.output and "d_loss" in result.output
    return run


# ------------------------------------------------------------------------------ shared runs


@pytest.fixture(scope="module")
def bce_run(tmp_path_factory) -> Path:
    """A completed two-epoch DCGAN (bce) run."""
    return train_gan(tmp_path_factory.mktemp("bce"), gan_config())


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory) -> Path:
    """A completed one-epoch MNIST classifier (Flatten, Dense softmax) made by `kerascli train`."""
    tmp = tmp_path_factory.mktemp("classifier")
    config = tiny_config(
        model={
            "input_shape": [28, 28, 1],
            "layers": ["Flatten", {"Dense": {"units": 10, "activation": "softmax"}}],
        },
        fit={"epochs": 1, "batch_size": 64},
        evaluate={"enabled": False},
    )
    config["data"]["limit"] = {"train": 512, "test": 128}
    del config["data"]["validation"]
    path = write_config(tmp / "classifier.yaml", config)
    result = invoke("train", path, "-q", "--runs-dir", tmp / "runs")
    assert result.exit_code == 0, result.output
    return only_run(tmp / "runs")


# ------------------------------------------------------------------------------ (1) a bce run


def test_bce_run_leaves_every_output(bce_run):
    run = bce_run
    assert run.name.startswith("tgan-")
    for name in (
        "config.yaml",
        "run.json",
        "generator.keras",
        "discriminator.keras",
        "history.json",
        "history.csv",
        "plots/losses.png",
        "plots/d_loss.png",
        "plots/g_loss.png",
        "samples/epoch_001.png",
        "samples/epoch_002.png",
        "samples/progress.gif",
        "checkpoints/state.json",
    ):
        assert (run / name).is_file(), name
    assert not (run / "model.keras").exists()
    assert not (run / "samples" / "epoch_003.png").exists()
    assert not list(run.rglob("*.tmp*"))

    record = record_of(run)
    assert record["status"] == "completed" and record["kind"] == "gan"
    assert record["epochs"] == 2 and record["seed"] == 3 and record["train_examples"] == 128
    assert {"d_loss", "g_loss"} <= set(record["final_metrics"])

    history = history_of(run)
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history)
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert len(history[key]) == 2 and all(math.isfinite(v) for v in history[key]), key
    assert all(0 <= v <= 1 for v in history["d_real"] + history["d_fake"])
    csv_lines = (run / "history.csv").read_text().splitlines()
    assert len(csv_lines) == 3 and {"epoch", "d_loss", "g_loss"} <= set(csv_lines[0].split(","))

    for epoch in (1, 2):
        with Image.open(run / "samples" / f"epoch_{epoch:03d}.png") as image:
            assert image.format == "PNG" and image.mode == "L"
            assert image.size == grid_size(SAMPLES)
    assert gif_frames(run / "samples" / "progress.gif") == 2
    for plot in ("losses", "d_loss", "g_loss"):
        with Image.open(run / "plots" / f"{plot}.png") as image:
            assert image.format == "PNG" and image.size[0] > 300

    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 2 and set(state["checkpoints"]) == {"generator", "discriminator"}
    for name in state["checkpoints"].values():
        assert (run / "checkpoints" / name).is_file()
    # 128 images in batches of 64, 2 epochs: 4 updates of each network, saved with its optimizer.
    assert optimizer_steps(run / "generator.keras") == 4
    assert optimizer_steps(run / "discriminator.keras") == 4
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["gan"]["latent_dim"] == 8 and "model" not in saved


def test_generator_makes_images_in_the_data_range(bce_run):
    import keras
    import numpy as np

    generator = keras.saving.load_model(bce_run / "generator.keras", safe_mode=True)
    images = generator.predict(np.zeros((2, 8), np.float32), verbose=0)
    assert images.shape == (2, 28, 28, 1)
    assert -1 <= images.min() and images.max() <= 1


def test_runs_lists_the_gan_run(bce_run):
    result = invoke("runs", "--runs-dir", bce_run.parent)
    assert result.exit_code == 0, result.output
    assert bce_run.name in result.output and "gan" in result.output
    assert "completed" in result.output


# ------------------------------------------------------------------------------ (2) wgan-gp


def test_critic_steps_default_to_five_for_wgan_gp_only(tmp_path):
    def critic_steps(**changes):
        path = write_config(tmp_path / "c.yaml", gan_config(**changes))
        return load_config(path, require="gan").gan.critic_steps

    assert critic_steps() == 1
    assert critic_steps(gan__loss="wgan-gp") == 5
    assert critic_steps(gan__loss="wgan-gp", gan__discriminator_steps=2) == 2
    assert critic_steps(gan__discriminator_steps=3) == 3


def test_wgan_gp_run_with_two_critic_steps(tmp_path):
    steps = 2
    run = train_gan(
        tmp_path,
        gan_config(
            gan__loss="wgan-gp",
            gan__gradient_penalty=5.0,
            gan__discriminator_steps=steps,
            fit__epochs=1,
        ),
    )
    assert record_of(run)["status"] == "completed"
    history = history_of(run)
    assert {"d_loss", "g_loss", "wasserstein", "gradient_penalty"} <= set(history)
    assert not {"d_real", "d_fake"} & set(history)
    assert all(len(v) == 1 and math.isfinite(v[0]) for v in history.values())
    assert history["gradient_penalty"][0] >= 0
    # Two generator updates (two batches); the critic makes `steps` per update.
    assert optimizer_steps(run / "generator.keras") == 2
    assert optimizer_steps(run / "discriminator.keras") == 2 * steps


# ------------------------------------------------------------------------------ (3, 4) resume


@pytest.fixture(scope="module")
def resumed_run(tmp_path_factory):
    """A one-epoch run with label smoothing and instance noise, then resumed to two epochs.

    Returns:
        `(run_dir, history after the first epoch, gif frames after the first epoch)`.
    """
    tmp = tmp_path_factory.mktemp("resumed")
    run = train_gan(
        tmp, gan_config(gan__label_smoothing=0.2, gan__instance_noise=0.1, fit__epochs=1)
    )
    first, frames = history_of(run), gif_frames(run / "samples" / "progress.gif")
    result = invoke("gan", tmp / "gan.yaml", "-q", "--resume", run, "--set", "fit.epochs=2")
    assert result.exit_code == 0, result.output
    assert only_run(tmp / "runs") == run  # no new run directory
    return run, first, frames


def test_label_smoothing_and_instance_noise_are_trained_with(resumed_run):
    run, first, _ = resumed_run
    saved = yaml.safe_load((run / "config.yaml").read_text())["gan"]
    assert saved["label_smoothing"] == 0.2 and saved["instance_noise"] == 0.1
    assert all(math.isfinite(v) for values in history_of(run).values() for v in values)
    assert set(first) >= {"d_loss", "g_loss", "d_real", "d_fake"}


def test_resume_continues_the_history_samples_and_optimizers(resumed_run):
    run, first, first_frames = resumed_run
    assert len(first["d_loss"]) == 1 and first_frames == 1
    history = history_of(run)
    assert all(len(values) == 2 for values in history.values()), history
    assert history["d_loss"][0] == first["d_loss"][0]  # the first epoch is kept, not retrained
    assert sorted(p.name for p in (run / "samples").glob("epoch_*.png")) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    assert gif_frames(run / "samples" / "progress.gif") == 2
    record = record_of(run)
    assert record["status"] == "completed" and record["epochs"] == 2 and record["resumed"]
    checkpoints = sorted(p.name for p in (run / "checkpoints").glob("*.keras"))
    assert checkpoints == ["epoch_0002.discriminator.keras", "epoch_0002.generator.keras"]
    # The optimizers continued from their saved state: 2 + 2 updates, not 2 after a restart.
    assert optimizer_steps(run / "generator.keras") == 4
    assert optimizer_steps(run / "discriminator.keras") == 4
    assert len((run / "history.csv").read_text().splitlines()) == 3


@pytest.mark.parametrize(
    "override, section",
    [
        ("gan.latent_dim=9", "gan"),
        ("gan.loss=wgan-gp", "gan"),
        ("gan.generator[0].Dense.units=49", "gan"),
        ("data.limit.train=64", "data"),
    ],
)
def test_resume_with_a_changed_gan_or_data_section_is_refused(bce_run, tmp_path, override, section):
    before = {name: (bce_run / name).read_bytes() for name in ("history.json", "run.json")}
    config = write_config(tmp_path / "gan.yaml", gan_config())
    result = invoke("gan", config, "-q", "--resume", bce_run, "--set", override)
    assert_one_error(result, f"{section}: differs from the run being resumed")
    assert {name: (bce_run / name).read_bytes() for name in before} == before


def test_resume_refuses_the_other_kind_of_run(bce_run, classifier_run, tmp_path):
    gan_yaml = write_config(tmp_path / "gan.yaml", gan_config())
    train_yaml = classifier_run / "config.yaml"
    before = (classifier_run / "run.json").read_bytes()
    result = invoke("gan", gan_yaml, "-q", "--resume", classifier_run)
    assert_one_error(result, "is not a GAN run")
    assert (classifier_run / "run.json").read_bytes() == before
    result = invoke("train", train_yaml, "-q", "--resume", bce_run)
    assert_one_error(result, "this is a GAN run")
    assert "kerascli gan" in result.output
    assert record_of(bce_run)["status"] == "completed"


# ------------------------------------------------------------------------------ (5, 6) signals


def _start_gan(tmp: Path):
    """Starts a long `python -m kerascli gan` (400 epochs) in its own runs directory."""
    config = write_config(tmp / "long.yaml", gan_config(fit={"epochs": 400, "batch_size": 32}))
    env = {**os.environ, "KERASCLI_RUNS": str(tmp / "runs")}
    process = subprocess.Popen(
        [sys.executable, "-m", "kerascli", "gan", str(config), "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, config, tmp / "runs"


@pytest.fixture(scope="module")
def live_gans(tmp_path_factory):
    """Two GAN processes, started together (TensorFlow loads in both at once), each paused with
    SIGSTOP once its first epoch is checkpointed, so that it burns no CPU until its test signals
    it: `{"kill": ..., "interrupt": ...}` of `(process, config, run_dir)`. A paused process still
    holds its run's lock. Whatever a test leaves running is killed afterwards."""
    started = {key: _start_gan(tmp_path_factory.mktemp(key)) for key in ("kill", "interrupt")}
    ready = {}
    try:
        deadline = time.time() + 180
        while len(ready) < len(started) and time.time() < deadline:
            for key, (process, config, runs_dir) in started.items():
                states = list(runs_dir.glob("*/checkpoints/state.json"))
                if key not in ready and states and json.loads(states[0].read_text())["epoch"] >= 1:
                    process.send_signal(signal.SIGSTOP)
                    ready[key] = (process, config, states[0].parents[1])
                elif key not in ready and process.poll() is not None:
                    _, stderr = process.communicate()
                    pytest.fail(
                        f"the GAN run ended early (exit {process.returncode}): {stderr[-3000:]}"
                    )
            time.sleep(0.2)
        if len(ready) < len(started):
            pytest.fail("no GAN checkpoint within 180 s")
        yield ready
    finally:
        for process, _, _ in started.values():
            if process.poll() is None:
                process.kill()
            process.communicate()


def test_sigkill_then_resume_ends_with_the_whole_history(live_gans):
    process, config, run = live_gans["kill"]
    busy = invoke("gan", config, "-q", "--resume", run)  # while it holds the run
    assert_one_error(busy, "another kerascli process is using this run")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done = json.loads((run / "checkpoints" / "state.json").read_text())["epoch"]
    assert record_of(run)["status"] == "running"  # killed: nobody could mark it
    target = done + 1
    result = invoke("gan", config, "-q", "--resume", run, "--set", f"fit.epochs={target}")
    assert result.exit_code == 0, result.output
    history = history_of(run)
    assert len(history["d_loss"]) == len(history["g_loss"]) == target
    record = record_of(run)
    assert record["status"] == "completed" and record["epochs"] == target and record["resumed"]
    assert (run / "generator.keras").is_file() and (run / "discriminator.keras").is_file()
    assert len(list((run / "samples").glob("epoch_*.png"))) == target
    assert gif_frames(run / "samples" / "progress.gif") == target
    assert (run / "plots" / "losses.png").is_file()


def test_sigint_marks_the_gan_run_interrupted_and_exits_130(live_gans):
    process, _, run = live_gans["interrupt"]
    process.send_signal(signal.SIGINT)  # delivered as it continues
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "kerascli gan" in stderr and "--resume" in stderr and run.name in stderr
    record = record_of(run)
    assert record["status"] == "interrupted" and record["ended"]
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert record["epochs"] >= state["epoch"] >= 1
    for name in state["checkpoints"].values():
        assert (run / "checkpoints" / name).is_file()


# ------------------------------------------------------------------------------ (7) sample


@pytest.mark.parametrize("count", [9, 10, 1])
def test_sample_writes_a_grid_of_the_requested_count(bce_run, tmp_path, count):
    out = tmp_path / "grid.png"
    result = invoke("sample", bce_run, "-n", count, "--out", out, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert "wrote:" in result.output and f"({count} images)" in result.output
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "L"
        assert image.size == grid_size(count)  # 9 -> 3x3 tiles, 10 -> 4x3, 1 -> 1x1


def test_sample_is_repeatable_with_a_seed(bce_run, tmp_path):
    paths = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        paths[name] = tmp_path / f"{name}.png"
        result = invoke("sample", bce_run, "-n", 16, "--out", paths[name], "--seed", seed)
        assert result.exit_code == 0, result.output
    assert paths["a"].read_bytes() == paths["b"].read_bytes()
    assert paths["a"].read_bytes() != paths["c"].read_bytes()


def test_sample_writes_jpeg(bce_run, tmp_path):
    out = tmp_path / "nested" / "grid.jpg"
    result = invoke("sample", bce_run, "-n", 4, "--out", out)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.size == grid_size(4)


def test_sample_refuses_a_name_that_is_not_an_image(bce_run, tmp_path):
    result = invoke("sample", bce_run, "--out", tmp_path / "grid.txt")
    assert_one_error(result, "--out")
    assert "grid.txt" in result.output
    assert not list(tmp_path.iterdir())


def test_sample_refuses_a_classifier_run(classifier_run, tmp_path):
    result = invoke("sample", classifier_run, "--out", tmp_path / "grid.png")
    assert_one_error(result, "is not a GAN run")
    assert not (tmp_path / "grid.png").exists()


def test_sample_refuses_a_missing_run(tmp_path):
    result = invoke("sample", tmp_path / "nowhere", "--out", tmp_path / "grid.png")
    assert_one_error(result, "no such run directory")


@pytest.mark.parametrize(
    "damage, message",
    [
        ("text", "not a Keras model archive"),
        ("zip", "not a Keras model archive"),
    ],
)
def test_sample_reports_a_corrupt_generator_in_one_line(bce_run, tmp_path, damage, message):
    run = tmp_path / bce_run.name
    shutil.copytree(bce_run, run)
    if damage == "text":
        (run / "generator.keras").write_bytes(b"this is not a model")
    else:
        with zipfile.ZipFile(run / "generator.keras", "w") as archive:
            archive.writestr("config.json", "{not json")
    result = invoke("sample", run, "--out", tmp_path / "grid.png")
    assert_one_error(result, message)
    assert "generator.keras" in error_lines(result.output)[0]
    assert not (tmp_path / "grid.png").exists()


def test_sample_of_a_run_without_its_generator_says_so(bce_run, tmp_path):
    run = tmp_path / bce_run.name
    shutil.copytree(bce_run, run)
    (run / "generator.keras").unlink()
    result = invoke("sample", run, "--out", tmp_path / "grid.png")
    assert_one_error(result, "has no generator.keras")


@pytest.mark.parametrize("count", [0, 5000])
def test_sample_count_out_of_range_is_usage(bce_run, tmp_path, count):
    result = invoke("sample", bce_run, "-n", count, "--out", tmp_path / "grid.png")
    assert result.exit_code == 2
    assert not (tmp_path / "grid.png").exists()


# ------------------------------------------------------------------------------ (8) judge


def test_judge_scores_every_epoch(classifier_run, tmp_path):
    # This run's discriminator also ends in a sigmoid, as the Keras DCGAN tutorial's does (bce on
    # probabilities rather than logits), which no other run here trains.
    sigmoid = ["Flatten", {"Dense": {"units": 1, "activation": "sigmoid"}}]
    run = train_gan(
        tmp_path,
        gan_config(
            gan__judge=str(classifier_run), gan__judge_samples=50, gan__discriminator=sigmoid
        ),
    )
    history = history_of(run)
    assert all(0 <= v <= 1 for v in history["d_real"] + history["d_fake"])
    assert all(math.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    for key in ("judge_fid", "judge_confident", "judge_class_spread"):
        assert len(history[key]) == 2, key
    assert all(math.isfinite(v) and v >= 0 for v in history["judge_fid"])
    assert all(0 <= v <= 1 for v in history["judge_confident"])
    assert all(0 <= v <= 1 for v in history["judge_class_spread"])
    assert (run / "plots" / "judge_fid.png").is_file()
    assert record_of(run)["status"] == "completed"
    assert "judge_fid" in record_of(run)["final_metrics"]


def test_a_missing_judge_is_a_config_error_before_anything_is_written(tmp_path, runs_dir):
    config = write_config(
        tmp_path / "gan.yaml", gan_config(gan__judge=str(tmp_path / "no-such-run"))
    )
    result = invoke("gan", config, "-q")
    assert_one_error(result, "gan.judge")
    assert "no-such-run" in result.output
    assert_empty(runs_dir)


def test_a_gan_run_cannot_judge(bce_run, tmp_path, runs_dir):
    config = write_config(tmp_path / "gan.yaml", gan_config(gan__judge=str(bce_run)))
    result = invoke("gan", config, "-q")
    assert_one_error(result, "gan.judge")
    assert "is a GAN run" in result.output
    assert_empty(runs_dir)


# ------------------------------------------------------------------------------ (9) config errors


def _replace(key, value):
    def change(config):
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
        return config

    return change


def _train_config(config):
    return tiny_config()


def _both(config):
    train = tiny_config()
    config["model"], config["compile"] = train["model"], train["compile"]
    return config


CONFIG_ERRORS = [
    pytest.param(
        "gan",
        _replace(
            "gan.generator", [{"Dense": {"units": 196}}, {"Reshape": {"target_shape": [14, 14, 1]}}]
        ),
        "the generator makes images of shape (14, 14, 1), but the data's images have "
        "shape (28, 28, 1)",
        id="generator-shape",
    ),
    pytest.param(
        "gan",
        _replace("gan.discriminator", ["Flatten", {"Dense": {"units": 2}}]),
        "gan.discriminator[1]: the discriminator outputs shape (2,) per image",
        id="discriminator-units",
    ),
    pytest.param(
        "gan",
        lambda c: _replace("gan.loss", "wgan-gp")(
            _replace(
                "gan.discriminator", ["Flatten", {"Dense": {"units": 1, "activation": "sigmoid"}}]
            )(c)
        ),
        "a WGAN-GP critic outputs an unbounded score",
        id="wgan-sigmoid",
    ),
    pytest.param(
        "gan",
        _replace(
            "gan.generator",
            [
                {"Dense": {"units": 98}},
                {"Reshape": {"target_shape": [7, 7, 2]}},
                {"Conv2DTranpose": {"filters": 1}},
            ],
        ),
        "did you mean 'Conv2DTranspose'?",
        id="layer-typo",
    ),
    pytest.param(
        "gan",
        _replace("gan.generator_optimizer", {"Adamm": {"learning_rate": 0.001}}),
        "gan.generator_optimizer",
        id="optimizer-name",
    ),
    pytest.param(
        "gan",
        _replace("data.validation", {"split": 0.1}),
        "data.validation: is not used by kerascli gan",
        id="validation",
    ),
    pytest.param(
        "gan",
        _replace("data.augment", [{"RandomFlip": {"mode": "horizontal"}}]),
        "data.augment: is not used by kerascli gan",
        id="augment",
    ),
    pytest.param(
        "gan",
        _replace("fit.callbacks", [{"ReduceLROnPlateau": {"monitor": "g_loss", "mode": "min"}}]),
        "fit.callbacks[0].ReduceLROnPlateau: is not supported by kerascli gan",
        id="reduce-lr-callback",
    ),
    pytest.param(
        "gan",
        _replace(
            "fit.callbacks", ["TerminateOnNaN", {"ModelCheckpoint": {"filepath": "gan.keras"}}]
        ),
        "fit.callbacks[1].ModelCheckpoint: is not supported by kerascli gan",
        id="checkpoint-callback",
    ),
    pytest.param(
        "train", lambda c: c, "this is a GAN config: run it with kerascli gan", id="train-on-gan"
    ),
    pytest.param("gan", _train_config, "the config has no gan section", id="gan-on-train"),
    pytest.param("gan", _both, "not both", id="model-and-gan"),
    pytest.param("gan", _replace("gan.loss", "bce2"), "did you mean 'bce'?", id="loss-typo"),
    pytest.param("gan", _replace("gan.latent_dim", 0), "gan.latent_dim", id="latent-zero"),
    pytest.param(
        "gan", _replace("gan.label_smoothing", 0.6), "gan.label_smoothing", id="label-smoothing"
    ),
    pytest.param(
        "gan",
        _replace("gan.discriminator_steps", 0),
        "gan.discriminator_steps",
        id="discriminator-steps",
    ),
    pytest.param(
        "gan",
        _replace("gan.generator", [{"Lambda": {"function": "x"}}]),
        "gan.generator[0]",
        id="lambda",
    ),
    pytest.param(
        "gan",
        _replace("gan.generator", [{"Dense": {"units": 784, "inputs": "z"}}]),
        "a GAN network is a stack of layers",
        id="inputs",
    ),
    pytest.param(
        "gan",
        lambda c: _replace("gan.loss", "wgan-gp")(_replace("gan.update", "simultaneous")(c)),
        "simultaneous is for loss bce with one discriminator step",
        id="simultaneous-wgan",
    ),
    pytest.param("gan", _replace("gan.update", "together"), "gan.update", id="update-typo"),
    pytest.param(
        "gan",
        lambda c: _replace("gan.loss", "wgan-gp")(_replace("gan.label_smoothing", 0.1)(c)),
        "label_smoothing is for loss bce",
        id="smoothing-wgan",
    ),
]


@pytest.mark.parametrize("command, change, message", CONFIG_ERRORS)
def test_bad_gan_configs_are_one_line_and_leave_no_run(
    tmp_path, runs_dir, command, change, message
):
    config = write_config(tmp_path / "bad.yaml", change(gan_config()))
    result = invoke(command, config, "-q")
    assert_one_error(result, message)
    assert_empty(runs_dir)


def test_validate_prints_both_networks(tmp_path, runs_dir):
    config = write_config(tmp_path / "gan.yaml", gan_config())
    result = invoke("validate", config)
    assert result.exit_code == 0, result.output
    assert "generator" in result.output and "discriminator" in result.output
    assert "Conv2DTranspose" in result.output and "Conv2D" in result.output
    assert result.output.count("Total params") == 2
    assert f"{config}: OK" in result.output
    assert_empty(runs_dir)


def test_validate_reports_a_bad_gan(tmp_path):
    config = write_config(
        tmp_path / "gan.yaml", gan_config(gan__discriminator=["Flatten", {"Dense": {"units": 3}}])
    )
    result = invoke("validate", config)
    assert_one_error(result, "not one score")
