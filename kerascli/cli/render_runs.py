"""Rendering runs for people and scripts: the runs table, its JSON, and runs side by side (rich).

The runs table fits the terminal: a run name folds onto more lines rather than being cut, the
metrics go one per line, and when even that is too wide the least telling columns are dropped
(start time, then kind, then epochs); a column is never squeezed until its words are cut.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from kerascli.cli.reporting import out
from kerascli.runs.compare import MISSING
from kerascli.runs.summary import (best_metrics, final_metrics, is_score, lower_is_better,
                                   read_history)

# Columns of the runs table, the first ones dropped first when the terminal is narrow.
_DROPPED_FIRST = ("started (UTC)", "kind", "epochs")
_SHOWN_METRICS = 3


def _headline(metrics: dict) -> list[str]:
    """The most telling metrics: test figures, else validation ones, else the rest."""
    return ([key for key in metrics if key.startswith("test_")]
            or [key for key in metrics if key.startswith("val_")] or list(metrics))


def _runs_table(directory: Path, found: list[tuple[Path, dict]], columns: list[str],
                run_width: int) -> Table:
    table = Table(title=Text(f"runs in {directory}"), expand=False)
    for column in columns:
        if column == "run":
            # Folded onto more lines, never cut: a run name is typed back into commands.
            table.add_column(column, overflow="fold", min_width=run_width)
        elif column == "metrics":
            table.add_column(column, overflow="fold", min_width=18)
        else:
            table.add_column(column, no_wrap=True,
                             justify="right" if column == "epochs" else "left")
    for run_dir, record in found:
        metrics = final_metrics(record)
        text = "\n".join(f"{key} {metrics[key]:.4f}" for key in _headline(metrics)[:_SHOWN_METRICS])
        cells = {"run": Text(run_dir.name), "kind": Text(str(record.get("kind", "?"))),
                 "status": Text(str(record.get("status", "?"))),
                 "epochs": Text(str(record.get("epochs", ""))),
                 "started (UTC)": Text(str(record.get("started", ""))[:16].replace("T", " ")),
                 "metrics": Text(text)}
        table.add_row(*(cells[column] for column in columns))
    return table


def print_runs(directory: Path, found: list[tuple[Path, dict]]) -> None:
    """The table of runs: name, kind, status, epochs, start, the most telling metrics."""
    if not found:
        out.print(f"no runs in {directory}", markup=False)
        return
    # Narrower and narrower layouts: whole run names first, dropping columns; folded names last.
    columns = ["run", "kind", "status", "epochs", "started (UTC)", "metrics"]
    longest = max(len(run_dir.name) for run_dir, _ in found)
    layouts = [(list(columns), longest)]
    for dropped in _DROPPED_FIRST:
        columns.remove(dropped)
        layouts.append((list(columns), longest))
    layouts.append((columns, min(longest, 16)))
    layouts.append((["run", "status"], min(longest, 16)))  # a very narrow terminal
    unbounded = out.options.update(max_width=10_000)  # a measurement is clamped to its max_width
    for columns, run_width in layouts:
        table = _runs_table(directory, found, columns, run_width)
        if Measurement.get(out, unbounded, table).minimum <= out.width:
            break
    out.print(table, soft_wrap=False)  # soft wrapping would let the table overflow the width


def runs_json(found: list[tuple[Path, dict]]) -> None:
    """One JSON array of the runs for scripts: the record's main fields, final and best metrics."""
    rows = []
    for run_dir, record in found:
        best = best_metrics(read_history(run_dir))
        rows.append({"run": str(run_dir), "name": run_dir.name,
                     **{key: record.get(key) for key in
                        ("kind", "task", "status", "epochs", "started", "ended")},
                     "final_metrics": final_metrics(record),
                     "best_metrics": {key: {"value": value, "epoch": epoch}
                                      for key, (value, epoch) in best.items()}})
    sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    sys.stdout.flush()


def _value(value) -> Text:
    if value is MISSING:
        return Text("—", style="dim")
    return Text(json.dumps(value) if not isinstance(value, str) else value)


def print_compare(runs: list[tuple[Path, dict]], differences: dict[str, list]) -> None:
    """Runs side by side: the config keys that differ, then final and best metrics.

    Args:
        runs: Each run's directory and record, in the order the user named them.
        differences: `kerascli.runs.compare.config_differences` of their configs.
    """
    names = [run_dir.name for run_dir, _ in runs]
    config = Table(title="config keys that differ")
    # Keys stay whole up to a point: `model.layers[1].Dense.units` is what --set takes.
    config.add_column("key", overflow="fold",
                      min_width=min(max((len(key) for key in differences), default=3), 40))
    for name in names:
        config.add_column(Text(name), overflow="fold")
    for key, values in differences.items():
        config.add_row(Text(key), *(_value(value) for value in values))
    if differences:
        out.print(config)
    else:
        out.print("the configs are the same", markup=False)

    finals = [final_metrics(record) for _, record in runs]
    bests = [best_metrics(read_history(run_dir)) for run_dir, _ in runs]
    keys = list(dict.fromkeys(key for metrics in (*finals, *bests) for key in metrics))
    metrics = Table(title="final metrics (best, epoch)")
    metrics.add_column("metric", overflow="fold")
    for name in names:
        metrics.add_column(Text(name), justify="right", overflow="fold")
    for key in keys:
        values = [final.get(key) for final in finals]
        known = [value for value in values if value is not None]
        winner = ((min if lower_is_better(key) else max)(known)
                  if len(known) > 1 and is_score(key) else None)
        cells = []
        for value, best in zip(values, bests):
            cell = Text("—" if value is None else f"{value:.4f}",
                        style="bold green" if value is not None and value == winner else "")
            if key in best and best[key][0] != value:
                cell.append(f"\n({best[key][0]:.4f}, {best[key][1]})", style="dim")
            cells.append(cell)
        metrics.add_row(Text(key), *cells)
    out.print(metrics)
