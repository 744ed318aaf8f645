"""Bad run directories and model files for `evaluate` and `predict --run`, as a table.

Each row damages a copy of one real (tiny) run, or names something that is no run, and expects
from both commands: one `error:` line naming the problem, exit code 2, no traceback, nothing on
stdout, and the run directory exactly as it was (same files, sizes and modification times).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import train_tiny_run

runner = CliRunner()
COMMANDS = ("evaluate", "predict")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The one real run of this module: an MLP trained for one epoch on 300 MNIST digits."""
    return train_tiny_run(tmp_path_factory.mktemp("bad-runs"))


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    """A good 28x28 PNG, so that predict fails on the run and nothing else."""
    path = tmp_path_factory.mktemp("image") / "digit.png"
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[6:22, 12:16] = 255
    Image.fromarray(pixels).save(path)
    return path


def snapshot(path: Path) -> dict:
    """Every entry under `path` (itself included): kind, size and modification time."""
    if not os.path.lexists(path):
        return {}
    entries = [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]
    state = {}
    for entry in entries:
        info = os.lstat(entry)
        state[str(entry.relative_to(path.parent))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return state


def run_command(command: str, target: Path, image: Path):
    if command == "evaluate":
        return invoke("evaluate", target)
    return invoke("predict", image, "--run", target)


def assert_one_line(result, where: Path | str, fragment: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {where}"), lines[0]
    assert fragment in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------ builders
# Each takes a fresh copy of the trained run and damages it; it returns what the command is given
# and the path its error must name.


def edit_record(run: Path, **fields) -> None:
    record = json.loads((run / "run.json").read_text())
    record.update(fields)
    (run / "run.json").write_text(json.dumps(record))


def rewrite_archive(path: Path, **members: bytes) -> None:
    """Rewrites a `.keras` zip with some members replaced (stored, as Keras stores them)."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents.update(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def missing(run):
    shutil.rmtree(run)
    return run, run


def empty_directory(run):
    shutil.rmtree(run)
    run.mkdir()
    return run, run


def no_model(run):
    (run / "model.keras").unlink()
    return run, run


def model_is_a_directory(run):
    (run / "model.keras").unlink()
    (run / "model.keras").mkdir()
    return run, run


def model_is_a_symlink(run):
    real = run.parent / "elsewhere.keras"
    (run / "model.keras").rename(real)
    (run / "model.keras").symlink_to(real)
    return run, run / "model.keras"


def model_bytes(data: bytes):
    def build(run):
        (run / "model.keras").write_bytes(data)
        return run, run / "model.keras"

    return build


def truncated_model(run):
    data = (run / "model.keras").read_bytes()
    (run / "model.keras").write_bytes(data[: len(data) // 2])
    return run, run / "model.keras"


def damaged_weights(run):
    # Same length, zip directory intact: only the weights' checksum can tell.
    path = run / "model.keras"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = np.random.default_rng(0).bytes(4096)
    path.write_bytes(bytes(data))
    return run, path


def zip_not_keras(run):
    with zipfile.ZipFile(run / "model.keras", "w") as archive:
        archive.writestr("hello.txt", "hello")
    return run, run / "model.keras"


def zip_bomb_config(run):
    # 80 MB of spaces deflate to ~80 KB; Keras would read them whole into memory.
    with zipfile.ZipFile(run / "model.keras", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", " " * (80 * 1024 * 1024))
    return run, run / "model.keras"


def hdf5_model(run):
    import keras

    (run / "model.keras").unlink()
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.save(run.parent / "legacy.h5")
    (run.parent / "legacy.h5").rename(run / "model.keras")
    return run, run / "model.keras"


def unknown_class(run):
    # A config naming a function outside Keras (os.system) where a layer should be.
    path = run / "model.keras"
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    marker = run.parent / "OS_SYSTEM_RAN"
    config["config"]["layers"][1] = {
        "module": "os",
        "class_name": "system",
        "config": {"command": f"touch {marker}"},
        "registered_name": "system",
    }
    rewrite_archive(path, **{"config.json": json.dumps(config).encode()})
    return run, path


def foreign_model(run):
    # A real Keras model, but not the one the run's config describes (8 inputs, not images).
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    (run / "model.keras").unlink()
    model.save(run / "model.keras")
    return run, None  # evaluate and predict name different places; see the fragments


def no_config(run):
    (run / "config.yaml").unlink()
    return run, run


def config_text(text: str):
    def build(run):
        (run / "config.yaml").write_text(text)
        return run, run / "config.yaml"

    return build


def config_unknown_key(run):
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["bogus"] = 1
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    return run, run / "config.yaml"


def no_record(run):
    (run / "run.json").unlink()
    return run, run


def record_bytes(data: bytes):
    def build(run):
        (run / "run.json").write_bytes(data)
        return run, run / "run.json"

    return build


def status(value, **more):
    def build(run):
        edit_record(run, status=value, **more)
        return run, run / "run.json" if value not in ("running", "failed", "interrupted") else run

    return build


def gan_run(run):
    edit_record(run, kind="gan", task="gan")
    return run, run


def h5_file(run):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    path = run.parent / "model.h5"
    model.save(path)
    return path, path


def model_file_instead_of_run(run):
    return run / "model.keras", run / "model.keras"


BAD_RUNS = [
    pytest.param(missing, "no such run directory", id="missing-directory"),
    pytest.param(empty_directory, "not a kerascli run (no run.json)", id="empty-directory"),
    pytest.param(h5_file, "is a file, not a run directory", id="h5-file-as-run"),
    pytest.param(
        model_file_instead_of_run,
        "is a file, not a run directory (name the run directory: ",
        id="model-file-as-run",
    ),
    pytest.param(no_model, "has no model.keras (status: completed)", id="no-model"),
    pytest.param(model_is_a_directory, "has no model.keras", id="model-is-a-directory"),
    pytest.param(model_is_a_symlink, "is a symbolic link", id="model-is-a-symlink"),
    pytest.param(
        model_bytes(np.random.default_rng(1).bytes(4096)),
        "not a Keras model archive (corrupt, or not a zip file)",
        id="random-bytes",
    ),
    pytest.param(
        model_bytes(b"this is a text file, not a model\n"),
        "not a Keras model archive",
        id="text-model",
    ),
    pytest.param(model_bytes(b""), "not a Keras model archive", id="empty-model"),
    pytest.param(truncated_model, "not a Keras model archive", id="truncated-model"),
    pytest.param(damaged_weights, "cannot load the model: Bad CRC-32", id="damaged-weights"),
    pytest.param(
        zip_not_keras,
        "a zip file, but not a Keras model archive (no config.json",
        id="zip-not-keras",
    ),
    pytest.param(
        zip_bomb_config, "config.json would unpack to 83,886,080 bytes", id="zip-bomb-config"
    ),
    pytest.param(
        hdf5_model, "an HDF5 (.h5) file, not a Keras v3 model archive", id="h5-named-model-keras"
    ),
    pytest.param(
        unknown_class,
        "cannot load the model: Could not locate class 'system'",
        id="non-keras-class",
    ),
    pytest.param(no_config, "has no config.yaml", id="no-config"),
    pytest.param(config_text("name: [unclosed\n"), "config.yaml:2:1:", id="corrupt-config"),
    pytest.param(config_text(""), "the config is empty", id="empty-config"),
    pytest.param(config_unknown_key, "unknown key 'bogus'", id="config-unknown-key"),
    pytest.param(no_record, "not a kerascli run (no run.json)", id="no-run-json"),
    pytest.param(record_bytes(b"{not json"), "unreadable: ", id="corrupt-run-json"),
    pytest.param(record_bytes(b"\xff\xfe\x00garbage"), "unreadable: ", id="binary-run-json"),
    pytest.param(record_bytes(b"[1, 2]"), "not a run record", id="run-json-list"),
    pytest.param(
        status("running"), "did not finish: its status is still 'running'", id="running-but-dead"
    ),
    pytest.param(
        status("failed", error="TrainingFailed: loss became NaN"),
        "its training failed: TrainingFailed: loss became NaN",
        id="failed",
    ),
    pytest.param(
        status("interrupted"), "was interrupted before training completed", id="interrupted"
    ),
    pytest.param(
        status("exploded"),
        "not a valid run record: status: Input should be 'running', 'completed', 'failed'",
        id="unknown-status",
    ),
    pytest.param(status(None), "the run's status is None", id="no-status"),
    pytest.param(gan_run, "is a GAN run", id="gan-run"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("build, fragment", BAD_RUNS)
def test_bad_runs_are_one_line_and_left_alone(trained, image, tmp_path, command, build, fragment):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    target, where = build(run)
    before = snapshot(run)

    result = run_command(command, target, image)

    line = assert_one_line(result, where, fragment)
    assert len(line.replace(str(run), "RUN")) < 300  # the paths aside, a short line
    assert snapshot(run) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_model_of_another_shape(trained, image, tmp_path, command):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    foreign_model(run)
    before = snapshot(run)

    result = run_command(command, run, image)

    if command == "evaluate":  # its test data is what does not fit
        line = assert_one_line(result, "data.test", "the test data does not fit the model: ")
        assert "Expected shape (None, 8)" in line
    else:
        assert_one_line(
            result,
            run / "model.keras",
            "the model takes inputs of shape (8,), "
            "but the run's config makes images of shape (28, 28, 1)",
        )
    assert "\x1b[" not in result.output  # Keras' terminal colour codes are stripped
    assert snapshot(run) == before


def test_a_config_naming_os_system_runs_nothing(trained, image, tmp_path):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    unknown_class(run)
    for command in COMMANDS:
        assert run_command(command, run, image).exit_code == 2
    assert not (tmp_path / "OS_SYSTEM_RAN").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_lambda_layer_is_refused_and_never_runs(trained, image, tmp_path, command):
    import keras

    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    marker = tmp_path / "LAMBDA_RAN"
    # The path is a literal in the lambda's code: Keras saves the code, not the test's variables.
    touch = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x * 2)[1]")
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Lambda(touch),
            keras.layers.Dense(10),
        ]
    )
    (run / "model.keras").unlink()
    model.save(run / "model.keras")
    marker.unlink()  # building the model above called the lambda once
    before = snapshot(run)

    result = run_command(command, run, image)

    assert_one_line(
        result,
        run / "model.keras",
        "holds Python code (a Lambda layer or a Python "
        "function), which Keras' safe mode refuses to load",
    )
    assert not marker.exists()
    assert snapshot(run) == before
    # The check above can fail: loaded without safe mode, the same file runs the lambda.
    keras.saving.load_model(run / "model.keras", safe_mode=False)
    assert marker.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_still_training_is_refused(trained, image, tmp_path, command):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    edit_record(run, status="running")
    before = snapshot(run)
    with open(run / ".lock", "a+") as held:  # what `kerascli train` holds while it trains
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_command(command, run, image)

    assert_one_line(
        result,
        run,
        "is still training (another kerascli process is using it) (wait for it to finish)",
    )
    assert snapshot(run) == before


def test_a_run_without_lock_file_gets_none(trained, image, tmp_path):
    # Checking whether a run is busy must not create the lock file it checks.
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    (run / ".lock").unlink()
    edit_record(run, status="running")
    before = snapshot(run)

    result = invoke("evaluate", run)

    assert_one_line(result, run, "did not finish")
    assert not (run / ".lock").exists() and snapshot(run) == before


def test_the_intact_run_still_works(trained, image, tmp_path):
    # The table's control: the undamaged copy evaluates and predicts.
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    evaluated = invoke("evaluate", run)
    predicted = invoke("predict", image, "--run", run, "--json")

    assert evaluated.exit_code == 0, evaluated.output
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.stdout)["file"] == str(image)
    assert evaluated.stderr == predicted.stderr == ""


def test_runs_dir_help_shows_its_default():
    # Rich reads `[default: ...]` as markup and drops it; the help must keep the text.
    result = invoke("predict", "--help")
    assert "$KERASCLI_RUNS or ./runs" in " ".join(result.stdout.split())
