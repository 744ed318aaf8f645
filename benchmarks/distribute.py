"""Benchmark: the same training on one device, mirrored over 2 logical CPUs, and 2 local workers.

Each side runs `kerascli train` on the tutorial CNN (configs/mnist_cnn.yaml's model, Adam 0.002,
global batch 128) for `--epochs` epochs of `--steps` steps on the first 10,000 real MNIST
training images, each in fresh processes, and reads the runs' `history.json` and `run.json`:

- the training loss of every epoch (the mean over its steps), which must agree within
  `--tolerance` (relative) between the three: data parallelism changes where a step is
  computed, not what it computes;
- steps per second in the epochs after the first (the first one traces the step).

On a 2-core CPU the distributed sides are no faster, and usually slower: the two logical CPU
devices (or the two worker processes) share the same two cores, so there is no extra compute,
while each step now also splits the batch, runs two replicas' kernels on half-sized batches
(less efficient per example), and all-reduces the gradients (through a host copy for logical
devices, through gRPC on 127.0.0.1 for workers). Data parallelism pays where each replica has a
device of its own (a GPU per replica, a machine per worker): see README "Scaling out".

    python benchmarks/distribute.py [--steps 20] [--epochs 3] [--tolerance 0.02]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def config(steps: int, epochs: int, distribute: dict) -> dict:
    return {
        "name": "bench",
        "seed": 42,
        "data": {
            "source": "mnist",
            "limit": {"train": 10000, "test": 100},
            "preprocess": {"reshape": [28, 28, 1], "scale": 255, "one_hot": 10},
        },
        "model": {
            "input_shape": [28, 28, 1],
            "layers": [
                {"Conv2D": {"filters": 16, "kernel_size": 3, "activation": "relu"}},
                {"MaxPooling2D": {"pool_size": 2}},
                "Flatten",
                {"Dense": {"units": 128, "activation": "relu"}},
                {"Dense": {"units": 10, "activation": "softmax"}},
            ],
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.002}},
            "loss": "categorical_crossentropy",
        },
        "fit": {"epochs": epochs, "batch_size": 128, "steps_per_epoch": steps, "shuffle": False},
        "evaluate": {"enabled": False},
        "distribute": distribute,
    }


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run(side: str, settings: dict, workdir: Path, processes: int = 1) -> dict:
    """Runs one side to the end; returns the chief's history and run record."""
    path = workdir / f"{side}.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    ports = free_ports(processes)
    started = []
    for index in range(processes):
        env = {**os.environ}
        if processes > 1:
            env["TF_CONFIG"] = json.dumps(
                {
                    "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                    "task": {"type": "worker", "index": index},
                }
            )
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kerascli",
                    "train",
                    str(path),
                    "--quiet",
                    "--runs-dir",
                    str(workdir / f"runs-{side}-{index}"),
                ],
                cwd=ROOT,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    for process in started:
        _, stderr = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(f"{side} failed:\n{stderr[-3000:]}")
    (run_dir,) = (workdir / f"runs-{side}-0").iterdir()
    return {
        "history": json.loads((run_dir / "history.json").read_text()),
        "record": json.loads((run_dir / "run.json").read_text()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--tolerance", type=float, default=0.02, help="largest relative loss difference accepted"
    )
    args = parser.parse_args()
    sides = {
        "one device": ({"strategy": "none"}, 1),
        "mirrored, 2 logical CPUs": ({"strategy": "mirrored", "devices": 2}, 1),
        "2 local workers": ({"strategy": "multi_worker", "join_timeout": 300}, 2),
    }
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for index, (side, (distribute, processes)) in enumerate(sides.items()):
            print(f"running {side} ...", file=sys.stderr, flush=True)
            results[side] = run(
                f"side{index}",
                config(args.steps, args.epochs, distribute),
                Path(directory),
                processes,
            )
    reference = results["one device"]["history"]["loss"]
    print(
        f"{args.epochs} epochs x {args.steps} steps, global batch 128, tutorial CNN, "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"{'':26}{'replicas':>9}{'loss per epoch':>28}{'max rel diff':>14}{'steps/s':>9}")
    for side, result in results.items():
        losses = result["history"]["loss"]
        worst = max(abs(a - b) / abs(b) for a, b in zip(losses, reference))
        later = result["record"]["epoch_seconds"][1:] or result["record"]["epoch_seconds"]
        rate = args.steps * len(later) / sum(later)
        print(
            f"{side:26}{result['record']['distribute']['replicas']:>9}"
            f"{' '.join(f'{loss:.4f}' for loss in losses):>28}{worst:>14.2e}{rate:>9.1f}"
        )
        if worst > args.tolerance:
            raise SystemExit(
                f"{side}: the losses differ by {worst:.2%}, more than the "
                f"{args.tolerance:.0%} accepted"
            )
    print(f"losses agree within {args.tolerance:.0%}")


if __name__ == "__main__":
    main()
