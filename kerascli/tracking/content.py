"""What a kerascli run sends to MLflow, computed from its config and files (without MLflow).

Params are the resolved config flattened to the dotted keys `runs compare` shows, with list
indices written `.0` instead of `[0]` (MLflow's keys take letters, digits, `_ - . / : `and
spaces; `model.layers.0.Dense.units` is still a path `--set` takes). Metrics are `history.json`'s
values at step = the epoch's index (0-based, as `history.csv`'s `epoch` column).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kerascli.runs.compare import flatten, shown
from kerascli.runs.layout import (
    CONFIG_FILE,
    EVALUATION_FILE,
    GAN_NETWORKS,
    HISTORY_CSV,
    HISTORY_JSON,
    MODEL_FILE,
    PLOTS_DIR,
    PROGRESS_GIF,
    REPORT_FILE,
    RUN_RECORD,
    SAMPLES_DIR,
    network_file,
)
from kerascli.runs.status import RunStatus

if TYPE_CHECKING:
    from kerascli.runs.record import RunRecord

# kerascli's run status -> the MLflow run's; a run still marked running when its process stops
# (an error outside the fit) ended badly.
STATUSES = {
    RunStatus.completed: "FINISHED",
    RunStatus.pruned: "FINISHED",  # stopped early on purpose by a sweep's pruner
    RunStatus.failed: "FAILED",
    RunStatus.interrupted: "KILLED",
}
# Where the run's model files go among the MLflow run's artifacts (for the model registry).
MODEL_ARTIFACTS = "model"
EXPORT_ARTIFACTS = "export"
_INDEX = re.compile(r"\[(\d+)\]")
_NOT_IN_KEYS = re.compile(r"[^\w./:\- ]")


def mlflow_key(key: str) -> str:
    """A dotted config key or a metric name as MLflow takes it (`layers[0]` -> `layers.0`)."""
    return _NOT_IN_KEYS.sub("_", _INDEX.sub(r".\1", key))


def params(config: dict) -> dict[str, str]:
    """The config's leaves by MLflow key, each value as `runs compare` shows it."""
    return {mlflow_key(key): shown(value) for key, value in flatten(config).items()}


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def epoch_metrics(history: dict[str, list], start: int = 0) -> list[tuple[str, float, int]]:
    """`(key, value, step)` for every epoch from `start` on; missing values (`null`) are left out.

    NaN and infinities are kept: MLflow stores them as they are.
    """
    epochs = max((len(values) for values in history.values()), default=0)
    return [
        (mlflow_key(key), number, step)
        for step in range(start, epochs)
        for key, values in history.items()
        if step < len(values) and (number := _number(values[step])) is not None
    ]


def test_metrics(record: RunRecord, history: dict[str, list]) -> dict[str, float]:
    """The final figures `run.json` records that are not epoch logs (`test_accuracy`, ...)."""
    return {
        mlflow_key(key): number
        for key, value in (record.final_metrics or {}).items()
        if key not in history and (number := _number(value)) is not None
    }


def mlflow_status(status: RunStatus | None, failed: bool) -> str:
    """The MLflow run's final status for a kerascli run that ended with `status`.

    Args:
        status: `run.json`'s status.
        failed: Whether the run's process is raising an error (other than an interrupt).
    """
    if status is not None and status in STATUSES:
        return STATUSES[status]
    return "FAILED" if failed else "FINISHED"


def tags(record: RunRecord, run_dir: Path) -> dict[str, str]:
    """The MLflow run's tags: what ran, where, on what, and how it ended."""
    distribute = record.distribute or {}
    kind = record.kind.value if record.kind else "train"
    found = {
        "mlflow.runName": Path(run_dir).name,
        "mlflow.source.name": f"kerascli {kind}",
        "mlflow.source.type": "LOCAL",
        "kerascli.version": (record.versions or {}).get("kerascli"),
        "kerascli.run_dir": str(Path(run_dir).resolve()),
        "kerascli.kind": record.kind.value if record.kind else None,
        "kerascli.task": record.task,
        "kerascli.status": record.status.value if record.status else None,
        "kerascli.device": ", ".join(
            str(device.get("name", "?")) for device in record.devices or []
        ),
        "kerascli.distribute": distribute.get("strategy"),
        "kerascli.replicas": distribute.get("replicas"),
        "kerascli.error": record.error,
    }
    return {key: str(value) for key, value in found.items() if value not in (None, "")}


def artifacts(run_dir: Path) -> list[tuple[Path, str | None]]:
    """The run's files an MLflow run keeps: `(file or folder, artifact folder or None)`.

    Checkpoints and TensorBoard events stay in the run directory: they are for resuming and
    inspecting there, and can be large.
    """
    run_dir = Path(run_dir)
    found = [
        (run_dir / name, None)
        for name in (CONFIG_FILE, RUN_RECORD, REPORT_FILE, HISTORY_CSV, HISTORY_JSON)
    ]
    found.append((run_dir / EVALUATION_FILE, None))
    found.append((run_dir / PLOTS_DIR, PLOTS_DIR))
    found.append((run_dir / SAMPLES_DIR / PROGRESS_GIF, SAMPLES_DIR))
    for name in (MODEL_FILE, *(network_file(network) for network in GAN_NETWORKS)):
        found.append((run_dir / name, MODEL_ARTIFACTS))
    return [(path, folder) for path, folder in found if path.exists()]


def run_url(uri: str, experiment_id: str, run_id: str) -> str | None:
    """Where a browser shows the MLflow run: only for a tracking server (`http(s)://`)."""
    if not uri.startswith(("http://", "https://")):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def absolute_uri(uri: str) -> str:
    """A tracking URI that names the same store from any working directory: a relative
    `sqlite:///mlflow.db` or `./mlruns` is made absolute; servers are kept as they are."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri.removeprefix("sqlite:///")).resolve())
    if uri.startswith(("/", "./", "../")):  # a plain path to a file store
        return Path(uri).resolve().as_uri()
    return uri


def imported_mlflow():
    """The `mlflow` module when this process already imported it (a caller's own tracking),
    else `None`: kerascli never imports it just to look for an active run."""
    return sys.modules.get("mlflow")
