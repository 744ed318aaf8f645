"""A sweep's results as files: `results.csv`, `best.yaml` and the `sweep.json` record.

Everything here is read from the study (its storage), so every machine that joins a study
writes the same tables about all of its trials.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from kerascli.config.tune import TuneConfig, as_override
from kerascli.runs.files import atomic_write_text
from kerascli.runs.layout import RESULTS_CSV
from kerascli.tuning.study import SKIPPED

# The user attribute naming a trial's run directory (relative to the sweep directory's parent:
# each machine's own sweep directory holds the trials it ran).
RUN_ATTR = "kerascli_run"
ERROR_ATTR = "kerascli_error"


@dataclass
class Row:
    """One trial of the study, as results.csv and sweep.html show it."""

    number: int
    state: str  # complete | pruned | failed | running
    params: dict
    value: float | None
    run: str = ""
    error: str = ""
    curve: list = field(default_factory=list)  # the reported value of each epoch


def _state(trial) -> str:
    name = trial.state.name.lower()
    return {"fail": "failed", "waiting": "running"}.get(name, name)


def rows(study) -> list[Row]:
    """The study's trials that count (not those a Ctrl-C stopped), by number."""
    found = []
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if SKIPPED in trial.user_attrs or trial.state.name == "WAITING":
            continue
        steps = sorted(trial.intermediate_values.items())
        value = trial.value if trial.state.name == "COMPLETE" else None
        if trial.state.name == "PRUNED" and steps:
            value = steps[-1][1]
        found.append(
            Row(
                trial.number,
                _state(trial),
                dict(trial.params),
                value,
                str(trial.user_attrs.get(RUN_ATTR, "")),
                str(trial.user_attrs.get(ERROR_ATTR, "")),
                [value for _, value in steps],
            )
        )
    return found


def best_row(found: list[Row], direction: str) -> Row | None:
    """The complete trial with the best value (pruned ones never are: they did not finish)."""
    done = [row for row in found if row.state == "complete" and row.value is not None]
    if not done:
        return None
    pick = max if direction == "maximize" else min
    return pick(done, key=lambda row: row.value)


def write_results(sweep_dir: Path, tune: TuneConfig, found: list[Row]) -> None:
    """Writes `results.csv`: number, state, each parameter by its key path, value, run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = list(tune.space)
    writer.writerow(["number", "state", *keys, "value", "run"])
    for row in found:
        value = "" if row.value is None or not math.isfinite(row.value) else repr(row.value)
        writer.writerow(
            [row.number, row.state, *(_cell(row.params.get(key)) for key in keys), value, row.run]
        )
    atomic_write_text(Path(sweep_dir) / RESULTS_CSV, buffer.getvalue())


def _cell(value) -> str:
    return "" if value is None else (repr(value) if isinstance(value, float) else str(value))


def overrides(tune: TuneConfig, params: dict) -> list[str]:
    """A trial's values as `--set KEY=VALUE` arguments (a choice by the value the config wrote)."""
    found = []
    for key, value in params.items():
        values = tune.space.get(key)
        if isinstance(values, list):
            from kerascli.tuning.study import _choice

            value = next((v for v in values if _choice(v) == value), value)
        found.append(f"{key}={as_override(value)}")
    return found
