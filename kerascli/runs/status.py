"""A run's status and kind: the two Enums of `run.json`, without pydantic.

Apart from `kerascli.runs.record` (which re-exports them) so that the CLI can offer them as
choices (`kerascli runs --status`, `--kind`) without loading the record's pydantic models at
start-up.
"""

from __future__ import annotations

from enum import Enum


class RunStatus(str, Enum):
    """Where a run stands, as `run.json` says and `kerascli runs --status` filters."""

    running = "running"  # training now, or killed before it could say otherwise
    completed = "completed"
    failed = "failed"  # its `error` says why
    interrupted = "interrupted"  # Ctrl-C or SIGTERM: resumable
    pruned = "pruned"  # a sweep's trial stopped early by its pruner


class RunKind(str, Enum):
    """Which command made a run: `train` (a model) or `gan` (a generator and a discriminator)."""

    train = "train"
    gan = "gan"
