"""The run directory's layout: where runs live, how they are named, and every file name in them.

The one place for run-directory file names: everything that reads or writes a run names its
files through the constants here.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from kerascli.errors import RunError

DEFAULT_RUNS_DIR = "runs"
RUN_RECORD = "run.json"
CONFIG_FILE = "config.yaml"
MODEL_FILE = "model.keras"
HISTORY_JSON = "history.json"
HISTORY_CSV = "history.csv"
EVALUATION_FILE = "evaluation.json"
LOCK_FILE = ".lock"
PLOTS_DIR = "plots"
CONFUSION_PLOT = "confusion_matrix.png"  # inside plots/, drawn by evaluation
MISTAKES_PLOT = "misclassified.png"  # inside plots/: the most confident mistakes
SAMPLES_DIR = "samples"
CHECKPOINTS_DIR = "checkpoints"
CHECKPOINT_STATE = "state.json"
PROGRESS_GIF = "progress.gif"
# TensorBoard event files of `fit.tensorboard: true` (and a bare `TensorBoard` callback).
TENSORBOARD_DIR = "tensorboard"
# The self-contained HTML page about the run (`kerascli report`).
REPORT_FILE = "report.html"
# `kerascli export` writes every exported format of a run, and the manifest `predict`, `serve`
# and `sample` read back, into one directory that is replaced whole (never half-written).
EXPORT_DIR = "export"
EXPORT_MANIFEST = "manifest.json"
EXPORT_STAGING = ".export.staging"  # the next export, written in full before it replaces export/
# A sweep (`kerascli tune`): its directory holds its record, its results, the best trial's config,
# its page, the trials' logs and, by default, the study itself; each trial is a run directory.
SWEEP_RECORD = "sweep.json"
RESULTS_CSV = "results.csv"
BEST_CONFIG = "best.yaml"
SWEEP_PAGE = "sweep.html"
TRIAL_LOGS = "logs"
# A GAN run keeps each network in its own file, with its optimizer.
GAN_NETWORKS = ("generator", "discriminator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def network_file(network: str) -> str:
    """The final file of a network: `model.keras`, `generator.keras`, `discriminator.keras`."""
    return f"{network}.keras"


def checkpoint_file(epoch: int, network: str = "model") -> str:
    """The checkpoint of one network after `epoch`, inside `checkpoints/`."""
    return (
        f"epoch_{epoch:04d}.keras" if network == "model" else f"epoch_{epoch:04d}.{network}.keras"
    )


def sample_grid_file(epoch: int) -> str:
    """A GAN run's sample grid after `epoch`, inside `samples/`."""
    return f"epoch_{epoch:03d}.png"


def epoch_of(name: str) -> int | None:
    """The epoch of a checkpoint or sample-grid file name, or `None` for another file."""
    number = name.removeprefix("epoch_").split(".")[0]
    return int(number) if name.startswith("epoch_") and number.isdigit() else None


def runs_dir_from(value: str | Path | None) -> Path:
    """The runs directory: `value`, else `$KERASCLI_RUNS`, else `./runs`."""
    return Path(value or os.environ.get("KERASCLI_RUNS") or DEFAULT_RUNS_DIR)


def utc_now() -> str:
    """The current UTC time in ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_run_name(name: str) -> str:
    """Returns `name` if it is a safe directory name.

    Raises:
        RunError: For names with path separators, `..`, or other characters that could leave
            the runs directory.
    """
    if not _NAME.match(name or ""):
        raise RunError(
            "--name",
            f"invalid run name {name!r}",
            "use letters, digits, '-', '_' and '.', starting with a letter or digit",
        )
    return name


def create_run_dir(runs_dir: Path, name: str) -> Path:
    """Creates a new run directory `runs_dir/<name>-<UTC timestamp>/`.

    It never reuses a directory: if the name is taken (two runs in one second) a counter is
    appended.

    Raises:
        RunError: For an unsafe name or an unwritable runs directory.
    """
    check_run_name(name)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        Path(runs_dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(
            str(runs_dir), f"cannot create the runs directory: {error.strerror}"
        ) from None
    for attempt in range(1, 1000):
        candidate = Path(runs_dir) / (f"{name}-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as error:
            raise RunError(str(candidate), f"cannot create: {error.strerror}") from None
    raise RunError(str(runs_dir), f"too many runs named {name} this second")
