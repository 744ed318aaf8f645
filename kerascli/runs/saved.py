"""Opening a finished run for reuse: its record, its resolved config and where its networks are.

`evaluate` and `predict` load models, and a `.keras` file can carry code. Models are therefore
only loaded from `model.keras` inside a directory that has the `run.json` kerascli writes, never
through a symbolic link, and always with `safe_mode=True` (`kerascli.models.loading`), which
refuses the `Lambda` layers and other code that a config could never have produced. Opening needs
no TensorFlow, so a bad run directory or a bad `--set` is reported before the slow import; a
command opens its run once and hands the `SavedRun` down. Nothing here writes to the run
directory: a run that cannot be used is left exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kerascli.errors import RunError, clip
from kerascli.runs.layout import CONFIG_FILE, MODEL_FILE, RUN_RECORD, network_file
from kerascli.runs.lock import is_locked
from kerascli.runs.status import RunStatus

if TYPE_CHECKING:  # loaded on use: the CLI starts without pydantic
    from kerascli.config.schema import ExperimentConfig
    from kerascli.runs.record import RunRecord


@dataclass(frozen=True)
class SavedRun:
    """A run directory with trained networks, ready to evaluate, predict or sample with.

    Args:
        run_dir: The run directory.
        record: Its `run.json`, typed.
        config: Its `config.yaml`, with any overrides applied.
        overrides: Those overrides, as given. Defaults to none.
    """

    run_dir: Path
    record: RunRecord
    config: ExperimentConfig
    overrides: tuple[str, ...] = ()

    @property
    def model_path(self) -> Path:
        return self.run_dir / MODEL_FILE

    def network_path(self, network: str = "model") -> Path:
        """The final file of one network: `model`, `generator` or `discriminator`."""
        return self.run_dir / network_file(network)

    @property
    def task(self) -> str | None:
        """`classification`, `binary` or `regression` as training recorded it, else `None`."""
        return self.record.task


def load_saved_config(
    run_dir: Path, overrides: list[str] | None = None, *, require: str = "model"
) -> ExperimentConfig:
    """Loads the resolved `config.yaml` of a run directory, with optional overrides."""
    from kerascli.config.loading import load_config

    return load_config(Path(run_dir) / CONFIG_FILE, overrides, require=require)


def check_run(run_dir: str | Path) -> RunRecord:
    """`open_run`'s checks without loading the config: returns the run's record.

    `predict` and `serve` check a run this way before using its export, which needs no config.

    Raises:
        RunError: As `open_run`.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(str(run_dir), "is a file, not a run directory", _file_hint(run_dir))
    from kerascli.runs.record import load_run

    record = load_run(run_dir)
    if record.is_gan:
        raise RunError(
            str(run_dir),
            "is a GAN run, which has no classifier to use",
            "name a run made by kerascli train",
        )
    _check_finished(run_dir, record)
    model = run_dir / MODEL_FILE
    if model.is_symlink():
        raise RunError(str(model), "is a symbolic link; only a model the run wrote is loaded")
    if not model.is_file():
        raise RunError(
            str(run_dir),
            f"has no {MODEL_FILE} (status: {record.status_name})",
            "a run has its model once training completes",
        )
    if not (run_dir / CONFIG_FILE).is_file():
        raise RunError(
            str(run_dir),
            f"has no {CONFIG_FILE}, the config its model was trained with",
            "train the run again",
        )
    return record


def open_run(run_dir: str | Path, overrides: list[str] | None = None) -> SavedRun:
    """Reads a run's record and config and checks that it has a finished model to load.

    Args:
        run_dir: The run directory.
        overrides: `KEY.PATH=VALUE` strings applied to the run's config. Defaults to none.

    Returns:
        A `SavedRun`.

    Raises:
        RunError: When the path is a file rather than a run directory, the directory is not a
            kerascli run, is a GAN run, has not completed (still training, failed,
            interrupted), or has no model or config.
        ConfigError: When the saved config or an override is invalid.
    """
    run_dir = Path(run_dir)
    record = check_run(run_dir)
    return SavedRun(run_dir, record, load_saved_config(run_dir, overrides), tuple(overrides or ()))


def _file_hint(path: Path) -> str:
    """How to name a run instead of a file: its directory, when the file is in one."""
    if (path.parent / RUN_RECORD).is_file():
        return f"name the run directory: {path.parent}"
    if path.suffix.lower() in (".keras", ".h5", ".hdf5"):
        return (
            "kerascli loads models only from the run directories that kerascli train "
            "makes, which hold run.json and model.keras"
        )
    return "name a run directory made by kerascli train"


def _check_finished(run_dir: Path, record: RunRecord) -> None:
    """Refuses a run whose training did not complete: its model is missing, old or partial."""
    status = record.status
    if status is RunStatus.completed:
        return
    resume = f"resume it: kerascli train {run_dir / CONFIG_FILE} --resume {run_dir}"
    if status is RunStatus.running:
        if is_locked(run_dir):
            raise RunError(
                str(run_dir),
                "is still training (another kerascli process is using it)",
                "wait for it to finish",
            )
        raise RunError(
            str(run_dir),
            f"did not finish: its status is still {RunStatus.running.value!r} but no "
            "process is training it (killed or crashed)",
            resume,
        )
    if status is RunStatus.interrupted:
        raise RunError(str(run_dir), "was interrupted before training completed", resume)
    if status is RunStatus.failed:
        reason = record.error
        detail = f": {clip(str(reason), 120)}" if reason else ""
        raise RunError(
            str(run_dir),
            f"its training failed{detail}",
            f"fix the cause, then {resume}, or train it again",
        )
    raise RunError(
        str(run_dir / RUN_RECORD),
        f"the run's status is {status.value if status else None!r}, "
        f"not {RunStatus.completed.value!r}",
        "use a run that kerascli train completed",
    )


def open_gan_run(run_dir: str | Path) -> SavedRun:
    """Reads a GAN run's record and config and checks that it has a generator.

    Returns:
        A `SavedRun` whose `network_path("generator")` is its `generator.keras`.

    Raises:
        RunError: When the directory is not a GAN run or has no generator file.
        ConfigError: When its saved config is invalid.
    """
    run_dir = Path(run_dir)
    record = check_gan_run(run_dir)
    return SavedRun(run_dir, record, load_saved_config(run_dir, require="gan"))


def check_gan_run(run_dir: str | Path) -> RunRecord:
    """`open_gan_run`'s checks without loading the config: returns the run's record.

    Raises:
        RunError: As `open_gan_run`.
    """
    run_dir = Path(run_dir)
    from kerascli.runs.record import load_run

    record = load_run(run_dir)
    if not record.is_gan:
        raise RunError(str(run_dir), "is not a GAN run", "name a run made by kerascli gan")
    path = run_dir / network_file("generator")
    if path.is_symlink() or not path.is_file():
        raise RunError(
            str(run_dir),
            f"has no {path.name} (status: {record.status_name})",
            "a GAN run has it once training completes",
        )
    return record
