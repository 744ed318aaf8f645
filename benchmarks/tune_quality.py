"""Benchmark: how good kerascli's sweeps are, and what a trial costs beyond its training.

Three checks, each printed side by side with its baseline:

- ``quality``: TPE (as ``kerascli tune`` configures it) against a 30-point grid (6 learning rates,
  log-spaced, x 5 hidden-unit counts) on a small MNIST MLP. Target: TPE's best within 0.01 of the
  grid's best validation accuracy in at most 12 trials, in 2 of 3 seeds.
- ``pruning``: the same random-sampled sweep with and without the median pruner. Target: at
  least 25% fewer epochs trained, the best value within 0.01 of the unpruned sweep.
- ``overhead``: ``kerascli tune`` of N one-epoch trials against N ``kerascli train`` processes of
  the same config run one after another, and against the same fit in a hand-written Keras loop.
  Target: the sweep's cost per trial beyond ``kerascli train``'s at most 10% of a trial's time.

``quality`` and ``pruning`` train in this process, with a hand-written Keras objective and the
sampler and pruner that ``kerascli.tuning.study`` builds (so they measure the search, not process
starts); ``overhead`` runs the real CLI.

    python benchmarks/tune_quality.py quality [--limit 6000] [--epochs 2] [--seeds 3]
    python benchmarks/tune_quality.py pruning [--limit 6000] [--epochs 4] [--trials 12]
    python benchmarks/tune_quality.py overhead [--limit 60000] [--trials 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerascli.config.tune import TuneConfig  # noqa: E402
from kerascli.tuning import study as studies  # noqa: E402

LR, UNITS = "compile.optimizer.learning_rate", "model.layers[1].Dense.units"
GRID_LR = [float(v) for v in np.geomspace(1e-4, 1e-1, 6)]
GRID_UNITS = [16, 32, 64, 128, 256]


def mnist(limit: int):
    from kerascli.data.idx import read_idx

    folder = ROOT / "data" / "mnist"
    x = read_idx(folder / "train-images-idx3-ubyte.gz")[:limit].reshape(-1, 784) / 255.0
    y = read_idx(folder / "train-labels-idx1-ubyte.gz")[:limit]
    cut = limit // 6  # the first sixth validates
    return (x[cut:], y[cut:]), (x[:cut], y[:cut])


def fit(data, lr: float, units: int, epochs: int, callbacks=()) -> tuple[float, int]:
    """A hand-written Keras MLP: its best validation accuracy and the epochs it trained."""
    import keras

    (x, y), (xv, yv) = data
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x,
        y,
        batch_size=128,
        epochs=epochs,
        validation_data=(xv, yv),
        verbose=0,
        callbacks=list(callbacks),
    ).history
    return max(history["val_accuracy"]), len(history["val_accuracy"])


def tune_config(sampler: str, trials: int, pruner: str = "none") -> TuneConfig:
    return TuneConfig.model_validate(
        {
            "metric": "val_accuracy",
            "trials": trials,
            "sampler": sampler,
            "pruner": pruner,
            "space": {
                LR: {"low": 1.0e-4, "high": 1.0e-1, "log": True},
                UNITS: {"low": 16, "high": 256, "step": 16},
            },
        }
    )


def search(data, tune: TuneConfig, seed: int, epochs: int) -> tuple[list[float], int]:
    """A study as kerascli runs it, in this process: values per trial, epochs trained."""
    import keras

    optuna = studies.optuna_module()
    study = studies.open_study(
        optuna.storages.InMemoryStorage(), "bench", tune, "maximize", seed, epochs
    )
    space = studies.distributions(tune)
    values, trained = [], 0
    while (trial := studies.next_trial(study, tune.trials, space)) is not None:

        class Report(keras.callbacks.Callback):
            pruned = False

            def on_epoch_end(self, epoch, logs=None):
                trial.report(logs["val_accuracy"], epoch + 1)
                if tune.pruner != "none" and trial.should_prune():
                    self.pruned = self.model.stop_training = True

        report = Report()
        value, ran = fit(data, trial.params[LR], trial.params[UNITS], epochs, [report])
        trained += ran
        if report.pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, value)
            values.append(value)
    return values, trained


def quality(args) -> None:
    data = mnist(args.limit)
    started = time.perf_counter()
    grid = {
        (lr, units): fit(data, lr, units, args.epochs)[0]
        for lr, units in itertools.product(GRID_LR, GRID_UNITS)
    }
    best_point = max(grid, key=grid.get)
    print(
        f"grid: 30 points, best {grid[best_point]:.4f} at lr {best_point[0]:.2g} units "
        f"{best_point[1]} ({time.perf_counter() - started:.0f} s)"
    )
    hits = 0
    for seed in range(args.seeds):
        values, _ = search(data, tune_config("tpe", 12), seed, args.epochs)
        best = max(values)
        hit = best >= grid[best_point] - 0.01
        hits += hit
        print(
            f"tpe seed {seed}: 12 trials, best {best:.4f} "
            f"({best - grid[best_point]:+.4f} vs grid) {'within 0.01' if hit else 'MISSED'}"
        )
    print(f"tpe within 0.01 of the grid's best in {hits} of {args.seeds} seeds (target: 2 of 3)")


def pruning(args) -> None:
    data = mnist(args.limit)
    full, full_epochs = search(data, tune_config("random", args.trials), 0, args.epochs)
    cut, cut_epochs = search(data, tune_config("random", args.trials, "median"), 0, args.epochs)
    saved = 1 - cut_epochs / full_epochs
    print(f"unpruned: {full_epochs} epochs, best {max(full):.4f}")
    print(f"median:   {cut_epochs} epochs, best {max(cut):.4f}")
    print(
        f"epochs cut {saved:.0%} (target >= 25%), best {max(cut) - max(full):+.4f} "
        "(target within 0.01)"
    )


def overhead(args) -> None:
    from tests.conftest import tiny_config

    work = Path(tempfile.mkdtemp(prefix="kerascli-tune-bench-"))
    config = tiny_config(name="bench", seed=1)
    config["data"]["train"] = {
        "images": str(ROOT / "data/mnist/train-images-idx3-ubyte.gz"),
        "labels": str(ROOT / "data/mnist/train-labels-idx1-ubyte.gz"),
    }
    config["data"]["limit"] = {"train": args.limit, "test": 1000}
    config["data"]["validation"] = {"first": 5000}
    config["model"]["layers"][1]["Dense"]["units"] = 128
    config["fit"] = {"epochs": 1, "batch_size": 128}
    config["evaluate"] = {"enabled": False}
    config["tune"] = {
        "metric": "val_accuracy",
        "trials": args.trials,
        "sampler": "random",
        "space": {LR: [0.001]},
    }
    path = work / "bench.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cli = [sys.executable, "-m", "kerascli"]

    started = time.perf_counter()
    for _ in range(args.trials):
        subprocess.run(
            [*cli, "train", str(path), "--runs-dir", str(work / "train"), "-q"],
            check=True,
            env=env,
            capture_output=True,
        )
    train_each = (time.perf_counter() - started) / args.trials
    started = time.perf_counter()
    subprocess.run(
        [*cli, "tune", str(path), "--runs-dir", str(work / "tune")],
        check=True,
        env=env,
        capture_output=True,
    )
    tune_each = (time.perf_counter() - started) / args.trials
    epoch = np.mean(
        [json.loads(p.read_text())["epoch_seconds"][0] for p in work.glob("train/*/run.json")]
    )
    print(
        f"kerascli train, one process per trial: {train_each:.2f} s per trial "
        f"(its one epoch: {epoch:.2f} s)"
    )
    print(f"kerascli tune, {args.trials} trials:        {tune_each:.2f} s per trial")
    print(
        f"sweep overhead per trial: {tune_each - train_each:+.2f} s = "
        f"{(tune_each - train_each) / train_each:+.1%} of a trial (target <= 10%); process "
        f"start and data loading: {train_each - epoch:.2f} s = "
        f"{(train_each - epoch) / train_each:.0%} of a trial"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("check", choices=["quality", "pruning", "overhead"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    defaults = {
        "quality": {"limit": 6000, "epochs": 2, "trials": 12},
        "pruning": {"limit": 6000, "epochs": 4, "trials": 12},
        "overhead": {"limit": 60000, "epochs": 1, "trials": 3},
    }[args.check]
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    {"quality": quality, "pruning": pruning, "overhead": overhead}[args.check](args)


if __name__ == "__main__":
    main()
