"""Where a run computes: one device, every local GPU, or a multi-worker cluster (`tf.distribute`).

Keras 3 on TensorFlow distributes through `tf.distribute` (its `keras.distribution` API is
JAX-only): whatever is built inside `strategy.scope()` (models, optimizers, metrics) is mirrored
on every replica, and `fit` splits each global batch across them and all-reduces the gradients.
`place` is the one place that chooses the strategy; the run lifecycle builds and fits inside
`Placement.scope()`, so `train` and `gan` get the same behaviour.

The order matters and is kept here: the mixed-precision policy and the logical CPU devices must be
set before TensorFlow initialises its devices, and a `MultiWorkerMirroredStrategy` must exist
before any other op runs.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, field

from kerascli.backend import quiet_native_stderr
from kerascli.config.distribute import Cluster
from kerascli.config.schema import ExperimentConfig
from kerascli.errors import ConfigError, TrainingFailed


@dataclass
class Placement:
    """The strategy a run uses, and what `run.json` and the progress line say about it.

    Args:
        strategy: The `tf.distribute.Strategy`, or `None` for TensorFlow's default placement.
        name: `"none"`, `"mirrored"` or `"multi_worker"`.
        replicas: Replicas in sync (over all workers).
        devices: The devices of this worker's replicas.
        cluster: The multi-worker cluster, or `None`.
    """

    strategy: object | None
    name: str = "none"
    replicas: int = 1
    devices: list[str] = field(default_factory=list)
    cluster: Cluster | None = None

    @property
    def chief(self) -> bool:
        """Whether this process writes the run directory (always, except on workers 1..N)."""
        return self.cluster is None or self.cluster.chief

    def scope(self):
        """The strategy's scope (a no-op without one): build models and optimizers inside it."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def record(self) -> dict:
        """`run.json`'s `distribute` field."""
        record = {"strategy": self.name, "replicas": self.replicas, "devices": self.devices}
        if self.cluster is not None:
            record.update(workers=len(self.cluster.workers), worker=self.cluster.index)
        return record

    def headline(self, batch_size: int) -> str | None:
        """The progress's opening line for a distributed run (`None` on one device)."""
        if self.strategy is None:
            return None
        where = ", ".join(
            device.rsplit("/", 1)[-1].removeprefix("device:") for device in self.devices
        )
        workers = (
            f" over {len(self.cluster.workers)} workers (this is "
            f"{self.cluster.name_of(self.cluster.index)})"
            if self.cluster
            else ""
        )
        return (
            f"{self.name}: {self.replicas} replicas{workers} on {where}; global batch "
            f"{batch_size}, about {max(batch_size // self.replicas, 1)} per replica"
        )


def place(config: ExperimentConfig, cluster: Cluster | None = None) -> Placement:
    """Sets the dtype policy and creates the config's strategy.

    Args:
        config: The validated config (`distribute`, `fit.mixed_precision`, `fit.batch_size`).
        cluster: The cluster from `TF_CONFIG` (`kerascli.config.distribute.read_cluster`) for
            `strategy: multi_worker`.

    Returns:
        The `Placement`.

    Raises:
        ConfigError: For a policy the devices cannot run, `devices` on a machine with GPUs, or a
            global batch smaller than the replica count.
        TrainingFailed: When the workers of a cluster do not all join in
            `distribute.join_timeout` seconds.
    """
    import tensorflow as tf

    _set_precision(config.fit.mixed_precision, tf)
    distribute = config.distribute
    if distribute.strategy == "none":
        placement = Placement(None, devices=[_default_device(tf)])
    elif distribute.strategy == "mirrored":
        devices = _mirrored_devices(distribute.devices, tf)
        strategy = tf.distribute.MirroredStrategy(devices)
        placement = Placement(
            strategy,
            "mirrored",
            strategy.num_replicas_in_sync,
            list(strategy.extended.worker_devices),
        )
    else:
        from kerascli.training import keras_workaround

        keras_workaround.apply()
        strategy = _join(cluster, distribute.join_timeout, tf)
        placement = Placement(
            strategy,
            "multi_worker",
            strategy.num_replicas_in_sync,
            list(strategy.extended.worker_devices),
            cluster,
        )
    if config.fit.batch_size < placement.replicas:
        raise ConfigError(
            "fit.batch_size",
            f"{config.fit.batch_size} is smaller than the {placement.replicas} replicas",
            "batch_size is the global batch: give it at least one example per replica",
        )
    return placement


