"""When `inference.engine.choose_engine` picks Keras: one note saying why, then TensorFlow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerascli.cli.reporting import err, load_backend

if TYPE_CHECKING:
    from kerascli.inference.engine import Choice


def use_keras(choice: Choice, doing: str) -> None:
    """Says why the run's export is not used, when it has one, and loads Keras.

    Args:
        choice: What `choose_engine` decided (Keras).
        doing: What the command does, for the note: `"predicting"` gives
            `note: predicting with Keras: <why>`.
    """
    note = choice.note(doing)
    if note:
        err.print(f"note: {note}", markup=False)
    load_backend()
