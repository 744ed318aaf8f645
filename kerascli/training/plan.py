"""What one kind of training supplies to the shared lifecycle, and what a finished run returns.

`kerascli.commands.train` and `kerascli.commands.gan` each subclass `TrainingPlan`;
`kerascli.training.lifecycle.run_training` drives any plan the same way.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kerascli.config.schema import ExperimentConfig
from kerascli.runs.record import RunKind
from kerascli.runs.results import Evaluation


@dataclass
class Finish:
    """What a plan adds when its fit completed: run.json fields, final metrics, an evaluation."""

    fields: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    evaluation: Evaluation | None = None


@dataclass
class RunResult:
    """What a finished run produced.

    Args:
        run_dir: The run directory; `None` on the workers of a cluster other than the chief,
            which write nothing under the runs directory. epochs: Epochs completed in all (resumed
            ones included).
        history: Every epoch's logs. final_metrics: The last epoch's logs and any test figures,
            as recorded in `run.json`. evaluation: The test evaluation, when one was made.
        notes: Lines the command prints at the end (e.g. validation at chance level).
    """

    run_dir: Path | None
    epochs: int
    history: dict[str, list] = field(default_factory=dict)
    final_metrics: dict = field(default_factory=dict)
    evaluation: Evaluation | None = None
    notes: list[str] = field(default_factory=list)


class TrainingPlan(abc.ABC):
    """What one kind of training supplies to the shared lifecycle.

    Subclasses set the class attributes and implement `prepare` and `fit`; the other hooks have
    defaults. Every hook that can fail because of bad input runs before the run directory exists.

    Args:
        config: The validated experiment config.
    """

    kind: ClassVar[RunKind]  # the run's kind, as its record says
    networks: ClassVar[tuple[str, ...]]  # what each checkpoint and the finished run save
    loss_keys: ClassVar[tuple[str, ...]]  # logs that stop the run when NaN or infinite
    diverged: ClassVar[str]  # "the loss" or "a loss", in the divergence message
    diverged_hint: ClassVar[str]
    wrong_kind: ClassVar[tuple[str, str]]  # (what, hint) when resuming another kind of run

    def __init__(self, config: ExperimentConfig):
        self.config = config
        self.trial = None  # a sweep's TrialLink, set by `run_training`

    def check(self) -> None:
        """Checks what can be checked before TensorFlow loads (e.g. a run the plan reads)."""

    @abc.abstractmethod
    def prepare(self, checkpoints: dict[str, Path] | None) -> None:
        """Loads the data and builds the networks, or restores them from `checkpoints`."""

    def record_fields(self) -> dict:
        """Fields for `run.json` when the run starts (after `prepare`)."""
        return {}

    def callbacks(self, run_dir: Path) -> list:
        """The plan's own callbacks, run before progress and checkpoints each epoch."""
        return []

    def checkpointed(self) -> dict | None:
        """The networks each checkpoint saves, by name; `None` saves the fitted model."""
        return None

    @abc.abstractmethod
    def fit(self, callbacks: list, initial_epoch: int) -> None:
        """Runs `fit` from `initial_epoch` to `fit.epochs` with `callbacks`."""

    def epoch_images(self) -> dict:
        """Images TensorBoard shows after each epoch, by name (uint8, `(H, W, C)`)."""
        return {}

    def draw(self, history: dict[str, list], run_dir: Path) -> None:
        """Draws what the run has so far (plots); called however the fit ended."""

    def on_interrupt(self, run_dir: Path) -> None:
        """Called when Ctrl-C or SIGTERM stops the fit, before the run is marked interrupted."""

    def final_networks(self) -> dict:
        """The networks saved as the finished run's files, by name."""
        return {}

    def finish(self, run_dir: Path) -> Finish:
        """Completes a run whose fit ended cleanly (e.g. evaluates it)."""
        return Finish()
