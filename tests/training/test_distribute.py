"""Data-parallel runs through the CLI: mirrored over 2 logical CPUs, and 2 real local workers.

Logical devices and a multi-worker strategy must be set up before TensorFlow initialises its
devices, so every distributed run is a fresh `python -m kerascli` process (bounded by a
timeout). A single-device run of the same config, in this process, is the reference the
distributed losses must match.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands.test_gan import gan_config
from tests.conftest import ROOT, tiny_config, write_config
from tests.training.test_lifecycle import history_of, record_of

TIMEOUT = 240  # seconds per process: minutes on a loaded 2-core machine at worst


def wait_all(processes: list[subprocess.Popen]) -> list[subprocess.CompletedProcess]:
    """Waits for every worker (each within TIMEOUT); kills any still running at the end."""
    results = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            results.append(
                subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            )
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


# Replicas see their shares of each batch in another order of summation, and an epoch's logged
# loss averages batches of unequal size differently: measured differences are under 0.5%.
LOSS_TOLERANCE = 0.02


def small_config(**sections) -> dict:
    config = tiny_config(**sections)
    config["data"]["limit"] = {"train": 512, "test": 64}
    config["data"].pop("validation")
    config["evaluate"] = {"enabled": False}
    config["fit"] = {"epochs": 2, "batch_size": 64}
    return config


def kerascli(*args, env=None, timeout=TIMEOUT, wait=True):
    """Runs (or starts) `python -m kerascli ARGS` from the repository root."""
    command = [sys.executable, "-m", "kerascli", *map(str, args)]
    full_env = {**os.environ, **(env or {})}
    if wait:
        return subprocess.run(
            command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout
        )
    return subprocess.Popen(
        command, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def only_run(runs_dir: Path) -> Path:
    (run,) = [path for path in runs_dir.iterdir() if path.is_dir()]
    return run


def assert_close(values, reference):
    assert len(values) == len(reference)
    for value, expected in zip(values, reference):
        assert math.isclose(value, expected, rel_tol=LOSS_TOLERANCE), (values, reference)


@pytest.fixture(scope="module")
def reference_losses(tmp_path_factory) -> list[float]:
    """The per-epoch loss of `small_config` on one device (in this process)."""
    import io

    from rich.console import Console

    from kerascli.commands.train import train
    from kerascli.config.loading import load_config

    base = tmp_path_factory.mktemp("reference")
    result = train(
        load_config(write_config(base / "one.yaml", small_config())),
        runs_dir=base / "runs",
        quiet=True,
        console=Console(file=io.StringIO()),
    )
    return result.history["loss"]


def test_mirrored_over_two_logical_cpus_trains_like_one_device(tmp_path, reference_losses):
    config = write_config(
        tmp_path / "mirrored.yaml", small_config(distribute={"strategy": "mirrored", "devices": 2})
    )
    result = kerascli("train", config, "--quiet", "--runs-dir", tmp_path / "runs")
    assert result.returncode == 0, result.stderr
    headline = "mirrored: 2 replicas on CPU:0, CPU:1; global batch 64, about 32 per replica"
    assert result.stderr.count(headline) == 1, result.stderr
    run = only_run(tmp_path / "runs")
    record = record_of(run)
    assert record["status"] == "completed"
    assert record["distribute"] == {
        "strategy": "mirrored",
        "replicas": 2,
        "devices": [
            "/job:localhost/replica:0/task:0/device:CPU:0",
            "/job:localhost/replica:0/task:0/device:CPU:1",
        ],
    }
    assert_close(history_of(run)["loss"], reference_losses)
    assert (run / "model.keras").is_file()


def test_mirrored_gan_logs_unscaled_losses(tmp_path):
    """Each replica's losses are divided by the replica count for the gradients only: logged,
    an untrained BCE GAN's losses are near ln 2 (generator) and 2 ln 2 (discriminator), not half."""
    config = write_config(
        tmp_path / "gan.yaml",
        gan_config(
            distribute={"strategy": "mirrored", "devices": 2}, fit={"epochs": 1, "batch_size": 64}
        ),
    )
    result = kerascli("gan", config, "--quiet", "--runs-dir", tmp_path / "runs")
    assert result.returncode == 0, result.stderr
    run = only_run(tmp_path / "runs")
    assert record_of(run)["distribute"]["replicas"] == 2
    history = history_of(run)
    assert math.isclose(history["g_loss"][0], math.log(2), rel_tol=0.1), history
    assert math.isclose(history["d_loss"][0], 2 * math.log(2), rel_tol=0.1), history
    assert (run / "generator.keras").is_file() and (run / "samples" / "epoch_001.png").is_file()


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
            "task": {"type": "worker", "index": index},
        }
    )


def run_workers(tmp_path: Path, config: Path, *extra) -> list[subprocess.CompletedProcess]:
    """Runs two local workers to the end; each has its own runs and temporary directories."""
    ports = free_ports(2)
    processes = []
    for index in range(2):
        (tmp_path / f"tmp{index}").mkdir(exist_ok=True)
        processes.append(
            kerascli(
                "train",
                config,
                "--quiet",
                "--runs-dir",
                tmp_path / f"runs{index}",
                *extra,
                env={"TF_CONFIG": tf_config(ports, index), "TMPDIR": str(tmp_path / f"tmp{index}")},
                wait=False,
            )
        )
    return wait_all(processes)


