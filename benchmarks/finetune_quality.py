"""Benchmark: fine-tuning in one run (`fit.stages`, `weights: RUN_DIR`) vs. the Keras guide by
hand vs. training from scratch.

Two image sets are written: A (pretraining: stripes across, stripes down, checkerboards) and B
(fine-tuning: diagonal stripes both ways, dots, rings), each image a random colour, phase and
noise, so that edge and texture features learnt on A help on B. Then, each side in its own process:

1. pretrain: `kerascli train` MobileNetV2 (`weights: null`, `batchnorm_momentum: 0.9`) on A;
2. kerascli staged: on B, `weights: RUN_DIR` (the pretraining run), stage 1 the head alone, stage
   2 the backbone's last layers opened at a 10x lower learning rate;
3. by hand, after the Keras guide "Transfer learning & fine-tuning": the pretraining run's
   backbone loaded from its model.keras, `base(x, training=False)`, the head trained, then the same
   layers unfrozen, recompiled with Adam(1e-4) and trained on;
4. scratch: `kerascli train` the same model from `weights: null` on B for all the epochs.

It prints test accuracy of each (bars: staged within 1 point of by hand, above scratch) and the
validation accuracy at the end of stage 1 and after the first epoch of stage 2 (bar: drops by at
most 1 point: the BatchNormalization trap makes it fall to chance).

    python benchmarks/finetune_quality.py [--size 32] [--train 60] [--pretrain-epochs 6]
                                          [--head-epochs 3] [--fine-epochs 3]
    python benchmarks/finetune_quality.py --families   # scaling per family, Keras vs ONNX

`--families` checks, for MobileNetV2, ResNet50, EfficientNetB0, InceptionV3, ConvNeXtTiny, VGG16
and DenseNet121, that the scaling layer kerascli puts in front of the backbone equals
`keras.applications.<family>.preprocess_input` on the same pixels, and that a model holding it,
exported to ONNX and run by onnxruntime, answers as Keras does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BACKBONE = {"include_top": False, "alpha": 0.35, "pooling": "avg", "name": "backbone"}
UNFREEZE_LAST = 20
COMPILE = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "jit_compile": False}


def _pattern(kind: str, size: int, rng) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(float)
    period, phase = rng.uniform(4, 8), rng.uniform(0, 2 * np.pi)
    wave = {
        "across": np.sin(2 * np.pi * y / period + phase),
        "down": np.sin(2 * np.pi * x / period + phase),
        "checker": np.sign(np.sin(2 * np.pi * x / period + phase) * np.sin(2 * np.pi * y / period)),
        "diag": np.sin(2 * np.pi * (x + y) / period / 1.4 + phase),
        "antidiag": np.sin(2 * np.pi * (x - y) / period / 1.4 + phase),
        "dots": np.cos(2 * np.pi * x / period + phase) * np.cos(2 * np.pi * y / period + phase),
        "rings": np.sin(
            2 * np.pi * np.hypot(x - rng.uniform(0, size), y - rng.uniform(0, size)) / period
        ),
    }[kind]
    colour, ground = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    mix = (wave[..., None] + 1) / 2
    image = mix * colour + (1 - mix) * ground + rng.normal(0, 25, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def write_set(root: Path, kinds: list[str], counts: dict[str, int], size: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for split, count in counts.items():
        for kind in kinds:
            folder = root / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                Image.fromarray(_pattern(kind, size, rng)).save(folder / f"{index}.png")
    return root


def config(path: Path, size: int, classes: int, layer: dict, fit: dict, name: str) -> dict:
    return {
        "name": name,
        "seed": 1,
        "data": {"source": "images", "path": str(path), "image_size": [size, size]},
        "model": {
            "layers": [
                {"MobileNetV2": layer},
                {"Dense": {"units": classes, "activation": "softmax"}},
            ]
        },
        "compile": COMPILE,
        "fit": {"batch_size": 16, **fit},
    }


def kerascli_train(work: Path, data: dict) -> tuple[Path, float]:
    path = work / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kerascli",
            "train",
            str(path),
            "-q",
            "--runs-dir",
            str(work / "runs"),
        ],
        check=True,
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    run = max((work / "runs").glob(f"{data['name']}-*"), key=lambda p: p.stat().st_mtime)
    return run, seconds


BY_HAND = r"""
import json, sys
import keras
src, data, size, classes, head, fine, last = sys.argv[1:8]
size, classes, head, fine, last = int(size), int(classes), int(head), int(fine), int(last)
keras.utils.set_random_seed(1)
def load(split, shuffle):
    return keras.utils.image_dataset_from_directory(
        f"{data}/{split}", image_size=(size, size), batch_size=16, shuffle=shuffle, seed=1,
        verbose=False)
train, val, test = load("train", True), load("val", False), load("test", False)
earlier = keras.saving.load_model(f"{src}/model.keras", safe_mode=True)
base = earlier.get_layer("backbone")
base.trainable = False
inputs = keras.Input((size, size, 3))
x = base(inputs, training=False)          # BatchNormalization stays in inference mode
outputs = keras.layers.Dense(classes, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"],
              jit_compile=False)
h1 = model.fit(train, validation_data=val, epochs=head, verbose=0)
base.trainable = True
for layer in base.layers[:-last]:
    layer.trainable = False
model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"],
              jit_compile=False)