def _set_precision(policy: str | None, tf) -> None:
    import keras

    if policy == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
        raise ConfigError(
            "fit.mixed_precision",
            "mixed_float16 needs a GPU, and TensorFlow finds none on this machine",
            "use mixed_bfloat16 on a CPU, or remove mixed_precision",
        )
    # Always set, so that a second run in one process never inherits the first one's policy.
    keras.mixed_precision.set_global_policy(policy or "float32")


def _default_device(tf) -> str:
    gpus = tf.config.list_logical_devices("GPU")
    return (gpus or tf.config.list_logical_devices("CPU"))[0].name


def _mirrored_devices(count: int | None, tf) -> list[str] | None:
    """The devices a MirroredStrategy runs on: every GPU, or `count` logical CPUs."""
    gpus = tf.config.list_physical_devices("GPU")
    if count is None:
        return None  # MirroredStrategy's own choice: every GPU, else the CPU
    if gpus:
        raise ConfigError(
            "distribute.devices",
            f"is for machines without GPUs; this one has {len(gpus)}",
            "remove devices: mirrored uses every GPU TensorFlow finds",
        )
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError:
        pass  # Devices already initialised (an earlier run in this process): check what is there.
    logical = tf.config.list_logical_devices("CPU")
    if len(logical) != count:
        raise ConfigError(
            "distribute.devices",
            f"TensorFlow already runs on {len(logical)} CPU devices in this process, not {count}",
            "start a new process",
        )
    return [device.name for device in logical]


def _join(cluster: Cluster, timeout: float, tf):
    """Creates the `MultiWorkerMirroredStrategy` once every worker is there, or fails in time.

    TensorFlow waits for the cluster inside its C++ coordination service, holding Python's lock
    and deaf to SIGTERM, and by default for an hour. So the chief, which leads that service and
    would wait longest, first checks from Python that every other worker's server answers
    (each worker starts its server before it registers with the chief); every worker then
    registers with a time-out of its own (the coordination service's register time-out, set
    as MultiWorkerMirroredStrategy itself would set the service up, plus that limit).
    """
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
    from tensorflow.python.eager import context

    failure = TrainingFailed(
        "distribute",
        f"worker {cluster.index}: not every worker of the {len(cluster.workers)} "
        f"in TF_CONFIG joined within {timeout:g} s",
        "start every worker with the same config "
        "and its own task.index, check the addresses, or raise distribute.join_timeout",
    )
    deadline = time.monotonic() + timeout
    if cluster.chief:
        waiting = list(cluster.workers[1:])
        while waiting:
            waiting = [address for address in waiting if not answers(address)]
            if waiting and time.monotonic() > deadline:
                raise failure
            time.sleep(0.2 if waiting else 0)
    # MultiWorkerMirroredStrategy keeps a coordination service configured before it.
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=cluster.leader,
        coordinated_jobs=[
            coordination_config_pb2.CoordinatedJob(name=job, num_tasks=count)
            for job, count in cluster.jobs.items()
        ],
        cluster_register_timeout_in_ms=int(max(deadline - time.monotonic(), 1.0) * 1000),
    )
    try:
        # TensorFlow logs a lost peer from C++ in many lines; the error below says it in one.
        with quiet_native_stderr():
            return tf.distribute.MultiWorkerMirroredStrategy()
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError):
        raise failure from None


def answers(address: str, timeout: float = 1.0) -> bool:
    """Whether a TensorFlow server (any TCP listener) accepts connections at `host:port`."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False
