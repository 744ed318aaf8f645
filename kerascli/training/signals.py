"""SIGTERM handled like Ctrl-C, so a terminated run ends interrupted and resumable."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from kerascli.errors import Interrupted, KerascliError
from kerascli.runs.layout import utc_now
from kerascli.runs.record import RunStatus, update_run_json


@contextmanager
def sigterm_as_interrupt():
    """Treats SIGTERM like Ctrl-C, so a terminated run is marked interrupted and resumable.

    SIGINT gets Python's own Ctrl-C handler for the block even where it was ignored: a shell
    script starts its background jobs with SIGINT ignored, and `kill -INT` should still stop
    such a run cleanly rather than do nothing.
    """

    def handler(signum, frame):
        raise KeyboardInterrupt

    if os.name != "posix" or not _in_main_thread():
        yield
        return
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, handler),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, action)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def recording_outcome(
    run_dir: Path, epochs_done: Callable[[], int], on_interrupt: Callable[[], object] | None = None
):
    """Runs a training loop so that an early stop is recorded in `run.json`.

    Ctrl-C or SIGTERM marks the run `interrupted` (with the epochs completed) and raises
    `Interrupted`; any other exception marks it `failed` and propagates.

    Args:
        run_dir: The run directory.
        epochs_done: Returns how many epochs are complete, when the run stops.
        on_interrupt: Called first when interrupted (e.g. to draw what there is). Defaults to
            `None`.

    Raises:
        Interrupted: On Ctrl-C or SIGTERM.
    """
    try:
        with sigterm_as_interrupt():
            yield
    except KeyboardInterrupt:
        if on_interrupt is not None:
            on_interrupt()
        update_run_json(
            run_dir, status=RunStatus.interrupted, ended=utc_now(), epochs=epochs_done()
        )
        raise Interrupted(run_dir) from None
    except BaseException as error:
        update_run_json(
            run_dir,
            status=RunStatus.failed,
            ended=utc_now(),
            # A known failure (a lost worker) is recorded as the line the user sees.
            error=(
                error.format()
                if isinstance(error, KerascliError)
                else f"{type(error).__name__}: {error}"
            )[:500],
        )
        raise
