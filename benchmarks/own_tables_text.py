"""Benchmark: own data through kerascli vs. the same model written by hand with Keras' utilities.

Two cases, each on the same synthetic files (written once, `benchmarks/own_data_files.py`), the same
network, the same epochs and batch size, each side in its own fresh process, alternating A/B:

- table: a weather CSV (20,000 training rows, 5,000 test rows, six feature columns, four classes)
  through `FeatureSpace` (float_normalized, string_categorical, integer_categorical) into
  Dense 32 - Dense 4. By hand as the keras.io FeatureSpace example does it: the CSV read into
  columns, `FeatureSpace.adapt` on the training set, `dataset.map(feature_space)` into `fit`.
- text: a folder of 4,000 training and 1,000 test reviews read with
  `text_dataset_from_directory`, TextVectorization (adapted on the training texts) - Embedding 16 -
  GlobalAveragePooling1D - Dense 2, as the keras.io text classification examples do it.

It prints, side by side, the test accuracy and the epoch time (median of the epochs after the
first, which traces the step). The bars: accuracy within 2 points, epoch time ratio <= 1.1.

    python benchmarks/own_tables_text.py [--repeats 1] [--epochs 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from own_data_files import WEATHER_COLUMNS, write_reviews, write_weather  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BATCH = 32
FEATURES = {
    "temperature": "float_normalized",
    "humidity": "float_normalized",
    "pressure": "float_normalized",
    "wind": "string_categorical",
    "month": "integer_categorical",
    "station": "string_categorical",
}

# The hand-written side: what a Keras user writes from the keras.io examples.
PLAIN_KERAS = r"""
import csv, json, sys, time
import numpy as np
import keras
import tensorflow as tf

case, data, epochs, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
keras.utils.set_random_seed(42)
times = []

class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.start)

if case == "table":
    FS = keras.utils.FeatureSpace
    kinds = json.loads(sys.argv[5])
    def read(path):
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        columns = {}
        for name, kind in kinds.items():
            values = [row[name] for row in rows]
            columns[name] = (np.array(values, dtype="float32") if kind.startswith("float") else
                             np.array(values, dtype="int64") if kind.startswith("integer") else
                             np.array(values))
        return columns, [row["weather"] for row in rows]
    x_train, y_train = read(f"{data}/train.csv")
    x_test, y_test = read(f"{data}/test.csv")
    classes = sorted(set(y_train))
    y_train = np.array([classes.index(v) for v in y_train])
    y_test = np.array([classes.index(v) for v in y_test])
    feature_space = FS(features={name: getattr(FS, kind)() for name, kind in kinds.items()},
                       output_mode="concat")
    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    feature_space.adapt(train_ds.map(lambda x, _: x).batch(4096))
    train_ds = (train_ds.shuffle(len(y_train), seed=42).batch(batch)
                .map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))
    test_ds = (tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)
               .map(lambda x, y: (feature_space(x), y)))
    width = feature_space.get_encoded_features().shape[-1]
    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(4, activation="softmax")])
    learning_rate = 0.005
