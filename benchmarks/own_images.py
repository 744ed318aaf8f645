"""Benchmark: a folder of PNGs through kerascli vs. the same model by hand with Keras' own utility.

The data is real: MNIST digits (from data/mnist) written as PNG files into class folders
(`train/<digit>/*.png`, `test/<digit>/*.png`). Both sides train the same small CNN (Conv2D 16,
MaxPooling2D, Conv2D 32, MaxPooling2D, Flatten, Dense 10; Adam; sparse categorical cross-entropy;
batch 64) for the same epochs, each in its own fresh process:

- kerascli: `kerascli train` on a config with `source: images` (the images are decoded once by
  `image_dataset_from_directory` into memory, then batches are gathered from memory);
- by hand: `keras.utils.image_dataset_from_directory(...).map(x / 255).cache().prefetch()`, the
  Keras tutorial's pipeline, into `model.fit`.

It prints test accuracy (bar: within 2 points), epoch times (first epoch, which includes the hand
pipeline's decoding, and the mean of the later ones; bar: kerascli <= 1.1x), the whole command's
wall time, and the input pipeline's throughput (images per second delivered into `fit`, without
a model) for kerascli's pipeline, the tutorial pipeline and a hand-written `tf.data` pipeline
(`list_files`, `decode_png`, `map` AUTOTUNE, `cache`, `batch`, `prefetch`).

    python benchmarks/own_images.py [--train 5000] [--test 1000] [--epochs 3] [--repeats 3]
    python benchmarks/own_images.py --write-only data/mnist_png   # just the folder (for
                                                                 # configs/images_folder.yaml)
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

ROOT = Path(__file__).resolve().parents[1]
EPOCHS, BATCH = 3, 64

MODEL = r"""
import keras
def make_model():
    keras.utils.set_random_seed(42)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""

# The Keras tutorial's way: image_dataset_from_directory, rescale, cache, prefetch, fit.
BY_HAND = (
    MODEL
    + r"""
import json, sys, time
import tensorflow as tf
root, epochs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def folder(split, shuffle):
    ds = keras.utils.image_dataset_from_directory(
        f"{root}/{split}", color_mode="grayscale", image_size=(28, 28), batch_size=batch,
        shuffle=shuffle, seed=42, verbose=False)
    return ds.map(lambda x, y: (x / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE).cache() \
        .prefetch(tf.data.AUTOTUNE)
train, test = folder("train", True), folder("test", False)
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): seconds.append(time.perf_counter() - self.start)
seconds = []
model = make_model()
model.fit(train, epochs=epochs, verbose=0, callbacks=[Timer()])
loss, accuracy = model.evaluate(test, verbose=0)
print(json.dumps({"epoch_seconds": seconds, "test_accuracy": accuracy}))
"""
)

# Images per second each input pipeline delivers, cold (decoding files) and warm (an epoch after).
THROUGHPUT = r"""
import io, json, sys, time, contextlib
import tensorflow as tf, keras
root, batch = sys.argv[1], int(sys.argv[2])
def rate(dataset):
    start, count = time.perf_counter(), 0
    for x, _ in dataset:
        count += int(x.shape[0])
    return count / (time.perf_counter() - start)
figures = {}
# kerascli: decode once into memory (cold), then gather batches (warm).
from kerascli.config.loading import load_config
from kerascli.data.pipeline import make_dataset
from kerascli.data.preprocess import prepare
from kerascli.data.sources import load_splits
config = load_config(sys.argv[3])
start = time.perf_counter()
data = prepare(load_splits(config.data), config.data)
cold = len(data.x_train) / (time.perf_counter() - start)
ours = make_dataset(data.x_train, data.y_train, batch_size=batch, shuffle=True, seed=1)
rate(ours)
figures["kerascli"] = (cold, rate(ours))
# The tutorial pipeline.
tutorial = keras.utils.image_dataset_from_directory(
    f"{root}/train", color_mode="grayscale", image_size=(28, 28), batch_size=batch, seed=42,
    verbose=False).map(lambda x, y: (x / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE) \
    .cache().prefetch(tf.data.AUTOTUNE)
figures["image_dataset_from_directory"] = (rate(tutorial), rate(tutorial))
# tf.data by hand.
names = sorted(p.name for p in __import__("pathlib").Path(f"{root}/train").iterdir())
def load(path):
    label = tf.argmax(tf.cast(tf.equal(tf.strings.split(path, "/")[-2], names), tf.int32))
    image = tf.io.decode_png(tf.io.read_file(path), channels=1)
    return tf.cast(image, tf.float32) / 255.0, label
files = tf.data.Dataset.list_files(f"{root}/train/*/*.png", shuffle=True, seed=42)
manual = files.map(load, num_parallel_calls=tf.data.AUTOTUNE).cache().shuffle(1024, seed=1) \
    .batch(batch).prefetch(tf.data.AUTOTUNE)
figures["tf.data by hand"] = (rate(manual), rate(manual))
print(json.dumps(figures))
"""

CONFIG = """\
name: own_images
seed: 42
data: {{source: images, path: "{path}", image_size: [28, 28], color_mode: grayscale,
       preprocess: {{scale: 255}}}}
model:
  layers:
    - Conv2D: {{filters: 16, kernel_size: 3, activation: relu}}
    - MaxPooling2D: {{pool_size: 2}}
    - Conv2D: {{filters: 32, kernel_size: 3, activation: relu}}
    - MaxPooling2D: {{pool_size: 2}}
    - Flatten
    - Dense: {{units: 10, activation: softmax}}
compile: {{optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}}
fit: {{epochs: {epochs}, batch_size: {batch}}}
"""


