"""Sweeps on disk (`kerascli tune`): their `sweep.json` records, and finding one to resume.

A sweep directory `runs/<name>-tune-<timestamp>/` is not a run (it has no `run.json`): it holds
runs, one per trial, and its own record.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from kerascli.errors import RunError
from kerascli.runs.files import atomic_write_json, read_json
from kerascli.runs.layout import SWEEP_RECORD


def update_sweep_record(sweep_dir: Path, **fields) -> dict:
    """Merges `fields` into the sweep's `sweep.json` (creating it) and returns the result."""
    path = Path(sweep_dir) / SWEEP_RECORD
    record = read_json(path) if path.exists() else {}
    record.update(fields)
    atomic_write_json(path, record)
    return record


def list_sweeps(runs_dir: Path) -> list[tuple[Path, dict]]:
    """All sweeps under `runs_dir`, oldest first, skipping unreadable records."""
    found = []
    if not Path(runs_dir).is_dir():
        return found
    for child in Path(runs_dir).iterdir():
        if (child / SWEEP_RECORD).is_file():
            with contextlib.suppress(RunError):
                record = read_json(child / SWEEP_RECORD)
                if isinstance(record, dict):
                    found.append((child, record))
    return sorted(found, key=lambda item: (item[1].get("started") or "", item[0].name))


def unfinished_sweep(runs_dir: Path, name: str, storage: str) -> Path | None:
    """The newest sweep of config `name` on `storage` that has not finished, to resume."""
    for sweep_dir, record in reversed(list_sweeps(runs_dir)):
        if (
            record.get("name") == name
            and record.get("storage") == storage
            and record.get("status") != "completed"
        ):
            return sweep_dir
    return None
