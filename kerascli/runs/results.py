"""A run's test evaluation, typed: `evaluation.json`, the one place it is written and read.

The companion of `kerascli.runs.record` (`run.json`) and `kerascli.runs.history`. As there,
unknown keys are kept, so an evaluation written by another version still loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kerascli.errors import RunError
from kerascli.runs.files import atomic_write_json, json_safe, read_json
from kerascli.runs.layout import EVALUATION_FILE


class Scores(BaseModel):
    """Precision, recall, F1 and support: of one class, or averaged over them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    precision: float | None = Field(default=None, description="Precision.")
    recall: float | None = Field(default=None, description="Recall.")
    f1: float | None = Field(default=None, description="F1 score.")
    support: int | None = Field(default=None, description="Test examples of the class(es).")


class ClassScores(Scores):
    """One class's row of the per-class table."""

    name: str = Field(alias="class", description="The class's name.")


class Evaluation(BaseModel):
    """A run's `evaluation.json`: its test loss and metrics, and for classifiers per-class
    figures and the confusion matrix.
    """

    model_config = ConfigDict(extra="allow")

    examples: int | None = Field(default=None, description="Test examples evaluated.")
    loss: float | None = Field(default=None, description="The test loss (NaN is null).")
    metrics: dict[str, float | None] = Field(
        default_factory=dict, description="The compiled metrics on the test data."
    )
    task: str | None = Field(default=None, description="classification, binary or regression.")
    plots: list[str] = Field(
        default_factory=list, description="Plots this evaluation drew, relative to the run."
    )
    accuracy: float | None = Field(default=None, description="A classifier's accuracy.")
    per_class: list[ClassScores] | None = Field(default=None, description="Per-class figures.")
    macro_avg: Scores | None = Field(default=None, description="The unweighted class average.")
    weighted_avg: Scores | None = Field(default=None, description="The support-weighted one.")
    confusion_matrix: list[list[int]] | None = Field(
        default=None, description="Rows are true classes, columns predicted ones."
    )
    run: str | None = Field(default=None, description="The run evaluated (kerascli evaluate).")
    overrides: list[str] | None = Field(default=None, description="Its `--set` overrides.")
    evaluated: str | None = Field(default=None, description="When (UTC, ISO 8601).")

    @property
    def scores(self) -> dict[str, float | None]:
        """The loss, then each metric: what one line of test figures shows."""
        return {"loss": self.loss, **self.metrics}

    def class_names(self) -> list[str]:
        """The classes of the per-class table, in its order (none for regression)."""
        return [row.name for row in self.per_class or []]

    def as_json(self) -> dict[str, Any]:
        """The evaluation as `evaluation.json` holds it."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def write_evaluation(run_dir: Path, evaluation: dict[str, Any] | Evaluation) -> Evaluation:
    """Checks an evaluation against `Evaluation` and writes `evaluation.json` atomically.

    Returns:
        The evaluation as written.

    Raises:
        ValueError: When a field does not fit `Evaluation` (a bug in the caller).
    """
    if not isinstance(evaluation, Evaluation):
        evaluation = Evaluation.model_validate(json_safe(evaluation))
    atomic_write_json(Path(run_dir) / EVALUATION_FILE, evaluation.as_json())
    return evaluation


def read_evaluation(run_dir: Path) -> Evaluation | None:
    """A run's `evaluation.json`, or `None` when it has none or it is unreadable or invalid."""
    try:
        return Evaluation.model_validate(read_json(Path(run_dir) / EVALUATION_FILE))
    except (RunError, ValidationError):
        return None