def write_folder(root: Path, train: int, test: int) -> Path:
    """Writes the first `train` and `test` MNIST digits as PNGs into class folders."""
    from PIL import Image

    sys.path.insert(0, str(ROOT))
    from kerascli.data.idx import read_idx

    mnist = ROOT / "data" / "mnist"
    for split, prefix, count in (("train", "train", train), ("test", "t10k", test)):
        images = read_idx(mnist / f"{prefix}-images-idx3-ubyte.gz")[:count]
        labels = read_idx(mnist / f"{prefix}-labels-idx1-ubyte.gz")[:count]
        for digit in range(10):
            (root / split / str(digit)).mkdir(parents=True, exist_ok=True)
        for index, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image).save(root / split / str(label) / f"{index:05d}.png")
    return root


def run(code_or_args: list[str], environment, cwd=ROOT) -> tuple[str, float]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *code_or_args], capture_output=True, text=True, env=environment, cwd=cwd
    )
    if result.returncode:
        sys.exit(f"failed: {' '.join(code_or_args[:3])}\n{result.stderr[-2000:]}")
    return result.stdout, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5000, help="training PNGs (default 5000)")
    parser.add_argument("--test", type=int, default=1000, help="test PNGs (default 1000)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"default {EPOCHS}")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument(
        "--write-only", type=Path, metavar="DIR", help="only write the PNG folder to DIR and stop"
    )
    args = parser.parse_args()
    if args.write_only:
        write_folder(args.write_only, args.train, args.test)
        print(f"wrote {args.train} training and {args.test} test PNGs under {args.write_only}")
        return
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_folder(Path(scratch) / "digits", args.train, args.test)
        config = Path(scratch) / "own_images.yaml"
        config.write_text(CONFIG.format(path=folder, epochs=args.epochs, batch=BATCH))
        hands, ours = [], []
        for repeat in range(args.repeats):  # alternating, so that machine noise hits both
            out, wall = run(["-c", BY_HAND, str(folder), str(args.epochs), str(BATCH)], environment)
            hands.append({**json.loads(out.strip().splitlines()[-1]), "wall": wall})
            runs = Path(scratch) / f"runs{repeat}"
            _, wall = run(
                ["-m", "kerascli", "train", str(config), "--quiet", "--runs-dir", str(runs)],
                environment,
            )
            run_dir = next(runs.iterdir())
            record = json.loads((run_dir / "run.json").read_text())
            evaluation = json.loads((run_dir / "evaluation.json").read_text())
            ours.append(
                {
                    "epoch_seconds": record["epoch_seconds"],
                    "wall": wall,
                    "test_accuracy": evaluation["metrics"]["accuracy"],
                }
            )
            print(
                f"round {repeat + 1}: by hand {hands[-1]['epoch_seconds']} | kerascli "
                f"{ours[-1]['epoch_seconds']}",
                flush=True,
            )
        out, _ = run(["-c", THROUGHPUT, str(folder), str(BATCH), str(config)], environment)
        throughput = json.loads(out.strip().splitlines()[-1])

    def later(row):
        rest = row["epoch_seconds"][1:] or row["epoch_seconds"]
        return sum(rest) / len(rest)

    def median(rows, figure) -> float:
        return statistics.median(figure(row) for row in rows)

    first = lambda row: row["epoch_seconds"][0]  # noqa: E731
    hand = {
        key: median(hands, figure)
        for key, figure in (
            ("accuracy", lambda row: row["test_accuracy"]),
            ("first", first),
            ("later", later),
            ("wall", lambda row: row["wall"]),
        )
    }
    mine = {
        key: median(ours, figure)
        for key, figure in (
            ("accuracy", lambda row: row["test_accuracy"]),
            ("first", first),
            ("later", later),
            ("wall", lambda row: row["wall"]),
        )
    }

    print(
        f"\n{args.train} training and {args.test} test MNIST PNGs (28x28 grayscale), same CNN, "
        f"{args.epochs} epochs, batch {BATCH}; medians of {args.repeats} alternating runs"
    )
    print(f"{'':34}{'test acc':>10}{'epoch 1 (s)':>13}{'later (s)':>11}{'wall (s)':>10}")
    for label, row in (("by hand (image_dataset_from_dir)", hand), ("kerascli train", mine)):
        print(
            f"{label:34}{row['accuracy']:>10.4f}{row['first']:>13.2f}{row['later']:>11.2f}"
            f"{row['wall']:>10.1f}"
        )
    print(
        f"\naccuracy difference (kerascli - hand): "
        f"{100 * (mine['accuracy'] - hand['accuracy']):+.2f} points (bar: within 2)"
    )
    print(
        f"later-epoch time ratio kerascli / hand: {mine['later'] / hand['later']:.3f} (bar: <= 1.1)"
    )
    print(
        f"first-epoch time ratio kerascli / hand: {mine['first'] / hand['first']:.3f} (the hand "
        "pipeline decodes in its first epoch; kerascli before fit)"
    )
    print(
        f"wall time ratio kerascli / hand: {mine['wall'] / hand['wall']:.3f} (kerascli also "
        "checks every file with Pillow, plots, checkpoints and saves the model)"
    )
    print(f"\n{'input pipeline, images/s':34}{'cold (decode)':>15}{'warm (epoch 2)':>16}")
    for label, (cold, warm) in throughput.items():
        print(f"{label:34}{cold:>15,.0f}{warm:>16,.0f}")


if __name__ == "__main__":
    main()