h2 = model.fit(train, validation_data=val, epochs=head + fine, initial_epoch=head, verbose=0)
_, accuracy = model.evaluate(test, verbose=0)
val = h1.history["val_accuracy"] + h2.history["val_accuracy"]
print(json.dumps({"test": accuracy, "val": val}))
"""


FAMILIES = [
    "MobileNetV2",
    "ResNet50",
    "EfficientNetB0",
    "InceptionV3",
    "ConvNeXtTiny",
    "VGG16",
    "DenseNet121",
]


def families() -> None:
    """Each family's scaling layer vs. its preprocess_input, and vs. the same model in ONNX."""
    import importlib

    import keras
    import onnxruntime

    sys.path.insert(0, str(ROOT))
    from kerascli.models.backbone_inputs import preprocess_layer

    pixels = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as scratch:
        for family in FAMILIES:
            module = importlib.import_module(getattr(keras.applications, family).__module__)
            expected = np.asarray(module.preprocess_input(pixels.copy()))
            layer = preprocess_layer(family, "backbone", 3)
            got = pixels if layer is None else np.asarray(layer(pixels))
            line = f"{family:15s} {type(layer).__name__ if layer else 'none':10s} "
            line += f"max |layer - preprocess_input| {np.abs(got - expected).max():.2e}"
            if layer is not None:
                model = keras.Sequential(
                    [
                        keras.Input((32, 32, 3)),
                        layer,
                        keras.layers.Conv2D(4, 3),
                        keras.layers.Flatten(),
                    ]
                )
                path = Path(scratch) / f"{family}.onnx"
                spec = keras.InputSpec(shape=(None, 32, 32, 3), dtype="float32")
                model.export(str(path), format="onnx", verbose=False, input_signature=[spec])
                session = onnxruntime.InferenceSession(str(path))
                name = session.get_inputs()[0].name
                onnx = session.run(None, {name: pixels})[0]
                keras_out = np.asarray(model(pixels))
                line += f"; max |ONNX - Keras| {np.abs(onnx - keras_out).max():.2e}"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", action="store_true", help="only the scaling per family")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--train", type=int, default=60, help="training images per class")
    parser.add_argument("--pretrain-epochs", type=int, default=6)
    parser.add_argument("--head-epochs", type=int, default=3)
    parser.add_argument("--fine-epochs", type=int, default=3)
    args = parser.parse_args()
    if args.families:
        families()
        return
    size, head, fine = args.size, args.head_epochs, args.fine_epochs
    counts = {"train": args.train, "val": max(args.train // 4, 8), "test": max(args.train // 2, 16)}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        set_a = write_set(work / "a", ["across", "down", "checker"], counts, size, 0)
        set_b = write_set(work / "b", ["diag", "antidiag", "dots", "rings"], counts, size, 1)
        pretrain = config(
            set_a,
            size,
            3,
            {**BACKBONE, "weights": None, "batchnorm_momentum": 0.9},
            {"epochs": args.pretrain_epochs},
            "pretrain",
        )
        source, seconds = kerascli_train(work, pretrain)
        pre = json.loads((source / "run.json").read_text())["final_metrics"]
        print(f"pretrain on A: test accuracy {pre.get('test_accuracy', 0):.3f} ({seconds:.0f} s)")

        stages = [
            {"epochs": head},
            {"epochs": fine, "unfreeze": {"last": UNFREEZE_LAST}, "learning_rate": 1.0e-4},
        ]
        staged_config = config(
            set_b,
            size,
            4,
            {**BACKBONE, "weights": str(source), "trainable": False},
            {"stages": stages},
            "staged",
        )
        staged, seconds = kerascli_train(work, staged_config)
        record = json.loads((staged / "run.json").read_text())
        history = json.loads((staged / "history.json").read_text())
        staged_test = record["final_metrics"]["test_accuracy"]
        drop = history["val_accuracy"][head - 1] - history["val_accuracy"][head]
        print(
            f"kerascli staged on B: test {staged_test:.3f} ({seconds:.0f} s); val accuracy "
            f"end of stage 1 {history['val_accuracy'][head - 1]:.3f}, first epoch of stage 2 "
            f"{history['val_accuracy'][head]:.3f} (drop {100 * drop:+.1f} points, bar <= 1)"
        )

        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                BY_HAND,
                str(source),
                str(set_b),
                str(size),
                "4",
                str(head),
                str(fine),
                str(UNFREEZE_LAST),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        hand = json.loads(done.stdout.strip().splitlines()[-1])
        hand_drop = hand["val"][head - 1] - hand["val"][head]
        print(
            f"by hand (Keras guide) on B: test {hand['test']:.3f} "
            f"({time.perf_counter() - start:.0f} s); val drop at stage 2 "
            f"{100 * hand_drop:+.1f} points"
        )

        scratch_config = config(
            set_b,
            size,
            4,
            {**BACKBONE, "weights": None, "batchnorm_momentum": 0.9},
            {"epochs": head + fine},
            "scratch",
        )
        run, seconds = kerascli_train(work, scratch_config)
        scratch_test = json.loads((run / "run.json").read_text())["final_metrics"]["test_accuracy"]
        print(f"scratch on B ({head + fine} epochs): test {scratch_test:.3f} ({seconds:.0f} s)")
        print(
            f"staged - by hand: {100 * (staged_test - hand['test']):+.1f} points (bar: within 1); "
            f"staged - scratch: {100 * (staged_test - scratch_test):+.1f} points (bar: > 0)"
        )


if __name__ == "__main__":
    main()
