"""The sweep record (`sweep.json`): written merged and atomically, read typed, found to resume."""

from __future__ import annotations

import json

import pytest

from kerascli.errors import RunError
from kerascli.runs.status import RunStatus
from kerascli.runs.sweeps import SweepRecord, list_sweeps, unfinished_sweep, update_sweep_record


def _sweep(runs, folder, **fields):
    sweep_dir = runs / folder
    sweep_dir.mkdir(parents=True)
    return sweep_dir, update_sweep_record(sweep_dir, **fields)


def test_updates_merge_into_the_record_and_keep_unknown_keys(tmp_path):
    sweep_dir, _ = _sweep(tmp_path, "a-tune-20261207T000000Z", name="a", status="running")
    record = json.loads((sweep_dir / "sweep.json").read_text())
    (sweep_dir / "sweep.json").write_text(json.dumps({**record, "from_the_future": 1}))
    written = update_sweep_record(sweep_dir, status=RunStatus.completed, best={"number": 3})
    assert written.status is RunStatus.completed and written.best.number == 3
    on_disk = json.loads((sweep_dir / "sweep.json").read_text())
    assert on_disk == {
        "name": "a",
        "status": "completed",
        "best": {"number": 3},
        "from_the_future": 1,
    }


def test_a_field_of_the_wrong_type_writes_nothing(tmp_path):
    sweep_dir, _ = _sweep(tmp_path, "a-tune-20261207T000000Z", name="a")
    before = (sweep_dir / "sweep.json").read_text()
    with pytest.raises(ValueError):
        update_sweep_record(sweep_dir, status="sleeping")
    assert (sweep_dir / "sweep.json").read_text() == before


def test_sweeps_are_listed_oldest_first_and_unreadable_ones_left_out(tmp_path):
    _sweep(tmp_path, "b-tune-2", name="b", started="2026-12-07T02:00:00Z")
    _sweep(tmp_path, "a-tune-1", name="a", started="2026-12-07T01:00:00Z")
    broken = tmp_path / "c-tune-3"
    broken.mkdir()
    (broken / "sweep.json").write_text('{"status": 5}')
    assert [path.name for path, _ in list_sweeps(tmp_path)] == ["a-tune-1", "b-tune-2"]
    assert all(isinstance(record, SweepRecord) for _, record in list_sweeps(tmp_path))
    assert list_sweeps(tmp_path / "missing") == []


def test_the_newest_unfinished_sweep_of_a_name_and_storage_is_resumed(tmp_path):
    _sweep(tmp_path, "a-tune-1", name="a", storage="s", status="interrupted", started="1")
    _sweep(tmp_path, "a-tune-2", name="a", storage="s", status="completed", started="2")
    _sweep(tmp_path, "a-tune-3", name="a", storage="other", status="running", started="3")
    assert unfinished_sweep(tmp_path, "a", "s") == tmp_path / "a-tune-1"
    assert unfinished_sweep(tmp_path, "b", "s") is None


def test_a_record_that_is_not_an_object_is_refused(tmp_path):
    sweep_dir = tmp_path / "a-tune-1"
    sweep_dir.mkdir()
    (sweep_dir / "sweep.json").write_text("[1, 2]")
    with pytest.raises(RunError, match="not a sweep record"):
        update_sweep_record(sweep_dir, name="a")
