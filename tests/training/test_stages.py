"""`fit.stages` through the CLI: a backbone pretrained elsewhere (`weights: RUN_DIR`), its head
trained first, then its top opened at a lower learning rate; killed in stage 2 and resumed.

MobileNet at alpha 0.25 on 32x32 images is the smallest `keras.applications` model with
BatchNormalization; tracing its training step is most of each test's time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.colour_images import write_colour_folders
from tests.conftest import ROOT, write_config

runner = CliRunner()
CLI = [sys.executable, "-c", "from kerascli.cli.main import run; run()"]
BACKBONE = {"include_top": False, "alpha": 0.25, "pooling": "avg", "name": "backbone"}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def staged_config(photos: Path, weights, stages: list, classes: int = 4) -> dict:
    return {
        "name": "staged",
        "seed": 3,
        "data": {"source": "images", "path": str(photos), "image_size": [32, 32]},
        "model": {
            "layers": [
                {"MobileNet": {**BACKBONE, "weights": weights, "trainable": False}},
                {"Dense": {"units": classes, "activation": "softmax"}},
            ]
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.001}},
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            "jit_compile": False,  # XLA compiling a backbone takes longer than these fits
        },
        "fit": {"batch_size": 32, "stages": stages},
    }


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    """A run directory holding a model with the backbone and its input scaling, as an earlier
    kerascli run on another dataset leaves it (built here: its training is not under test)."""
    import keras

    from kerascli.models.backbone_inputs import preprocess_layer

    keras.utils.set_random_seed(7)
    run = tmp_path_factory.mktemp("earlier")
    backbone = keras.applications.MobileNet(input_shape=(32, 32, 3), weights=None, **BACKBONE)
    for layer in backbone.layers:  # moving statistics unlike the initial ones, to recognise
        if isinstance(layer, keras.layers.BatchNormalization):
            mean, variance = layer.moving_mean, layer.moving_variance
            mean.assign(np.random.default_rng(1).normal(size=mean.shape).astype("float32"))
            variance.assign(np.full(variance.shape, 2.0, "float32"))
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            preprocess_layer("MobileNet", "backbone", 3),
            backbone,
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(run / "model.keras")
    return run


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_colour_folders(
        tmp_path_factory.mktemp("photos"),
        classes=("red", "green", "blue", "yellow"),
        per_class={"train": 16, "val": 4, "test": 4},
        stripes=True,
    )


def _state(run: Path) -> dict | None:
    path = run / "checkpoints" / "state.json"
    return json.loads(path.read_text()) if path.is_file() else None


def test_two_stages_killed_in_stage_two_resume_there(tmp_path, photos, earlier_run):
    import keras

    stages = [
        {"epochs": 1},
        {
            "epochs": 3,
            "unfreeze": {"layer": "backbone", "last": 6},
            "learning_rate": 1.0e-4,
            "callbacks": [{"CSVLogger": {"filename": "stage2.csv", "append": True}}],
        },
    ]
    config = write_config(tmp_path / "c.yaml", staged_config(photos, str(earlier_run), stages))
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*CLI, "train", str(config), "-q", "--runs-dir", str(runs)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, run = time.time() + 420, None
        while time.time() < deadline:
            run = next(runs.iterdir(), None) if runs.is_dir() else None
            state = _state(run) if run else None
            if state and state["epoch"] >= 2:  # an epoch of stage 2 is checkpointed
                break
            if process.poll() is not None:
                pytest.fail(f"training ended early: {process.communicate()}")
            time.sleep(0.1)
        else:
            pytest.fail("no stage-2 checkpoint in time")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "running" and _state(run)["epoch"] in (2, 3)

    result = invoke("train", config, "-q", "--resume", run)
    assert result.exit_code == 0, result.output
    record = json.loads((run / "run.json").read_text())
    history = json.loads((run / "history.json").read_text())
    assert record["status"] == "completed" and len(history["loss"]) == 4

    first, second = record["stages"]
    assert first["epochs"] == 1 and second["epochs"] == 3
    assert second["trainable_params"] > first["trainable_params"]
    assert second["learning_rate"] < first["learning_rate"]
    np.testing.assert_allclose(history["learning_rate"], [1e-3, 1e-4, 1e-4, 1e-4], rtol=1e-5)
    # The stage's own callback ran in stage 2 only (epochs 2-4, counted from 0).
    logged = (run / "stage2.csv").read_text().splitlines()[1:]
    assert sorted({int(line.split(",")[0]) for line in logged}) == [1, 2, 3]

    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    earlier = keras.saving.load_model(earlier_run / "model.keras", safe_mode=True)
    # The earlier run's input scaling came along with its weights.
    assert [layer.name for layer in model.layers[:2]] == ["backbone_preprocess", "backbone"]
    backbone, source = model.get_layer("backbone"), earlier.get_layer("backbone")
    opened = {layer.name for layer in backbone.layers if layer.trainable}
    assert opened and all(
        not isinstance(layer, keras.layers.BatchNormalization)
        for layer in backbone.layers
        if layer.name in opened
    )
    for mine, theirs in zip(backbone.layers, source.layers):
        same = [np.array_equal(a, b) for a, b in zip(mine.get_weights(), theirs.get_weights())]
        if isinstance(mine, keras.layers.BatchNormalization):
            # Inference mode while open: the moving statistics are the earlier run's.
            assert all(same), mine.name
        elif mine.name not in opened:
            assert all(same), mine.name  # frozen all along
    changed = [
        layer.name
        for layer, theirs in zip(backbone.layers, source.layers)
        if layer.name in opened
        and not all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), theirs.get_weights()))
    ]
    assert changed  # stage 2 trained the opened layers
    # Resumed inside stage 2 with its optimizer as checkpointed: 3 epochs of 2 steps each.
    assert int(model.optimizer.iterations) == 6


def test_stage_plan_opens_layers_but_keeps_batchnorm_frozen(tmp_path, photos):
    import keras

    from kerascli.config.loading import load_config
    from kerascli.errors import ConfigError
    from kerascli.models.layers import build_model
    from kerascli.training.stages import StagePlan, stages_of

    stages = [
        {"epochs": 1},
        {"epochs": 1, "unfreeze": {"from": "conv_pw_12"}},
        {"epochs": 1, "unfreeze": {"all": True}, "learning_rate": 1.0e-5},
        {"epochs": 1},
    ]
    config = load_config(write_config(tmp_path / "c.yaml", staged_config(photos, None, stages)))
    model = build_model(config.model, (32, 32, 3))
    plan = StagePlan(model, config)
    counts = [record.trainable_params for record in plan.records()]
    assert counts[0] == 256 * 4 + 4  # the head alone: the backbone is frozen as the stack says
    assert counts[0] < counts[1] < counts[2] == counts[3]  # later stages add to earlier ones
    assert [plan.learning_rate(stage) for stage in stages_of(config)] == [
        None,
        None,
        1e-5,
        1e-5,
    ]
    plan.enter(stages_of(config)[2])
    backbone = model.get_layer("backbone")
    norms = [
        layer for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and not any(layer.trainable for layer in norms)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)

    stages[1]["unfreeze"] = {"from": "conv_pw_12_bm"}
    config = load_config(write_config(tmp_path / "c.yaml", staged_config(photos, None, stages)))
    with pytest.raises(ConfigError) as caught:
        StagePlan(build_model(config.model, (32, 32, 3)), config)
    assert caught.value.format() == (
        "fit.stages[1].unfreeze.from: backbone has no layer 'conv_pw_12_bm' "
        "(did you mean 'conv_pw_12_bn'?)"
    )
