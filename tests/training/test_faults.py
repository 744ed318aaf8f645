"""A cluster that loses a worker, with real worker processes on 127.0.0.1.

Each scenario starts `python -m kerascli train CONFIG --resume auto` on two workers sharing one
runs directory (as on a shared volume), kills one with SIGKILL during an epoch, and checks the
one line the other one prints, the run's record, and that the same command started again
finishes the run. Every process is bounded in time and killed at the end.
"""

from __future__ import annotations

import json
import re
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from kerascli.config.distribute import Cluster
from kerascli.errors import TrainingFailed
from kerascli.training.faults import Position, lost_peer_error, resume_command
from tests.conftest import write_config
from tests.training.test_distribute import free_ports, kerascli, small_config, tf_config
from tests.training.test_lifecycle import history_of, record_of

START = 240  # seconds for a cluster to form and train an epoch: minutes on a loaded 2-core box
NOTICED = 60  # seconds from the kill to the survivor's error line (the bound)
EPOCHS = 3


class Worker:
    """A `kerascli train` process whose stderr is read line by line as it comes."""

    def __init__(self, config: Path, runs: Path, tf_config_text: str, *extra):
        # Each process its own temporary directory: a killed worker leaves its files there.
        self.tmp = Path(tempfile.mkdtemp(prefix="worker-", dir=runs.parent))
        self.process = kerascli(
            "train",
            config,
            "--quiet",
            "--runs-dir",
            runs,
            "--resume",
            "auto",
            *extra,
            env={"TF_CONFIG": tf_config_text, "TMPDIR": str(self.tmp)},
            wait=False,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, start: str, timeout: float = START) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.startswith(start) for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {start!r} line: {self.stderr()[-3000:]}")
            time.sleep(0.05)

    def finish(self, timeout: float = START) -> int:
        returncode = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return returncode

    def stderr(self) -> str:
        return "\n".join(self.lines)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()


@pytest.fixture
def workers():
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def cluster_config(tmp_path: Path) -> Path:
    """Three epochs of 75 small steps each (600 digits, global batch 8): seconds each."""
    config = small_config(distribute={"strategy": "multi_worker", "join_timeout": START})
    config["data"]["limit"] = {"train": 600, "test": 64}
    config["fit"] = {"epochs": EPOCHS, "batch_size": 8}
    return write_config(tmp_path / "cluster.yaml", config)


def lost_line(who: str, kept: str, config: Path, runs: Path) -> re.Pattern:
    return re.compile(
        rf"error: distribute: {re.escape(who)} stopped answering in epoch \d, step \d+ of 75; "
        rf"the run is resumable: it goes on from {kept} \(start every worker again with: "
        rf"kerascli train {re.escape(str(config))} --quiet --runs-dir {re.escape(str(runs))} "
        r"--resume auto\)"
    )


def wait_for_checkpoint(runs: Path, timeout: float = START) -> None:
    """Waits until the chief has saved its first epoch (so that the restart continues it)."""
    deadline = time.monotonic() + timeout
    while not list(runs.glob("*/checkpoints/state.json")):
        assert time.monotonic() < deadline, "no checkpoint"
        time.sleep(0.05)


def only_run(runs: Path) -> Path:
    (run,) = [path for path in runs.iterdir() if path.is_dir()]
    return run


def test_a_lost_worker_is_one_line_and_the_same_command_finishes_the_run(tmp_path, workers):
    config, runs, ports = cluster_config(tmp_path), tmp_path / "runs", free_ports(2)
    workers += [Worker(config, runs, tf_config(ports, index)) for index in range(2)]
    chief, worker = workers
    chief.wait_for("Epoch 1/")
    wait_for_checkpoint(runs)
    time.sleep(0.3)
    worker.process.send_signal(signal.SIGKILL)
    assert chief.finish(timeout=NOTICED) == 1  # noticed, said and stopped within the bound
    line = chief.lines[-1]
    who = f"worker 1 (127.0.0.1:{ports[1]})"
    match = lost_line(who, r"the end of epoch (\d)", config, runs).fullmatch(line)
    assert match, chief.stderr()
    assert not re.search(r"Collective|node |Traceback|E0000", chief.stderr())
    run = only_run(runs)
    assert record_of(run)["status"] == "failed"
    assert record_of(run)["error"] == line.removeprefix("error: ")
    resumed_from = int(match[1])

    # A worker that never comes back: the chief, started again alone, gives up in time.
    alone = Worker(config, runs, tf_config(ports, 0), "--set", "distribute.join_timeout=3")
    workers.append(alone)
    assert alone.finish() == 1
    assert alone.lines[-1] == (
        "error: distribute: worker 0: not every worker of the 2 in TF_CONFIG joined within 3 s "
        "(start every worker with the same config and its own task.index, check the "
        "addresses, or raise distribute.join_timeout)"
    )
    assert record_of(run)["status"] == "failed"  # still resumable, untouched

    # Both workers started again with the same command finish the same run.
    again = [Worker(config, runs, tf_config(ports, index)) for index in range(2)]
    workers += again
    assert [process.finish() for process in again] == [0, 0], again[0].stderr() + again[1].stderr()
    assert only_run(runs) == run
    continuing = f"--resume auto: continuing {run} from the end of epoch {resumed_from}"
    for process in again:
        assert continuing in process.lines, process.stderr()
        epochs = [line.split()[1] for line in process.lines if line.startswith("Epoch ")]
        assert epochs == [f"{epoch}/{EPOCHS}" for epoch in range(resumed_from + 1, EPOCHS + 1)]
    record = record_of(run)
    assert (record["status"], record["epochs"]) == ("completed", EPOCHS)
    assert record["resumed"] and record.get("error") is None
    history = history_of(run)
    assert all(len(values) == EPOCHS for values in history.values()), history
    assert not list(again[1].tmp.iterdir())  # the other worker left no files behind


