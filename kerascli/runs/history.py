"""A run's history, every epoch's logs: `history.json` (and `history.csv`), written and read here.

Plain JSON, no pydantic: `kerascli runs` and the report read it without the record's models.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from kerascli.errors import RunError
from kerascli.runs.files import atomic_write_json, atomic_write_text, read_json
from kerascli.runs.layout import HISTORY_CSV, HISTORY_JSON

History = dict[
    str, list[Any]
]  # every epoch's logs by key (`loss`, `val_accuracy`, ...); NaN is null


def write_history(run_dir: Path, history: History) -> None:
    """Writes `history.json` and `history.csv` (one row per epoch, like Keras' CSVLogger)."""
    atomic_write_json(Path(run_dir) / HISTORY_JSON, history)
    keys = sorted(history)
    epochs = max((len(values) for values in history.values()), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for epoch in range(epochs):
        row = [history[key][epoch] if epoch < len(history[key]) else "" for key in keys]
        writer.writerow([epoch, *("" if value is None else value for value in row)])
    atomic_write_text(Path(run_dir) / HISTORY_CSV, buffer.getvalue())


def read_history(run_dir: Path) -> History:
    """A run's `history.json`, or `{}` when it has none (yet) or it is unreadable."""
    try:
        history = read_json(Path(run_dir) / HISTORY_JSON)
    except RunError:
        return {}
    if not isinstance(history, dict):
        return {}
    return {str(key): values for key, values in history.items() if isinstance(values, list)}
