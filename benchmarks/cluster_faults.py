"""A 2-worker cluster on 127.0.0.1 that loses a worker: time to the error line, work redone.

    PYTHONPATH=$PWD python benchmarks/cluster_faults.py [--victim 1] [--into-epoch 1.0]

Starts `kerascli train CONFIG --resume auto` on two workers sharing one runs directory (a tiny
MLP on 2,000 real MNIST digits, global batch 8: 250 steps an epoch), waits until the chief has
saved epoch 1, lets epoch 2 run for `--into-epoch` seconds, SIGKILLs the victim (1: a worker,
0: the chief), and measures:

- noticed: seconds from the kill to the survivor's one-line error (TensorFlow's coordination
  service finding the peer gone, then kerascli probing the peers' ports);
- the epoch and step the error names, and so the steps that the restart redoes (the killed
  epoch's steps done before the kill: everything after the last epoch's checkpoint);
- the restart: the same command on both workers again, seconds to the end, and whether every
  epoch is in the run's history exactly once.

Every process is killed at the end. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "data" / "mnist"
LIMIT = 600  # seconds any phase may take


def config(epochs: int, train: int) -> dict:
    images = str(MNIST / "t10k-images-idx3-ubyte.gz")
    labels = str(MNIST / "t10k-labels-idx1-ubyte.gz")
    return {
        "name": "faults",
        "seed": 1,
        "data": {
            "source": "idx",
            "train": {"images": images, "labels": labels},
            "test": {"images": images, "labels": labels},
            "limit": {"train": train, "test": 64},
            "preprocess": {"reshape": [28, 28, 1], "scale": 255, "one_hot": 10},
        },
        "model": {
            "input_shape": [28, 28, 1],
            "layers": [
                "Flatten",
                {"Dense": {"units": 32, "activation": "relu"}},
                {"Dense": {"units": 10, "activation": "softmax"}},
            ],
        },
        "compile": {"optimizer": "adam", "loss": "categorical_crossentropy"},
        "fit": {"epochs": epochs, "batch_size": 8},
        "evaluate": {"enabled": False},
        "distribute": {"strategy": "multi_worker", "join_timeout": LIMIT},
    }


class Worker:
    def __init__(self, config_path: Path, runs: Path, ports: list[int], index: int):
        cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TF_CONFIG": json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            ),
            "TMPDIR": tempfile.mkdtemp(dir=runs.parent),
        }
        command = [sys.executable, "-m", "kerascli", "train", str(config_path), "--quiet"]
        command += ["--runs-dir", str(runs), "--resume", "auto"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def wait(condition, what: str):
    deadline = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--victim", type=int, default=1, help="1: a worker; 0: the chief")
    parser.add_argument("--into-epoch", type=float, default=1.0, help="seconds into epoch 2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train", type=int, default=2000, help="training examples")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cluster-faults-"))
    config_path = base / "faults.yaml"
    config_path.write_text(yaml.safe_dump(config(args.epochs, args.train)), encoding="utf-8")
    runs, ports, started = base / "runs", free_ports(2), []
    try:
        started += [Worker(config_path, runs, ports, index) for index in range(2)]
        wait(lambda: list(runs.glob("*/checkpoints/state.json")), "the chief's first checkpoint")
        time.sleep(args.into_epoch)
        victim, survivor = started[args.victim], started[1 - args.victim]
        killed = time.monotonic()
        victim.kill()
        survivor.process.wait(timeout=LIMIT)
        time.sleep(0.2)
        noticed_at, line = survivor.lines[-1]
        print(
            f"kill -> error line: {noticed_at - killed:.1f} s (exit {survivor.process.returncode})"
        )
        print(f"error line: {line}")
        match = re.search(r"in epoch (\d+), step (\d+) of (\d+)", line)
        epoch, step, steps = (int(group) for group in match.groups()) if match else (0, 0, 0)
        restart = time.monotonic()
        again = [Worker(config_path, runs, ports, index) for index in range(2)]
        started += again
        codes = [worker.process.wait(timeout=LIMIT) for worker in again]
        print(f"restart -> run completed: {time.monotonic() - restart:.1f} s (exits {codes})")
        (run,) = [path for path in runs.iterdir() if path.is_dir()]
        history = json.loads((run / "history.json").read_text())
        said = [text for _, text in again[0].lines if text.startswith("--resume auto")]
        print(f"restart said: {said[0] if said else '-'}")
        # Redone: the steps finished after the checkpoint the restart continues from.
        kept = re.search(r"from the end of epoch (\d+)", said[0] if said else "")
        redone = (epoch - 1 - int(kept[1])) * steps + step - 1 if kept else None
        print(
            f"lost work: {redone} steps redone ({steps} an epoch), killed in epoch {epoch} at "
            f"step {step}"
        )
        print(
            f"history: {len(history['loss'])} epochs for {args.epochs} "
            f"(status {json.loads((run / 'run.json').read_text())['status']})"
        )
    finally:
        for worker in started:
            worker.kill()


if __name__ == "__main__":
    main()