else:
    train_ds = keras.utils.text_dataset_from_directory(f"{data}/train", batch_size=batch, seed=42,
                                                       verbose=False)
    test_ds = keras.utils.text_dataset_from_directory(f"{data}/test", batch_size=256,
                                                      shuffle=False, verbose=False)
    vectorize = keras.layers.TextVectorization(max_tokens=2000, output_sequence_length=64)
    vectorize.adapt(train_ds.map(lambda x, _: x))
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize,
                              keras.layers.Embedding(2000, 16),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2, activation="softmax")])
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    learning_rate = 0.003
model.compile(optimizer=keras.optimizers.Adam(learning_rate),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=epochs, verbose=0, callbacks=[EpochTimer()])
accuracy = model.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"]
print(json.dumps({"epoch_seconds": times, "test_accuracy": accuracy}))
"""


def kerascli_config(case: str, data: Path, epochs: int) -> dict:
    """The same network as the hand-written side, as a kerascli config."""
    if case == "table":
        source = {
            "source": "csv",
            "train": str(data / "train.csv"),
            "test": str(data / "test.csv"),
            "target": "weather",
            "features": FEATURES,
        }
        layers = [
            {"Dense": {"units": 32, "activation": "relu"}},
            {"Dense": {"units": 4, "activation": "softmax"}},
        ]
        learning_rate = 0.005
    else:
        source = {"source": "text", "path": str(data)}
        layers = [
            {"TextVectorization": {"max_tokens": 2000, "output_sequence_length": 64}},
            {"Embedding": {"input_dim": 2000, "output_dim": 16}},
            "GlobalAveragePooling1D",
            {"Dense": {"units": 2, "activation": "softmax"}},
        ]
        learning_rate = 0.003
    return {
        "name": f"bench_{case}",
        "seed": 42,
        "data": source,
        "model": {"layers": layers},
        "compile": {
            "optimizer": {"Adam": {"learning_rate": learning_rate}},
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": epochs, "batch_size": BATCH},
    }


def steady(seconds: list[float]) -> float:
    """The median epoch time after the first epoch (which traces and compiles the step)."""
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def run_plain(case: str, data: Path, epochs: int, environment) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PLAIN_KERAS,
            case,
            str(data),
            str(epochs),
            str(BATCH),
            json.dumps(FEATURES),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "epoch": steady(figures["epoch_seconds"]),
        "first": figures["epoch_seconds"][0],
        "accuracy": figures["test_accuracy"],
        "wall": time.perf_counter() - start,
    }


def run_kerascli(case: str, data: Path, epochs: int, scratch: Path, environment) -> dict:
    config = scratch / f"{case}.yaml"
    config.write_text(yaml.safe_dump(kerascli_config(case, data, epochs)), encoding="utf-8")
    runs = scratch / f"runs_{case}"
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kerascli",
            "train",
            str(config),
            "--quiet",
            "--runs-dir",
            str(runs),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    newest = max(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    record = json.loads((newest / "run.json").read_text())
    return {
        "epoch": steady(record["epoch_seconds"]),
        "first": record["epoch_seconds"][0],
        "accuracy": record["final_metrics"]["test_accuracy"],
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side (default 1)")
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run (default 8)")
    args = parser.parse_args()
    environment = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        table = scratch / "table"
        table.mkdir()
        write_weather(table / "train.csv", 20000, seed=1)
        write_weather(table / "test.csv", 5000, seed=2)
        texts = write_reviews(scratch / "reviews", {"train": 2000, "test": 500}, seed=3)
        assert WEATHER_COLUMNS[-1] == "weather"
        for case, data in (("table", table), ("text", texts)):
            plain, ours = [], []
            for repeat in range(args.repeats):
                plain.append(run_plain(case, data, args.epochs, environment))
                ours.append(run_kerascli(case, data, args.epochs, scratch, environment))
                print(
                    f"{case} round {repeat + 1}: plain {plain[-1]} | kerascli {ours[-1]}",
                    flush=True,
                )
            results[case] = (plain, ours)

    def median(rows, key):
        return statistics.median(row[key] for row in rows)

    print(
        f"\n{args.epochs} epochs, batch {BATCH}, median of {args.repeats} run(s) per side; "
        "epoch = median epoch time after the first"
    )
    print(
        f"{'case':7}{'side':22}{'test acc':>10}{'epoch (s)':>11}{'1st epoch (s)':>15}"
        f"{'wall (s)':>10}"
    )
    for case, (plain, ours) in results.items():
        for label, rows in (("hand-written Keras", plain), ("kerascli train", ours)):
            print(
                f"{case:7}{label:22}{median(rows, 'accuracy'):>10.4f}{median(rows, 'epoch'):>11.3f}"
                f"{median(rows, 'first'):>15.3f}{median(rows, 'wall'):>10.1f}"
            )
        gap = 100 * (median(ours, "accuracy") - median(plain, "accuracy"))
        ratio = median(ours, "epoch") / median(plain, "epoch")
        print(
            f"{case:7}accuracy gap {gap:+.2f} points (bar: within 2); epoch ratio "
            f"kerascli/hand-written {ratio:.3f} (bar: <= 1.1)"
        )


if __name__ == "__main__":
    main()
