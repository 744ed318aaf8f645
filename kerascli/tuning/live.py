"""The sweep as it runs: a live table on a terminal, one line per finished trial elsewhere."""

from __future__ import annotations

import contextlib

from rich.live import Live
from rich.table import Table
from rich.text import Text

from kerascli.tuning.results import Row, best_row

_SHOWN_ROWS = 20  # the newest trials; results.csv and sweep.html hold them all


def _value(value) -> str:
    return "" if value is None else f"{value:.4g}"


def _params(params: dict) -> str:
    return "  ".join(
        f"{key.rsplit('.', 1)[-1]}={_value(v) if isinstance(v, float) else v}"
        for key, v in params.items()
    )


class SweepDisplay:
    """Shows a sweep's trials: state, parameters, value, and the best so far.

    Args:
        console: A `rich.console.Console` (stderr).
        metric: The metric's name.
        direction: `minimize` or `maximize`.
        budget: The study's budget.
    """

    def __init__(self, console, metric: str, direction: str, budget: int):
        self.console, self.metric, self.direction, self.budget = console, metric, direction, budget
        self.live = Live(console=console, refresh_per_second=2, transient=False)
        self.shown: set[tuple[int, str]] = set()

    def table(self, rows: list[Row]) -> Table:
        best = best_row(rows, self.direction)
        table = Table(
            title=Text(
                f"{len(rows)}/{self.budget} trials · best {self.metric} "
                f"{_value(best.value) if best else '—'}"
                + (f" (trial {best.number})" if best else "")
            ),
            expand=False,
        )
        for column in ("trial", "state", self.metric, "parameters"):
            table.add_column(column, overflow="fold")
        for row in rows[-_SHOWN_ROWS:]:
            mark = " *" if best is not None and row.number == best.number else ""
            table.add_row(
                str(row.number), row.state, _value(row.value) + mark, Text(_params(row.params))
            )
        return table

    def update(self, rows: list[Row]) -> None:
        """Shows the trials now: the table redrawn, or a line for each newly ended trial."""
        if self.console.is_terminal:
            self.live.update(self.table(rows), refresh=True)
            return
        best = best_row(rows, self.direction)
        for row in rows:
            if row.state == "running" or (row.number, row.state) in self.shown:
                continue
            self.shown.add((row.number, row.state))
            line = f"trial {row.number} {row.state}"
            if row.value is not None:
                line += f" {self.metric}={_value(row.value)}"
            if best is not None:
                line += f" (best {_value(best.value)}, trial {best.number})"
            self.console.print(f"{line}  {_params(row.params)}", markup=False, highlight=False)

    @contextlib.contextmanager
    def running(self):
        """Holds the live table on the terminal for the block."""
        if not self.console.is_terminal:
            yield self
            return
        with self.live:
            yield self
