"""The typed run record: old run directories still load, and writes keep what they do not change.

`fixtures/` holds run directories written by kerascli before `run.json` had a type (see its
README), read here as a user's old runs would be.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from kerascli.errors import RunError
from kerascli.runs.history import read_history
from kerascli.runs.record import (
    RunKind,
    RunRecord,
    RunStatus,
    Stage,
    Tracking,
    Trial,
    load_run,
    update_run_json,
)
from kerascli.runs.records import latest_run, list_runs
from kerascli.runs.results import read_evaluation
from kerascli.runs.summary import final_metrics
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"

OLD_RUNS = [
    # name, status, kind, is GAN, task, epochs, a final metric, history keys, evaluated
    ("train-completed", "completed", "train", False, "classification", 2, "test_accuracy", 5, 1),
    ("csv-completed", "completed", "train", False, "classification", 2, "val_loss", 5, 1),
    ("gan-completed", "completed", "gan", True, "gan", 2, "g_loss", 4, 0),
    ("train-failed", "failed", "train", False, None, 0, None, 0, 0),
    ("train-interrupted", "interrupted", "train", False, None, 1, None, 5, 0),
]


def raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name, status, kind, gan, task, epochs, metric, history_keys, evaluated", OLD_RUNS
)
def test_old_run_directories_still_load(
    name, status, kind, gan, task, epochs, metric, history_keys, evaluated
):
    run = FIXTURES / name
    record = load_run(run)
    assert record.status is RunStatus(status) and record.status.value == status
    assert record.kind is RunKind(kind) and record.is_gan is gan
    assert record.task == task and record.epochs == epochs
    assert re.search(r"-\d{8}T\d{6}Z$", record.name or "")  # the directory it was named
    if metric is not None:
        assert final_metrics(record)[metric] == raw(run / "run.json")["final_metrics"][metric]
    else:
        assert final_metrics(record) == {}
    # Nothing is lost or added: the record reads back exactly as the file holds it.
    assert record.as_json() == raw(run / "run.json")
    history = read_history(run)
    assert len(history) == history_keys
    assert history == (raw(run / "history.json") if history_keys else {})
    evaluation = read_evaluation(run)
    assert (evaluation is not None) == bool(evaluated)
    if evaluation is not None:
        assert evaluation.as_json() == raw(run / "evaluation.json")
        assert evaluation.examples and evaluation.loss is not None and evaluation.per_class


def test_old_records_say_why_they_failed_and_what_they_learnt():
    failed = load_run(FIXTURES / "train-failed")
    assert failed.error == "the loss became NaN or infinite in epoch 1"
    table = load_run(FIXTURES / "csv-completed")
    assert table.class_names == ["rain", "snow", "sunny"] and table.target == "weather"
    assert table.table_features("here")["wind"] == "string_categorical"
    assert table.num_classes == 3 and table.records_class_count
    with pytest.raises(RunError, match="here: the run recorded no feature columns"):
        load_run(FIXTURES / "train-completed").table_features("here")
    evaluation = read_evaluation(FIXTURES / "csv-completed")
    assert evaluation is not None and evaluation.class_names() == ["rain", "snow", "sunny"]


def test_listing_old_runs(tmp_path):
    for name, *_ in OLD_RUNS:
        shutil.copytree(FIXTURES / name, tmp_path / name)
        (tmp_path / name / "model.keras").write_bytes(b"")  # the fixtures keep no model
    found = list_runs(tmp_path)
    assert len(found) == len(OLD_RUNS)
    assert [record.started for _, record in found] == sorted(r.started for _, r in found)
    assert latest_run(tmp_path) == tmp_path / "csv-completed"  # the newest completed one
    assert not any(record.is_gan for run, record in found if run.name != "gan-completed")


def test_a_record_without_kind_is_a_gan_run_when_its_task_says_so(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"task": "gan", "status": "completed"}))
    assert load_run(tmp_path).is_gan and load_run(tmp_path).kind is RunKind.gan
    (tmp_path / "run.json").write_text(json.dumps({"task": "regression"}))
    assert not load_run(tmp_path).is_gan and load_run(tmp_path).kind is None


def test_update_keeps_every_field_it_does_not_change(tmp_path):
    shutil.copytree(FIXTURES / "train-interrupted", tmp_path / "run")
    run = tmp_path / "run"
    record = raw(run / "run.json")
    record["written_by_a_newer_kerascli"] = {"x": [1, 2]}
    (run / "run.json").write_text(json.dumps(record))

    updated = update_run_json(run, status=RunStatus.completed, epochs=3)

    assert updated.status is RunStatus.completed
    assert raw(run / "run.json") == {**record, "status": "completed", "epochs": 3}
    assert load_run(run).extra_fields() == {"written_by_a_newer_kerascli": {"x": [1, 2]}}
    assert [path.name for path in run.iterdir() if path.name.startswith(".")] == []


def test_the_fields_other_features_write(tmp_path):
    update_run_json(
        tmp_path,
        status=RunStatus.pruned,
        stages=[Stage(epochs=5, trainable_params=1290, learning_rate=1e-3), {"epochs": 10}],
        tracking=Tracking(run_id="abc", experiment_id="1", uri="sqlite:///m.db"),
        trial={"sweep_dir": "runs/x-tune", "number": 4},
        resumed_auto=True,
        final_metrics={"loss": float("nan"), "accuracy": 0.5},
    )
    written = raw(tmp_path / "run.json")
    assert written == {
        "status": "pruned",
        "stages": [
            {"epochs": 5, "trainable_params": 1290, "learning_rate": 0.001},
            {"epochs": 10},
        ],
        "tracking": {"run_id": "abc", "experiment_id": "1", "uri": "sqlite:///m.db"},
        "trial": {"sweep_dir": "runs/x-tune", "number": 4},
        "resumed_auto": True,
        "final_metrics": {"loss": None, "accuracy": 0.5},
    }
    record = load_run(tmp_path)
    assert record.status is RunStatus.pruned and record.trial == Trial(
        sweep_dir="runs/x-tune", number=4
    )
    assert record.stages is not None and record.stages[1].learning_rate is None
    assert final_metrics(record) == {"accuracy": 0.5}


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "exploded"},
        {"epochs": "many"},
        {"trial": {"number": 1}},
        {"stages": [{"learning_rate": 0.1}]},
        {"class_names": "cats"},
    ],
)
def test_a_field_of_the_wrong_type_is_never_written(tmp_path, fields):
    update_run_json(tmp_path, status=RunStatus.running, epochs=1)
    before = (tmp_path / "run.json").read_bytes()
    with pytest.raises(ValidationError):
        update_run_json(tmp_path, **fields)
    assert (tmp_path / "run.json").read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"status": "exploded"}', "not a valid run record: status: Input should be 'running'"),
        ('{"epochs": "many"}', "not a valid run record: epochs: Input should be a valid integer"),
        ('{"kind": "sweep"}', "not a valid run record: kind: Input should be 'train' or 'gan'"),
        ('{"final_metrics": [1]}', "not a valid run record: final_metrics: Input should be"),
        ("[1]", "not a run record"),
        ("{nope", "unreadable: "),
    ],
)
def test_a_bad_record_is_one_clear_error(tmp_path, content, message):
    (tmp_path / "run.json").write_text(content)
    with pytest.raises(RunError) as caught:
        load_run(tmp_path)
    assert caught.value.where == str(tmp_path / "run.json")
    assert caught.value.what.startswith(message)


def test_a_record_needs_no_field():
    assert RunRecord().as_json() == {} and RunRecord().status_name == "unknown"


def test_the_cli_starts_without_the_records_pydantic_models():
    """`--help`, completion and `train` before its config load pydantic only when they read a
    record: its import is most of a TensorFlow-free command's start-up."""
    code = (
        "import sys, kerascli.cli.main, kerascli.runs.saved, kerascli.runs.records, "
        "kerascli.runs.summary, kerascli.runs.history; "
        "assert 'pydantic' not in sys.modules, 'pydantic imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
