"""Sweeps on disk (`kerascli tune`): their typed `sweep.json` record, and finding one to resume.

A sweep directory `runs/<name>-tune-<timestamp>/` is not a run (it has no `run.json`): it holds
runs, one per trial, and its own record, read and written only here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kerascli.errors import RunError
from kerascli.runs.files import atomic_write_json, json_safe, read_json
from kerascli.runs.layout import SWEEP_RECORD
from kerascli.runs.status import RunStatus


class BestTrial(BaseModel):
    """The best complete trial so far."""

    model_config = ConfigDict(extra="allow")

    number: int = Field(description="The trial's number in the study.")
    value: float | None = Field(default=None, description="Its value (best epoch's metric).")
    params: dict[str, Any] = Field(default_factory=dict, description="Its parameters by key path.")
    run: str | None = Field(default=None, description="Its run directory's name.")


class SweepRecord(BaseModel):
    """A sweep's `sweep.json`. Unknown keys (a newer kerascli's) are kept."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(default="tune", description="Always `tune`.")
    name: str | None = Field(default=None, description="The config's name.")
    study: str | None = Field(default=None, description="The Optuna study's name.")
    storage: str | None = Field(default=None, description="The study's storage, as shown.")
    status: RunStatus | None = Field(default=None, description="Where the sweep stands.")
    started: str | None = Field(default=None, description="When it started (UTC, ISO 8601).")
    resumed: str | None = Field(default=None, description="When it was last resumed.")
    ended: str | None = Field(default=None, description="When it last stopped.")
    command: list[str] | None = Field(default=None, description="The command line that ran.")
    metric: str | None = Field(default=None, description="The history key trials are ranked by.")
    direction: str | None = Field(default=None, description="minimize or maximize.")
    trials: int | None = Field(default=None, description="The study's budget of trials.")
    sampler: str | None = Field(default=None, description="The Optuna sampler.")
    pruner: str | None = Field(default=None, description="The Optuna pruner.")
    best: BestTrial | None = Field(default=None, description="The best complete trial.")
    counts: dict[str, int] | None = Field(
        default=None, description="Trials by final state (complete, pruned, failed)."
    )

    def as_json(self) -> dict[str, Any]:
        """The record as `sweep.json` holds it: the keys it was read or written with."""
        return self.model_dump(mode="json", exclude_unset=True)


def _parse(data: Any, path: Path) -> SweepRecord:
    if not isinstance(data, dict):
        raise RunError(str(path), "not a sweep record")
    try:
        return SweepRecord.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RunError(str(path), f"not a valid sweep record: {where}: {first['msg']}") from None


def update_sweep_record(sweep_dir: Path, **fields: Any) -> SweepRecord:
    """Merges `fields` into the sweep's `sweep.json` (creating it), atomically.

    Returns:
        The record as written.

    Raises:
        RunError: When the existing record is unreadable.
        ValueError: When a field does not fit `SweepRecord` (pydantic's `ValidationError`).
    """
    path = Path(sweep_dir) / SWEEP_RECORD
    existing = read_json(path) if path.exists() else {}
    if not isinstance(existing, dict):
        raise RunError(str(path), "not a sweep record")
    record = SweepRecord.model_validate({**existing, **json_safe(fields)})
    atomic_write_json(path, record.as_json())
    return record


def list_sweeps(runs_dir: Path) -> list[tuple[Path, SweepRecord]]:
    """All sweeps under `runs_dir`, oldest first, skipping unreadable records."""
    found: list[tuple[Path, SweepRecord]] = []
    if not Path(runs_dir).is_dir():
        return found
    for child in Path(runs_dir).iterdir():
        path = child / SWEEP_RECORD
        if path.is_file():
            with contextlib.suppress(RunError):
                found.append((child, _parse(read_json(path), path)))
    return sorted(found, key=lambda item: (item[1].started or "", item[0].name))


def unfinished_sweep(runs_dir: Path, name: str, storage: str) -> Path | None:
    """The newest sweep of config `name` on `storage` that has not finished, to resume."""
    for sweep_dir, record in reversed(list_sweeps(runs_dir)):
        if (
            record.name == name
            and record.storage == storage
            and record.status is not RunStatus.completed
        ):
            return sweep_dir
    return None