def test_two_local_workers_train_and_resume_from_the_chiefs_checkpoint(tmp_path, reference_losses):
    config = small_config(distribute={"strategy": "multi_worker", "join_timeout": 120})
    config["fit"]["epochs"] = 1
    path = write_config(tmp_path / "cluster.yaml", config)
    chief, worker = run_workers(tmp_path, path)
    assert chief.returncode == 0 and worker.returncode == 0, chief.stderr + worker.stderr
    assert "worker 1: done; the chief (worker 0) writes the run" in worker.stdout
    run = only_run(tmp_path / "runs0")
    record = record_of(run)
    assert record["distribute"]["strategy"] == "multi_worker"
    assert (record["distribute"]["replicas"], record["distribute"]["workers"]) == (2, 2)
    # The other worker wrote nothing under its runs directory and left no temporary files.
    assert not (tmp_path / "runs1").exists()
    assert not list((tmp_path / "tmp1").iterdir())

    # Both workers resume from the chief's checkpoint; the chief's run grows by one epoch.
    chief, worker = run_workers(tmp_path, path, "--resume", run, "--set", "fit.epochs=2")
    assert chief.returncode == 0 and worker.returncode == 0, chief.stderr + worker.stderr
    record = record_of(run)
    assert record["status"] == "completed" and record["epochs"] == 2 and record["resumed"]
    assert_close(history_of(run)["loss"], reference_losses)
    assert not (tmp_path / "runs1").exists()
    assert not list((tmp_path / "tmp1").iterdir())


def test_a_peer_that_never_comes_times_out_with_one_line(tmp_path):
    config = write_config(
        tmp_path / "alone.yaml",
        small_config(distribute={"strategy": "multi_worker", "join_timeout": 2}),
    )
    result = kerascli(
        "train",
        config,
        "--quiet",
        "--runs-dir",
        tmp_path / "runs",
        env={"TF_CONFIG": tf_config(free_ports(2), 0)},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: distribute: worker 0: not every worker of the 2 in TF_CONFIG joined within 2 s "
        "(start every worker with the same config and its own task.index, check the addresses, "
        "or raise distribute.join_timeout)"
    )
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_a_global_batch_smaller_than_the_replicas_is_refused(tmp_path):
    config = write_config(
        tmp_path / "small_batch.yaml",
        small_config(distribute={"strategy": "mirrored", "devices": 3}),
    )
    result = kerascli(
        "train",
        config,
        "--quiet",
        "--runs-dir",
        tmp_path / "runs",
        "--set",
        "fit.batch_size=2",
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: fit.batch_size: 2 is smaller than the 3 replicas (batch_size is the global "
        "batch: give it at least one example per replica)"
    )
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_devices_on_a_machine_with_gpus_is_refused(tmp_path):
    import tensorflow as tf

    gpus = len(tf.config.list_physical_devices("GPU"))
    if not gpus:
        pytest.skip("needs a GPU: on this machine devices splits the CPU")
    config = write_config(
        tmp_path / "gpus.yaml", small_config(distribute={"strategy": "mirrored", "devices": 2})
    )
    result = kerascli("train", config, "--quiet", "--runs-dir", tmp_path / "runs", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: distribute.devices: is for machines without GPUs; this one has {gpus} (remove "
        "devices: mirrored uses every GPU TensorFlow finds)"
    )


def test_mixed_float16_without_a_gpu_is_refused_and_bfloat16_trains(tmp_path, runs_dir):
    import tensorflow as tf
    from typer.testing import CliRunner

    from kerascli.cli.main import app

    config = write_config(tmp_path / "mixed.yaml", small_config())
    runner = CliRunner()
    if not tf.config.list_physical_devices("GPU"):
        refused = runner.invoke(
            app, ["train", str(config), "--quiet", "--set", "fit.mixed_precision=mixed_float16"]
        )
        assert refused.exit_code == 2
        assert refused.output.strip().splitlines()[-1] == (
            "error: fit.mixed_precision: mixed_float16 needs a GPU, and TensorFlow finds none on "
            "this machine (use mixed_bfloat16 on a CPU, or remove mixed_precision)"
        )
        assert not runs_dir.exists() or not list(runs_dir.iterdir())
    import keras

    try:
        result = runner.invoke(
            app,
            [
                "train",
                str(config),
                "--quiet",
                "--set",
                "fit.mixed_precision=mixed_bfloat16",
                "--set",
                "fit.epochs=1",
            ],
        )
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")  # leave the process as it was
    assert result.exit_code == 0, result.output
    model = keras.saving.load_model(only_run(runs_dir) / "model.keras")
    assert model.layers[-1].dtype_policy.name == "mixed_bfloat16"
    assert math.isfinite(history_of(only_run(runs_dir))["loss"][0])


REPLICA_NOISE = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from kerascli.models.gan import GAN
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = GAN(generator, discriminator, latent_dim=4, seed=5)
noise = tf.function(lambda: strategy.run(lambda: gan._noise(3)))()
first, second = (value.numpy() for value in strategy.experimental_local_results(noise))
print("same" if (first == second).all() else "different")
"""


def test_each_replica_draws_its_own_gan_noise():
    result = subprocess.run(
        [sys.executable, "-c", REPLICA_NOISE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "different"


def test_a_run_resumes_in_the_precision_it_was_saved_in(tmp_path):
    from kerascli.commands.train import train
    from kerascli.config.loading import load_config
    from kerascli.errors import ConfigError
    from tests.conftest import train_tiny_run

    run = train_tiny_run(tmp_path)
    config = load_config(run / "config.yaml", ["fit.mixed_precision=mixed_bfloat16"])
    with pytest.raises(ConfigError) as raised:
        train(config, runs_dir=tmp_path / "runs", resume=run, quiet=True)
    assert raised.value.format() == (
        f"fit.mixed_precision: mixed_bfloat16 differs from the run being resumed ({run}), whose "
        "networks compute in float32 (resume with mixed_precision: null, or start a new run)"
    )
    assert record_of(run)["status"] == "completed"
