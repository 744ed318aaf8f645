"""Benchmark: the seed CNN's epoch time with and without MLflow tracking, side by side.

Trains configs/mnist_cnn.yaml (EarlyStopping off, `--epochs` epochs on the first `--train`
MNIST training images) in this one process, `--rounds` times untracked and tracked in turn, and
compares the epoch times `run.json` records (`epoch_seconds`, training and validation, the first
epoch of each run left out: it traces the step). Tracking sends each epoch from a background
thread, so the target is at most 2% more per epoch. It also prints what tracking costs outside
the epochs (MLflow's import, the run's creation, the artifacts at the end), and checks that the
MLflow run's metrics equal `history.csv`: every key, every epoch.

    python benchmarks/tracking_overhead.py [--epochs 3] [--train 6000] [--rounds 2]
        [--uri sqlite:///...]   # default: a fresh SQLite store in a temporary folder
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train_once(runs_dir: Path, args, uri: str | None):
    from kerascli.backend import import_keras

    import_keras()  # quietly, as the CLI does
    from kerascli.commands.train import train
    from kerascli.config.loading import load_config

    overrides = [
        f"fit.epochs={args.epochs}",
        "fit.callbacks=[]",
        f"data.limit.train={args.train}",
        "data.limit.test=1000",
    ]
    config = load_config([ROOT / "configs" / "mnist_cnn.yaml"], overrides)
    if uri is not None:
        from kerascli.config.track import MlflowTrack, TrackConfig

        track = TrackConfig(mlflow=MlflowTrack(uri=uri, experiment="tracking-overhead"))
        config = config.model_copy(update={"track": track})
    started = time.perf_counter()
    result = train(config, runs_dir=runs_dir, quiet=True, console=Console(file=io.StringIO()))
    wall = time.perf_counter() - started
    record = json.loads((result.run_dir / "run.json").read_text())
    return result.run_dir, record, wall


class Costs:
    """What tracking itself spends: the hand-over in the training thread, and the sending
    thread's CPU and wall time (a bound on what it can take from the epochs, whatever the
    machine's other load)."""

    def __init__(self):
        self.handover, self.send_cpu, self.send_wall, self.epochs = 0.0, 0.0, 0.0, 0

    def install(self) -> None:
        from kerascli.tracking.session import MlflowSession

        handover, send = MlflowSession.epoch_ended, MlflowSession._send_epochs
        costs = self

        def epoch_ended(session, epoch):
            started = time.perf_counter()
            handover(session, epoch)
            costs.handover += time.perf_counter() - started
            costs.epochs += 1

        def send_epochs(session):
            cpu, wall = time.thread_time(), time.perf_counter()
            send(session)
            costs.send_cpu += time.thread_time() - cpu
            costs.send_wall += time.perf_counter() - wall

        MlflowSession.epoch_ended, MlflowSession._send_epochs = epoch_ended, send_epochs


def history_csv(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    with (run_dir / "history.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        key: [(int(row["epoch"]), float(row[key])) for row in rows if row[key] != ""]
        for key in rows[0]
        if key != "epoch"
    }


def metrics_equal_history(run_dir: Path, record: dict) -> bool:
    from mlflow import MlflowClient

    tracking = record["tracking"]
    client = MlflowClient(tracking["uri"])
    expected = history_csv(run_dir)
    for key, points in expected.items():
        got = sorted((m.step, m.value) for m in client.get_metric_history(tracking["run_id"], key))
        if got != points:
            print(f"  {key}: MLflow {got} != history.csv {points}")
            return False
    logged = {key for key in client.get_run(tracking["run_id"]).data.metrics}
    return {key for key in logged if not key.startswith("test_")} == set(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--uri", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascli-track-bench-") as scratch:
        scratch = Path(scratch)
        uri = args.uri or f"sqlite:///{scratch / 'mlflow.db'}"
        epochs = {"untracked": [], "tracked": []}
        walls = {"untracked": [], "tracked": []}
        equal = True
        costs = Costs()
        costs.install()
        for round_index in range(args.rounds):
            # Alternating which side goes first cancels a drift in the machine's load.
            sides = ("untracked", "tracked") if round_index % 2 == 0 else ("tracked", "untracked")
            for side in sides:
                run_dir, record, wall = train_once(
                    scratch / "runs", args, uri if side == "tracked" else None
                )
                epochs[side] += record["epoch_seconds"][1:]
                walls[side].append(wall)
                print(
                    f"round {round_index + 1} {side:9s}: epochs "
                    f"{', '.join(f'{s:.2f}' for s in record['epoch_seconds'])} s; run {wall:.1f} s"
                )
                if side == "tracked":
                    equal = metrics_equal_history(run_dir, record) and equal
        plain = statistics.median(epochs["untracked"])
        tracked = statistics.median(epochs["tracked"])
        print(
            f"\nseed CNN, {args.train} images, epochs after the first ({uri.split(':')[0]} store):"
        )
        print(f"  {'':28s}{'untracked':>12s}{'tracked':>12s}")
        print(f"  {'median epoch (s)':28s}{plain:12.3f}{tracked:12.3f}")
        print(f"  {'epoch overhead':28s}{'':12s}{(tracked / plain - 1) * 100:+11.1f}%")
        extra = statistics.median(walls["tracked"]) - statistics.median(walls["untracked"])
        print(
            f"  {'whole run, median (s)':28s}{statistics.median(walls['untracked']):12.1f}"
            f"{statistics.median(walls['tracked']):12.1f}  (start and end: {extra:+.1f} s)"
        )
        per = max(costs.epochs, 1)
        print(
            f"  tracking's own cost per epoch: hand-over {costs.handover / per * 1e6:.0f} us in "
            f"the training thread; sending {costs.send_cpu / per * 1e3:.1f} ms CPU "
            f"({costs.send_wall / per * 1e3:.1f} ms wall) in its own thread = "
            f"{(costs.handover + costs.send_cpu) / per / plain * 100:.2f}% of an epoch at most"
        )
        print(f"  MLflow metrics equal history.csv (every key, every epoch): {equal}")
        if not equal:
            sys.exit(1)


if __name__ == "__main__":
    main()
