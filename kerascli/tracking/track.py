"""Whether a run is tracked, and the tracking around it: the MLflow run of a training run
(`track_run`, used by the lifecycle) and of its exported files (`log_export`, by `export`).

Nothing here imports MLflow unless a run is tracked.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from kerascli.errors import ConfigError, Interrupted, one_line
from kerascli.runs.layout import RUN_RECORD
from kerascli.runs.record import RunRecord, load_run
from kerascli.tracking import content
from kerascli.tracking.session import MlflowSession, bounded_requests, mlflow_client

INSTALL_HINT = "pip install 'kerascli[mlflow]'"


def tracking_wanted(config, record: RunRecord | None = None) -> bool:
    """Whether a run is tracked: its config has `track.mlflow`, or it resumes a tracked run."""
    resumed = record is not None and record.tracking is not None
    return bool(config.track and config.track.mlflow) or resumed


def check_installed(config, record: RunRecord | None = None) -> None:
    """Refuses a tracked run when MLflow is not installed, before anything is written.

    Raises:
        ConfigError: `track.mlflow` (or a tracked run being resumed) without MLflow.
    """
    import importlib.util

    if tracking_wanted(config, record) and importlib.util.find_spec("mlflow") is None:
        raise ConfigError("track.mlflow", "MLflow is not installed", INSTALL_HINT)


class _Untracked:
    """What `track_run` yields for a run that is not tracked."""

    def callbacks(self) -> list:
        return []


def _printer(console):
    if console is None:
        from rich.console import Console

        console = Console(stderr=True, highlight=False, soft_wrap=True)
    return lambda line: console.print(line, markup=False)


@contextlib.contextmanager
def track_run(config, run_dir: Path, console=None):
    """Mirrors the kerascli run in `run_dir` as an MLflow run while the block runs.

    Off unless the config has `track.mlflow` or the run being resumed was tracked. The block
    gets an object whose `callbacks()` go into `fit`; when it ends (however it ends, after the
    run's files are complete) the MLflow run gets the rest and the kerascli run's status.

    Args:
        config: The validated experiment config.
        run_dir: The run directory (created; `run.json` may not exist yet).
        console: A `rich.console.Console` for the warning lines. Defaults to stderr.
    """
    record = load_run(run_dir) if (Path(run_dir) / RUN_RECORD).is_file() else None
    if not tracking_wanted(config, record):
        yield _Untracked()
        return
    with bounded_requests():
        session = MlflowSession.open(config, run_dir, _printer(console))
        try:
            yield session
        except (KeyboardInterrupt, Interrupted):
            session.close(failed=False)
            raise
        except BaseException:
            session.close(failed=True)
            raise
        session.close(failed=False)


def log_export(run_dir: Path, files: list[Path], console=None) -> None:
    """Adds exported model files (`kerascli export`) to the run's MLflow run, if it has one.

    Args:
        run_dir: The run directory. files: The exported files or folders.
        console: A `rich.console.Console` for a warning line. Defaults to stderr.
    """
    tracking = load_run(run_dir).tracking
    if tracking is None or not tracking.run_id or not files:
        return
    with bounded_requests():
        try:
            client = mlflow_client(tracking.uri)
            for path in files:
                log = client.log_artifacts if Path(path).is_dir() else client.log_artifact
                log(tracking.run_id, str(path), content.EXPORT_ARTIFACTS)
        except Exception as error:  # noqa: BLE001 - the export is done; only the copy failed
            _printer(console)(
                f"warning: mlflow: the export was not sent to {tracking.uri} "
                f"({one_line(error, 160)}); it is in {Path(run_dir) / 'export'}"
            )
