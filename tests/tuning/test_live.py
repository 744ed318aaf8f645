"""The sweep as it runs: a live table on a terminal, a line per ended trial elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from kerascli.tuning.live import SweepDisplay
from kerascli.tuning.results import Row

ROWS = [
    Row(0, "complete", {"compile.optimizer.learning_rate": 0.001, "fit.batch_size": 32}, 0.81),
    Row(1, "pruned", {"compile.optimizer.learning_rate": 0.1, "fit.batch_size": 64}, 0.2),
    Row(2, "running", {"compile.optimizer.learning_rate": 0.01, "fit.batch_size": 32}, None),
]


def test_a_terminal_gets_a_table_with_the_best_so_far():
    text = io.StringIO()
    console = Console(file=text, force_terminal=True, width=100)
    display = SweepDisplay(console, "val_accuracy", "maximize", 10)
    with display.running():
        display.update(ROWS)
    shown = text.getvalue()
    assert "3/10 trials · best val_accuracy 0.81 (trial 0)" in shown
    assert "0.81 *" in shown and "learning_rate=0.01" in shown and "running" in shown


def test_a_log_gets_one_line_per_ended_trial_once():
    text = io.StringIO()
    display = SweepDisplay(Console(file=text, width=200), "val_accuracy", "maximize", 10)
    display.update(ROWS[:1])
    display.update(ROWS)
    assert text.getvalue().splitlines() == [
        "trial 0 complete val_accuracy=0.81 (best 0.81, trial 0)  learning_rate=0.001  "
        "batch_size=32",
        "trial 1 pruned val_accuracy=0.2 (best 0.81, trial 0)  learning_rate=0.1  batch_size=64",
    ]
