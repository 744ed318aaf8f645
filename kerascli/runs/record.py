"""`run.json`, typed: what a run is, how it went, and the one way to read and write it.

Every module that asks about a run (its status, whether it is a GAN run, the classes it learnt)
asks a `RunRecord`; nothing reads `run.json`'s keys by string. The statuses are one Enum
(`RunStatus`, in `kerascli.runs.status` with `RunKind`), and "is this a GAN run?" one property
(`RunRecord.is_gan`).

Old run directories must keep loading, and a newer kerascli may write keys this one does not
know: every field is optional, and unknown keys are kept (read, and written back unchanged by
`update_run_json`), so a record is never narrowed to what this version understands. A known key
whose value this version cannot read (a status it does not know, a count that is text) makes
the record invalid: `load_run` says which key, and `kerascli runs` leaves that run out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kerascli.errors import RunError
from kerascli.runs.files import atomic_write_json, json_safe, read_json
from kerascli.runs.layout import RUN_RECORD
from kerascli.runs.status import RunKind, RunStatus

__all__ = [
    "RunKind",
    "RunRecord",
    "RunStatus",
    "Stage",
    "Tracking",
    "Trial",
    "load_run",
    "parse_record",
    "update_run_json",
]


class _Part(BaseModel):
    # Unknown keys kept, as in the record itself: a newer kerascli may add some.
    model_config = ConfigDict(extra="allow")


class Stage(_Part):
    """One phase of a fine-tuning run (`fit.stages`)."""

    epochs: int = Field(description="The epochs this stage trained.")
    trainable_params: int | None = Field(
        default=None, description="The model's trainable parameters during the stage."
    )
    learning_rate: float | None = Field(
        default=None, description="The optimizer's learning rate from this stage on."
    )


class Tracking(_Part):
    """The MLflow run that mirrors this run (`track.mlflow`)."""

    run_id: str | None = Field(default=None, description="The MLflow run's id.")
    experiment_id: str | None = Field(default=None, description="Its experiment's id.")
    uri: str | None = Field(default=None, description="The tracking URI it was logged to.")
    url: str | None = Field(default=None, description="Where a browser shows it, when known.")


class Trial(_Part):
    """The sweep trial this run is (`kerascli tune`)."""

    sweep_dir: str = Field(description="The sweep directory holding the trial.")
    number: int = Field(description="The trial's number in the study.")


class RunRecord(BaseModel):
    """A run's `run.json`.

    Every field is optional: a run that is still starting, or one written by an older kerascli,
    has only some of them. Keys this version does not know are kept as extra fields.
    """

    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, description="The run directory's name.")
    kind: RunKind | None = Field(default=None, description="The command that made the run.")
    status: RunStatus | None = Field(default=None, description="Where the run stands.")
    command: list[str] | None = Field(default=None, description="The command line that ran.")
    versions: dict[str, str | None] | None = Field(
        default=None, description="kerascli, Python, TensorFlow, Keras and NumPy versions."
    )
    seed: int | None = Field(default=None, description="The config's seed.")
    deterministic: bool | None = Field(default=None, description="Deterministic ops were on.")
    devices: list[dict[str, Any]] | None = Field(
        default=None, description="The devices TensorFlow found (name, type)."
    )
    distribute: dict[str, Any] | None = Field(
        default=None, description="The strategy, its replicas and devices (and the cluster)."
    )
    started: str | None = Field(default=None, description="When the run started (UTC, ISO 8601).")
    resumed: str | None = Field(default=None, description="When it was last resumed, if it was.")
    resumed_auto: bool | None = Field(
        default=None, description="Whether `--resume auto` chose this run to continue."
    )
    ended: str | None = Field(default=None, description="When it last stopped (UTC, ISO 8601).")
    task: str | None = Field(default=None, description="classification, binary, regression or gan.")
    train_examples: int | None = Field(default=None, description="Examples trained on.")
    num_classes: int | None = Field(
        default=None, description="Classes in the labels; `null` for regression."
    )
    class_names: list[str] | None = Field(
        default=None, description="The class names training saw (folders, CSV, texts)."
    )
    target: str | None = Field(default=None, description="A table's target column.")
    features: dict[str, str | dict[str, Any]] | None = Field(
        default=None,
        description="A table's feature columns and their kinds (a name or `{kind: {options}}`).",
    )
    epochs: int | None = Field(default=None, description="Epochs completed in all.")
    epoch_seconds: list[float] | None = Field(
        default=None, description="Each epoch's wall time of the last session."
    )
    final_metrics: dict[str, float | None] | None = Field(
        default=None, description="The last epoch's logs and the test figures (NaN is null)."
    )
    error: str | None = Field(default=None, description="Why the run failed.")
    stages: list[Stage] | None = Field(default=None, description="Each fine-tuning stage.")
    tracking: Tracking | None = Field(default=None, description="The MLflow run, if tracked.")
    trial: Trial | None = Field(default=None, description="The sweep trial, if it is one.")

    @model_validator(mode="before")
    @classmethod
    def _kind_of_old_runs(cls, data: Any) -> Any:
        # Records without `kind` (none written since GANs came, kept for safety) say `task: gan`.
        if isinstance(data, dict) and data.get("kind") is None and data.get("task") == "gan":
            return {**data, "kind": RunKind.gan.value}
        return data

    @property
    def is_gan(self) -> bool:
        """Whether `kerascli gan` made the run: the one rule for "is this a GAN run?"."""
        return self.kind is RunKind.gan

    @property
    def status_name(self) -> str:
        """The status as shown to people: its value, or `unknown` when none is recorded."""
        return self.status.value if self.status is not None else "unknown"

    @property
    def records_class_count(self) -> bool:
        """Whether training recorded `num_classes` (`null` for regression is a record too)."""
        return "num_classes" in self.model_fields_set

    def table_features(self, where: str) -> dict[str, str | dict[str, Any]]:
        """A table run's feature columns and kinds, as training read them.

        Raises:
            RunError: When the record has none (not a CSV run, or an edited record).
        """
        if self.features is None:
            raise RunError(where, "the run recorded no feature columns", "train the run again")
        return self.features

    def extra_fields(self) -> dict[str, Any]:
        """The keys this version of kerascli does not know, as they were read."""
        return dict(self.model_extra or {})

    def as_json(self) -> dict[str, Any]:
        """The record as `run.json` holds it: the keys it was read or written with, no others."""
        return self.model_dump(mode="json", exclude_unset=True)


def _invalid(path: Path, error: ValidationError) -> RunError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return RunError(str(path), f"not a valid run record: {where}: {first['msg']}")


def parse_record(data: Any, path: Path) -> RunRecord:
    """Validates `run.json`'s content.

    Args:
        data: What the file holds (parsed JSON).
        path: The file, for the error message.

    Raises:
        RunError: When it is not a record (not an object, or a field of the wrong type).
    """
    if not isinstance(data, dict):
        raise RunError(str(path), "not a run record")
    try:
        return RunRecord.model_validate(data)
    except ValidationError as error:
        raise _invalid(path, error) from None


def load_run(run_dir: Path) -> RunRecord:
    """Reads a run's `run.json`.

    Raises:
        RunError: When the directory is not a kerascli run, or its record is not valid.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(str(run_dir), "no such run directory")
    if not (run_dir / RUN_RECORD).is_file():
        raise RunError(str(run_dir), "not a kerascli run (no run.json)")
    return parse_record(read_json(run_dir / RUN_RECORD), run_dir / RUN_RECORD)


def update_run_json(run_dir: Path, **fields: Any) -> RunRecord:
    """Merges `fields` into `run.json` (creating it), checked against `RunRecord`, atomically.

    The fields already there are kept, unknown ones included; only those given change. A field
    of the wrong type is a bug in the caller, and nothing is written.

    Args:
        run_dir: The run directory.
        **fields: `RunRecord` fields (Enums, sub-records or plain values; NaN becomes `null`).

    Returns:
        The record as written.

    Raises:
        RunError: When the existing `run.json` is unreadable.
        ValueError: When a field does not fit `RunRecord` (pydantic's `ValidationError`).
    """
    path = Path(run_dir) / RUN_RECORD
    existing = read_json(path) if path.exists() else {}
    if not isinstance(existing, dict):
        raise RunError(str(path), "not a run record")
    record = RunRecord.model_validate({**existing, **json_safe(fields)})
    atomic_write_json(path, record.as_json())
    return record