def test_a_lost_chief_is_reported_by_the_workers(tmp_path, workers):
    """A TF_CONFIG with a `chief` job (as Kubeflow's TFJob writes it) trains; its loss is one
    line on the worker, which writes nothing under the runs directory."""
    config, runs, ports = cluster_config(tmp_path), tmp_path / "runs", free_ports(2)
    cluster = {"chief": [f"127.0.0.1:{ports[0]}"], "worker": [f"127.0.0.1:{ports[1]}"]}
    workers += [
        Worker(config, runs, json.dumps({"cluster": cluster, "task": {"type": job, "index": 0}}))
        for job in ("chief", "worker")
    ]
    chief, worker = workers
    worker.wait_for("Epoch 1/")
    wait_for_checkpoint(runs)
    time.sleep(0.3)
    chief.process.send_signal(signal.SIGKILL)
    assert worker.finish(timeout=NOTICED) == 1
    who, kept = f"the chief (127.0.0.1:{ports[0]})", "the chief's last checkpoint"
    assert lost_line(who, kept, config, runs).fullmatch(worker.lines[-1]), worker.stderr()
    assert not re.search(r"Collective|node |Traceback|E0000", worker.stderr())
    run = only_run(runs)  # the chief's: it was killed while running, so it says so
    assert record_of(run)["status"] == "running"
    assert record_of(run)["distribute"]["workers"] == 2
    assert len(history_of(run)["loss"]) >= 1


TWO = Cluster(("10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222"), 0)
WITH_CHIEF = Cluster(
    ("10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222"), 1, {"chief": 1, "worker": 2}
)
COMMAND = ["/x/kerascli/__main__.py", "train", "a b.yaml", "--quiet"]


def at(epoch: int, step: int, steps: int | None = 50, saved=None, chief=True) -> Position:
    position = Position(epoch - 1 if saved is None else saved, chief)
    position.epoch, position.step, position.steps = epoch, step, steps
    return position


@pytest.mark.parametrize(
    ("cluster", "lost", "position", "message"),
    [
        (
            TWO,
            [1],
            at(3, 17),
            "distribute: worker 1 (10.0.0.2:2222) stopped answering in epoch 3, step 17 of 50; "
            "the run is resumable: it goes on from the end of epoch 2 (start every worker again "
            "with: kerascli train 'a b.yaml' --quiet --resume auto)",
        ),
        (
            TWO,
            [0, 2],
            at(1, 4, None, chief=False),
            "distribute: worker 0, the chief (10.0.0.1:2222) and worker 2 (10.0.0.3:2222) all "
            "stopped answering in epoch 1, step 4; the run is resumable: it goes on from the "
            "chief's last checkpoint (start every worker again with: kerascli train "
            "'a b.yaml' --quiet --resume auto)",
        ),
        (
            WITH_CHIEF,
            [0],
            at(0, 0, saved=0),
            "distribute: the chief (10.0.0.1:2222) stopped answering before the first epoch; the "
            "run is resumable: no epoch was saved, so it starts again from epoch 1 (start every "
            "worker again with: kerascli train 'a b.yaml' --quiet --resume auto)",
        ),
        (
            WITH_CHIEF,
            [],
            at(3, 50, saved=3),
            "distribute: a worker of the cluster stopped answering in epoch 3, step 50 of 50; the "
            "run is resumable: it goes on from the end of epoch 3 (start every worker again "
            "with: kerascli train 'a b.yaml' --quiet --resume auto)",
        ),
    ],
)
def test_the_lost_peer_line(cluster, lost, position, message):
    error = lost_peer_error(cluster, lost, position, COMMAND)
    assert isinstance(error, TrainingFailed) and error.exit_code == 1
    assert error.format() == message


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["kerascli", "gan", "g.yaml"], "kerascli gan g.yaml --resume auto"),
        (
            ["k", "train", "c.yaml", "--resume", "runs/c-1", "--name", "n"],
            "kerascli train c.yaml --name n --resume auto",
        ),
        (["k", "train", "c.yaml", "--resume=auto", "-q"], "kerascli train c.yaml -q --resume auto"),
    ],
)
def test_the_resume_command_is_the_same_command_with_resume_auto(argv, command):
    assert resume_command(argv) == command


def test_only_a_peer_that_is_gone_turns_an_error_into_the_lost_peer_line():
    import socket

    import tensorflow as tf

    from kerascli.training.faults import peers_watched

    (gone,) = free_ports(1)
    with socket.socket() as alive:
        alive.bind(("127.0.0.1", 0))
        alive.listen()
        here = f"127.0.0.1:{alive.getsockname()[1]}"
        # This worker's own error names a task as a device, and every peer answers: kept.
        cluster = Cluster((here, here.replace("127.0.0.1", "localhost")), 0)
        own = tf.errors.InvalidArgumentError(
            None, None, "bad shape on /job:worker/replica:0/task:1"
        )
        with pytest.raises(tf.errors.InvalidArgumentError):
            with peers_watched(cluster, at(2, 3), COMMAND):
                raise own
        # The same error while a peer refuses connections: that peer is lost.
        cluster = Cluster((here, f"127.0.0.1:{gone}"), 0)
        with pytest.raises(TrainingFailed) as raised:
            with peers_watched(cluster, at(2, 3), COMMAND):
                raise tf.errors.UnavailableError(None, None, "Graph execution error: ...")
    assert raised.value.format().startswith(
        f"distribute: worker 1 (127.0.0.1:{gone}) stopped answering in epoch 2, step 3 of 50;"
    )
