"""Training progress on the terminal: a rich progress bar per epoch, or one line per epoch.

Keras' own `ProgbarLogger` prints carriage-return lines that garble logs and rich output alike;
this callback draws with rich when the output is a terminal and prints one plain line per epoch
otherwise (or with `quiet`), so CI logs stay readable.
"""

from __future__ import annotations

import time

import keras
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def format_logs(logs: dict) -> str:
    """`loss 0.1234 · accuracy 0.9712 · val_loss ...` with 4 significant figures."""
    parts = []
    for key, value in logs.items():
        try:
            parts.append(f"{key} {float(value):.4g}")
        except (TypeError, ValueError):
            continue
    return " · ".join(parts)


class RichProgress(keras.callbacks.Callback):
    """Shows each epoch's progress and live metrics.

    Args:
        epochs: The total number of epochs (for `Epoch 3/10`).
        console: Where to draw. Defaults to a new stderr console.
        quiet: Print one line per epoch and no bar. Defaults to `False`.
        refresh_seconds: How often the live metrics are read (reading them costs a device sync).
            Defaults to 0.25.
        headline: A line printed once when training starts (where it runs). Defaults to `None`.
    """

    # The batch hook only updates a rich Progress (which holds its own lock), so Keras may call it
    # from its callback thread instead of waiting for each step's logs before the next step starts.
    async_safe = True

    def __init__(
        self,
        epochs: int,
        console: Console | None = None,
        quiet: bool = False,
        refresh_seconds: float = 0.25,
        headline: str | None = None,
    ):
        super().__init__()
        self.epochs = epochs
        self.headline = headline
        self.console = console or Console(stderr=True)
        self.live = not quiet and self.console.is_terminal
        self.refresh_seconds = refresh_seconds
        self._progress: Progress | None = None
        self._task = None
        self._last_refresh = 0.0
        self._epoch_start = 0.0

    def on_train_begin(self, logs=None):
        if self.headline:
            self.console.print(self.headline, highlight=False, soft_wrap=True, markup=False)
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=self.console,
                transient=False,
            )
            self._progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        if self._progress is not None:
            total = self.params.get("steps") if self.params else None
            self._task = self._progress.add_task(
                f"Epoch {epoch + 1}/{self.epochs}", total=total, metrics=""
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._progress is None:
            return
        now = time.perf_counter()
        fields = {}
        if now - self._last_refresh >= self.refresh_seconds:
            self._last_refresh = now
            fields["metrics"] = format_logs(logs or {})
        self._progress.update(self._task, completed=batch + 1, **fields)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        text = format_logs(logs or {})
        if self._progress is not None:
            self._progress.update(self._task, metrics=f"{text} · {seconds:.1f}s")
        else:
            self.console.print(
                f"Epoch {epoch + 1}/{self.epochs} · {text} · {seconds:.1f}s",
                highlight=False,
                soft_wrap=True,
            )

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
