"""Rendering runs for people and scripts: the runs table, its JSON, and runs side by side (rich).

The runs table fits the terminal: a run name folds onto more lines rather than being cut, the
metrics go one per line, and when even that is too wide the least telling columns are dropped
(start time, then kind, then epochs); a column is never squeezed until its words are cut.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from kerascli.cli.reporting import out
from kerascli.runs.compare import MISSING, shown
from kerascli.runs.history import read_history
from kerascli.runs.summary import (
    best_metrics,
    final_metrics,
    headline,
    is_score,
    lower_is_better,
    tracking_link,
)

if TYPE_CHECKING:  # annotations only: the CLI starts without pydantic
    from kerascli.runs.record import RunRecord
    from kerascli.runs.sweeps import SweepRecord

# Columns of the runs table, the first ones dropped first when the terminal is narrow.
_DROPPED_FIRST = ("started (UTC)", "kind", "epochs")
_SHOWN_METRICS = 3
# Columns that fold onto more lines, and the narrowest they get ("run" varies by layout).
_FOLDED = {"run": 16, "metrics": 20}


# The record's fields `runs --json` lists beside the metrics.
_LISTED = {"kind", "task", "status", "epochs", "started", "ended", "tracking"}


def _cells(run_dir: Path, record: RunRecord) -> dict[str, str]:
    metrics = final_metrics(record)
    return {
        "run": run_dir.name,
        "kind": record.kind.value if record.kind else "?",
        "status": record.status.value if record.status else "?",
        "epochs": "" if record.epochs is None else str(record.epochs),
        "started (UTC)": (record.started or "")[:16].replace("T", " "),
        "metrics": "\n".join(
            f"{key} {metrics[key]:.4f}" for key in headline(metrics)[:_SHOWN_METRICS]
        ),
    }


def _narrowest(rows: list[dict[str, str]], columns: list[str], run_width: int) -> int:
    """The width a layout needs: folded columns at their floor, the others whole, and borders.

    Rich's own measurement takes a folded column's longest word as its minimum, so it cannot
    tell which layout fits; this is that sum, done by hand.
    """
    widths = []
    for column in columns:
        if column in _FOLDED:
            widths.append(run_width if column == "run" else _FOLDED[column])
        else:
            widths.append(
                max(
                    len(column),
                    *(len(line) for row in rows for line in row[column].splitlines() or [""]),
                )
            )
    return sum(widths) + 3 * len(columns) + 1  # a space either side and a rule per column


def _runs_table(
    directory: Path, rows: list[dict[str, str]], columns: list[str], widths: dict[str, int]
) -> Table:
    table = Table(title=Text(f"runs in {directory}"), expand=False)
    for column in columns:
        if column in _FOLDED:
            # Folded onto more lines, never cut: a run name is typed back into commands.
            table.add_column(column, overflow="fold", width=widths[column])
        else:
            table.add_column(
                column, no_wrap=True, justify="right" if column == "epochs" else "left"
            )
    for row in rows:
        table.add_row(*(Text(row[column]) for column in columns))
    return table


def _folded_widths(rows: list[dict[str, str]], columns: list[str], width: int) -> dict[str, int]:
    """Widths of the run and metrics columns that share what the other columns leave.

    Set by hand because rich shrinks wrapping columns in proportion and, with a long word in
    them, would make the table wider than the terminal (and cut it) rather than fold more.
    """
    natural = {
        column: max(
            len(column), *(len(line) for row in rows for line in row[column].splitlines() or [""])
        )
        for column in columns
    }
    spare = (
        width
        - 3 * len(columns)
        - 1
        - sum(natural[column] for column in columns if column not in _FOLDED)
    )
    metrics = natural.get("metrics", 0)
    if natural["run"] + metrics <= spare:
        return {column: natural[column] for column in _FOLDED if column in columns}
    if "metrics" not in columns:
        return {"run": max(_FOLDED["run"], spare)}
    metrics = min(metrics, max(_FOLDED["metrics"], spare - natural["run"]))
    return {"run": max(_FOLDED["run"], min(natural["run"], spare - metrics)), "metrics": metrics}


def print_runs(directory: Path, found: list[tuple[Path, RunRecord]]) -> None:
    """The table of runs: name, kind, status, epochs, start, the most telling metrics."""
    if not found:
        out.print(f"no runs in {directory}", markup=False)
        return
    rows = [_cells(run_dir, record) for run_dir, record in found]
    # Narrower and narrower layouts: every column with whole names; then names longer than a
    # typical `name-YYYYMMDDTHHMMSSZ` fold, and columns are dropped before names fold further.
    longest = max(len(row["run"]) for row in rows)
    everything = ["run", "kind", "status", "epochs", "started (UTC)", "metrics"]
    layouts = [(everything, longest)]
    for run_width in dict.fromkeys([min(longest, 30), min(longest, 16)]):
        columns = list(everything)
        layouts.append((list(columns), run_width))
        for dropped in _DROPPED_FIRST:
            columns.remove(dropped)
            layouts.append((list(columns), run_width))
    layouts.append((["run", "status"], min(longest, 16)))  # a very narrow terminal
    columns, run_width = next(
        (layout for layout in layouts if _narrowest(rows, *layout) <= out.width), layouts[-1]
    )
    # Without soft wrapping: with it, rich would let the table overflow the terminal.
    out.print(
        _runs_table(directory, rows, columns, _folded_widths(rows, columns, out.width)),
        soft_wrap=False,
    )
    # Links are whole or useless, so they come under the table rather than in a column.
    links = [(run_dir.name, tracking_link(record)) for run_dir, record in found]
    for name, link in links:
        if link:
            out.print(f"mlflow: {name}: {link}", markup=False)


def runs_json(found: list[tuple[Path, RunRecord]]) -> None:
    """One JSON array of the runs for scripts: the record's main fields, final and best metrics."""
    rows = []
    for run_dir, record in found:
        best = best_metrics(read_history(run_dir))
        rows.append(
            {
                "run": str(run_dir),
                "name": run_dir.name,
                **record.model_dump(
                    mode="json",
                    include={"kind", "task", "status", "epochs", "started", "ended", "tracking"},
                ),
                "final_metrics": final_metrics(record),
                "best_metrics": {
                    key: {"value": value, "epoch": epoch} for key, (value, epoch) in best.items()
                },
            }
        )
    sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    sys.stdout.flush()


