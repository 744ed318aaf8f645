"""Rendering results for people: scores, tables of classes and predictions (rich).

Runs are rendered by `kerascli.cli.render_runs`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from kerascli.cli.reporting import out
from kerascli.runs.layout import REPORT_FILE

if TYPE_CHECKING:  # annotations only: the CLI starts without pydantic
    from kerascli.runs.results import Evaluation, Scores


def scores(evaluation: Evaluation) -> str:
    """`loss 0.1234 · accuracy 0.9712`: an evaluation's loss and metrics on one line."""
    return " · ".join(
        f"{key} {value:.4f}" if value is not None else f"{key} nan"
        for key, value in evaluation.scores.items()
    )


def print_training(run_dir: Path, evaluation: Evaluation | None) -> None:
    """What `train` ends with: the test scores, when evaluated, and the run directory."""
    if evaluation:
        out.print(f"test: {scores(evaluation)}")
    out.print(f"report: {run_dir / REPORT_FILE}", markup=False)
    out.print(f"run: {run_dir}", markup=False)


def print_gan(run_dir: Path, final_metrics: dict, samples_dir: Path) -> None:
    """What `gan` ends with: the last epoch's logs, the samples and the run directory."""
    if final_metrics:
        from kerascli.training.progress import format_logs

        out.print(f"last epoch: {format_logs(final_metrics)}", markup=False)
    out.print(f"samples: {samples_dir}", markup=False)
    out.print(f"report: {run_dir / REPORT_FILE}", markup=False)
    out.print(f"run: {run_dir}", markup=False)


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def print_evaluation(evaluation: Evaluation, written: list[Path]) -> None:
    """An evaluation: scores, the per-class table of classifiers, and the files written."""
    out.print(
        f"test ({evaluation.examples} examples, {evaluation.task}): {scores(evaluation)}",
        markup=False,
    )
    if evaluation.per_class:
        table = Table(title="per class")
        for column in ("class", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "class" else "right")
        rows: list[tuple[str, Scores]] = [(row.name, row) for row in evaluation.per_class]
        rows += [
            (label, average)
            for label, average in (
                ("macro avg", evaluation.macro_avg),
                ("weighted avg", evaluation.weighted_avg),
            )
            if average is not None
        ]
        for index, (label, row) in enumerate(rows):
            table.add_row(
                Text(label),
                _figure(row.precision),
                _figure(row.recall),
                _figure(row.f1),
                str(row.support),
                end_section=index == len(evaluation.per_class) - 1,
            )
        out.print(table)
    for path in written:
        out.print(f"wrote: {path}", markup=False)


def print_predictions(report, *, top_k: int, json_lines: bool) -> None:
    """Predictions as a table, or as one JSON object per line (`--json`)."""
    if json_lines:
        # Plain writes: machine-read output needs no rich markup or wrapping, and is faster.
        sys.stdout.write("".join(json.dumps(p.to_json()) + "\n" for p in report.predictions))
        sys.stdout.flush()
        return
    if not report.predictions:
        return
    if getattr(report.predictions[0], "value", None) is not None:  # a regression's values
        table = Table(title=Text(f"predictions of {report.run_dir}"))
        table.add_column("example", overflow="fold")
        table.add_column("value", justify="right")
        for p in report.predictions:
            table.add_row(Text(p.file), f"{p.value:.6g}")
        out.print(table)
        return
    table = Table(title=Text(f"predictions of {report.run_dir}"))
    for column in ("file", "class", "probability", *(["top k"] if top_k > 1 else [])):
        table.add_column(
            column, justify="right" if column == "probability" else "left", overflow="fold"
        )  # a path cut short with "…" names no file
    for p in report.predictions:
        top = " · ".join(f"{name} {prob:.3f}" for name, prob in p.top_k)
        table.add_row(
            Text(p.file),
            Text(p.class_name),
            f"{p.probability:.4f}",
            *([Text(top)] if top_k > 1 else []),
        )
    out.print(table)
