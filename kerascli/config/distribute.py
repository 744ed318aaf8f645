"""The `distribute` section and the cluster in `TF_CONFIG`: checked before TensorFlow loads.

`tf.distribute` reads a multi-worker cluster from the `TF_CONFIG` environment variable (JSON:
`{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": i}}`). A
missing or malformed one would otherwise surface as a hang or a C++ error minutes later, so it
is read and checked here, with the config, as one line naming what is wrong.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kerascli.errors import ConfigError

Strategy = Literal["none", "mirrored", "multi_worker"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
TF_CONFIG_HINT = (
    'set TF_CONFIG to {"cluster": {"worker": ["host:port", ...]}, '
    '"task": {"type": "worker", "index": I}} on every worker'
)


class DistributeConfig(BaseModel):
    """How training is spread over devices and machines (`tf.distribute`, data-parallel).

    `fit.batch_size` is the global batch: each of the replicas gets an equal share of it.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    strategy: Strategy = Field(
        default="none",
        description=(
            "none: one device (TensorFlow's default placement); mirrored: every GPU TensorFlow "
            "finds, in sync (tf.distribute.MirroredStrategy); multi_worker: the machines of the "
            "cluster in TF_CONFIG (tf.distribute.MultiWorkerMirroredStrategy)."
        ),
    )
    devices: int | None = Field(
        default=None,
        ge=2,
        le=64,
        description=(
            "mirrored on a machine without GPUs: split the CPU into this many logical devices "
            "(to try data parallelism out; it is not faster on a CPU)."
        ),
    )
    join_timeout: float = Field(
        default=300.0,
        gt=0,
        description=(
            "multi_worker: seconds a worker waits for every worker in TF_CONFIG to join before it "
            "stops with an error."
        ),
    )

    @model_validator(mode="after")
    def _devices_for_mirrored(self) -> DistributeConfig:
        if self.devices is not None and self.strategy != "mirrored":
            raise ValueError(
                "devices is for strategy: mirrored (logical CPU devices); a "
                "multi_worker cluster uses each worker's GPUs, or its CPU"
            )
        return self


@dataclass(frozen=True)
class Cluster:
    """This process's place in a multi-worker cluster, as `TF_CONFIG` describes it.

    Args:
        workers: Every worker's `host:port`, worker 0 first.
        index: This worker's index in `workers`.
    """

    workers: tuple[str, ...]
    index: int
    jobs: dict = field(default_factory=lambda: {"worker": 1})

    @property
    def leader(self) -> str:
        """The task that leads TensorFlow's coordination service: the chief, else worker 0."""
        return (
            "/job:chief/replica:0/task:0"
            if "chief" in self.jobs
            else "/job:worker/replica:0/task:0"
        )

    @property
    def chief(self) -> bool:
        """Worker 0 is the chief: the one that writes the run directory."""
        return self.index == 0

    def name_of(self, index: int) -> str:
        """A task's name as TF_CONFIG numbers it: `worker 1`, or `the chief` for a `chief` job
        (whose workers are numbered from 0 after it)."""
        if "chief" in self.jobs:
            return "the chief" if index == 0 else f"worker {index - 1}"
        return f"worker {index}"

    def task(self, index: int) -> str:
        """A task as the user is told about it: `worker 1 (host:port)`,
        `worker 0, the chief (host:port)`, or `the chief (host:port)` for a `chief` job."""
        chief = ", the chief" if index == 0 and "chief" not in self.jobs else ""
        return f"{self.name_of(index)}{chief} ({self.workers[index]})"

    def task_of(self, job: str, number: int) -> int | None:
        """The index in `workers` of TensorFlow's `/job:JOB/task:NUMBER`, or `None`."""
        offset = 0 if job == "chief" else self.jobs.get("chief", 0)
        index = offset + number
        return index if job in self.jobs and number < self.jobs[job] else None


def read_cluster(
    config: DistributeConfig, environ: Mapping[str, str] | None = None
) -> Cluster | None:
    """Reads and checks `TF_CONFIG` for `strategy: multi_worker`.

    Args:
        config: The `distribute` section.
        environ: The environment. Defaults to `os.environ`.

    Returns:
        The `Cluster`, or `None` when the strategy is not `multi_worker`.

    Raises:
        ConfigError: When `TF_CONFIG` is missing or malformed.
    """
    if config.strategy != "multi_worker":
        return None
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        raise ConfigError(
            "distribute.strategy", "multi_worker needs TF_CONFIG, which is not set", TF_CONFIG_HINT
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            "TF_CONFIG", f"is not valid JSON ({error.msg} at character {error.pos})", TF_CONFIG_HINT
        ) from None
    return _cluster_of(data)


def _cluster_of(data: object) -> Cluster:
    cluster = data.get("cluster") if isinstance(data, dict) else None
    task = data.get("task") if isinstance(data, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ConfigError("TF_CONFIG", "needs a cluster and a task object", TF_CONFIG_HINT)
    others = sorted(set(cluster) - {"worker", "chief"})
    if others:
        raise ConfigError(
            "TF_CONFIG",
            f"cluster has {others[0]!r} jobs, which MultiWorkerMirroredStrategy does not use",
            "list only workers",
        )
    workers = [*cluster.get("chief", []), *cluster.get("worker", [])]
    if len(cluster.get("chief", [])) > 1:
        raise ConfigError(
            "TF_CONFIG",
            "cluster has more than one chief",
            "list one chief, or only workers (worker 0 is the chief)",
        )
    if not workers or not all(isinstance(w, str) and _is_address(w) for w in workers):
        raise ConfigError(
            "TF_CONFIG", "cluster.worker must list 'host:port' strings", TF_CONFIG_HINT
        )
    if len(set(workers)) != len(workers):
        raise ConfigError(
            "TF_CONFIG",
            "cluster lists the same address twice",
            "give every worker its own host:port",
        )
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in ("worker", "chief") or kind not in cluster:
        raise ConfigError(
            "TF_CONFIG", f"task.type {kind!r} is not a job of the cluster", "use type: worker"
        )
    jobs = cluster[kind]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(jobs):
        raise ConfigError(
            "TF_CONFIG",
            f"task.index {index!r} is not a worker of the cluster",
            f"use 0 to {len(jobs) - 1}",
        )
    offset = 0 if kind == "chief" else len(cluster.get("chief", []))
    return Cluster(
        tuple(workers),
        offset + index,
        {job: len(cluster[job]) for job in ("chief", "worker") if cluster.get(job)},
    )


def _is_address(address: str) -> bool:
    host, _, port = address.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536
