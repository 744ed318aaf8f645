"""The run directory: unique names, atomic files, locks, listing."""

from __future__ import annotations

import json
import os

import pytest

from kerascli.errors import RunError
from kerascli.runs import files, layout, lock, record, records


def test_run_directories_are_never_reused(tmp_path):
    made = {layout.create_run_dir(tmp_path, "exp") for _ in range(3)}
    assert len(made) == 3 and all(p.is_dir() and p.parent == tmp_path for p in made)


@pytest.mark.parametrize("name", ["../x", "a/b", "/abs", ".", "..", "", "x" * 101, "a b"])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(RunError, match="invalid run name"):
        layout.create_run_dir(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "f.json"
    files.atomic_write_json(target, {"a": 1, "loss": float("nan")})
    assert json.loads(target.read_text()) == {"a": 1, "loss": None}
    files.atomic_write_json(target, {"b": 2})
    assert json.loads(target.read_text()) == {"b": 2}
    assert os.listdir(tmp_path) == ["f.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "f.json"
    files.atomic_write_json(target, {"kept": True})
    with pytest.raises(TypeError):
        files.atomic_write_json(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"kept": True}
    assert os.listdir(tmp_path) == ["f.json"]


def test_lock_refuses_a_second_holder(tmp_path):
    with lock.locked(tmp_path):
        import subprocess
        import sys

        code = (
            "import sys; from kerascli.runs import lock\n"
            "try:\n    lock.locked(sys.argv[1]).__enter__()\n"
            "except lock.RunError as e:\n    print(e.what)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
        ).stdout
        assert "another kerascli process" in out
    with lock.locked(tmp_path):  # released: can be taken again
        pass


def test_listing_and_latest(tmp_path):
    older, newer = tmp_path / "a", tmp_path / "b"
    for path, started, status in (
        (older, "2026-01-01", "completed"),
        (newer, "2026-02-01", "failed"),
    ):
        path.mkdir()
        record.update_run_json(path, started=started, status=status, task="classification")
        (path / "model.keras").write_bytes(b"")
    assert [p.name for p, _ in records.list_runs(tmp_path)] == ["a", "b"]
    assert records.latest_run(tmp_path) == older
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "run.json").write_text("{not json")
    assert len(records.list_runs(tmp_path)) == 2
    with pytest.raises(RunError, match="no completed classification run"):
        records.latest_run(tmp_path / "empty")


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "no such run directory"),
        (lambda p: p.mkdir(), "not a kerascli run"),
        (lambda p: (p.mkdir(), (p / "run.json").write_text("[1]")), "not a run record"),
    ],
)
def test_load_run_errors(tmp_path, setup, message):
    run = tmp_path / "r"
    setup(run)
    with pytest.raises(RunError, match=message):
        record.load_run(run)


def test_the_old_homes_of_the_record_functions_still_answer(tmp_path):
    # Other branches still import these from their old modules.
    files.update_run_json(tmp_path, status=record.RunStatus.running)
    assert records.load_run(tmp_path).status is record.RunStatus.running