def _value(value) -> Text:
    if value is MISSING:
        return Text("—", style="dim")
    return Text(shown(value))


def print_compare(runs: list[tuple[Path, RunRecord]], differences: dict[str, list]) -> None:
    """Runs side by side: the config keys that differ, then final and best metrics.

    Args:
        runs: Each run's directory and record, in the order the user named them.
        differences: `kerascli.runs.compare.config_differences` of their configs.
    """
    names = [run_dir.name for run_dir, _ in runs]
    config = Table(title="config keys that differ")
    # Keys stay whole up to a point: `model.layers[1].Dense.units` is what --set takes.
    config.add_column(
        "key", overflow="fold", min_width=min(max((len(key) for key in differences), default=3), 40)
    )
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
        winner = (
            (min if lower_is_better(key) else max)(known)
            if len(known) > 1 and is_score(key)
            else None
        )
        cells = []
        for value, best in zip(values, bests):
            cell = Text(
                "—" if value is None else f"{value:.4f}",
                style="bold green" if value is not None and value == winner else "",
            )
            if key in best and best[key][0] != value:
                cell.append(f"\n({best[key][0]:.4f}, {best[key][1]})", style="dim")
            cells.append(cell)
        metrics.add_row(Text(key), *cells)
    out.print(metrics)


def print_sweeps(directory: Path, sweeps: list[tuple[Path, SweepRecord]]) -> None:
    """The table of sweeps (`kerascli tune`): status, trials by outcome, the best trial."""
    if not sweeps:
        return
    table = Table(title=Text(f"sweeps in {directory}"), expand=False)
    table.add_column("sweep", no_wrap=True)  # typed back into commands: never folded
    for column in ("status", "trials", "best"):
        table.add_column(column, overflow="fold")
    for sweep_dir, record in sweeps:
        counts = record.counts or {}
        done = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
        best = record.best
        shown = (
            f"trial {best.number}: {record.metric or 'value'} {best.value:.4f}"
            if best is not None and best.value is not None
            else "—"
        )
        table.add_row(
            Text(sweep_dir.name),
            Text(record.status.value if record.status else "?"),
            Text(f"{done or 'none'} (of {record.trials if record.trials else '?'})"),
            Text(shown),
        )
    out.print(table)
