"""A cluster that loses a worker: which one, where training stood, and the command that resumes.

When a worker of a `MultiWorkerMirroredStrategy` cluster dies, every other worker's next
collective fails (TensorFlow's coordination service notices the missing heartbeats within
seconds) with an `UnavailableError` whose text is a graph's stack, not the worker that was lost.
`peers_watched` turns that into one line on every worker that is left: which worker stopped
answering (its index and address, as TF_CONFIG names it), at which epoch and step, that the run is
resumable, and the exact command that resumes it (`--resume auto`, started again on every worker).

Which worker: the dead one's TensorFlow server no longer accepts connections, so every other
worker's address is probed once the collective has failed; the task that TensorFlow's message
names breaks the tie when several do not answer (one that already exited after reporting).
No library reports this, so it is done here by hand.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import keras

from kerascli.config.distribute import Cluster
from kerascli.errors import TrainingFailed
from kerascli.training.distribute import answers

# The errors a lost peer raises in the others' collectives, by TensorFlow's class name.
LOST_PEER_ERRORS = ("UnavailableError", "DeadlineExceededError", "CancelledError", "AbortedError")
_TASK = re.compile(r"/job:(chief|worker)/replica:\d+/task:(\d+)")
PROBE_SECONDS = 1.0


class Position(keras.callbacks.Callback):
    """Where training stands: the epoch (1-based) and the step in it (1-based, of `steps`), and
    the last epoch this process checkpointed (placed after the `EpochRecorder`, it sees an
    epoch end only once the recorder has saved it).

    Args:
        saved: The epoch of the checkpoint the fit starts from. Defaults to 0.
        chief: Whether this process's checkpoints are the run's (the chief's). Defaults to `True`.
    """

    def __init__(self, saved: int = 0, chief: bool = True):
        super().__init__()
        self.epoch, self.step, self.steps = 0, 0, None
        self.saved, self.chief = saved, chief

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.step = epoch + 1, 0
        self.steps = (self.params or {}).get("steps")

    def on_train_batch_begin(self, batch, logs=None):
        self.step = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        self.saved = epoch + 1


@contextlib.contextmanager
def peers_watched(cluster: Cluster | None, position: Position, command: Sequence[str]):
    """Runs a multi-worker `fit`, turning a lost peer into one `TrainingFailed` line.

    Args:
        cluster: The cluster (`None` outside a multi-worker run: nothing is watched).
        position: The `Position` callback of the fit.
        command: This process's command line (`sys.argv`), to say how to resume.

    Raises:
        TrainingFailed: When a collective fails because another worker stopped answering.
    """
    if cluster is None:
        yield
        return
    import tensorflow as tf

    try:
        yield
    except tf.errors.OpError as error:
        # TensorFlow leaves an eager all-reduce's thread pool open in the failed frames; freed
        # now rather than at exit, where its finaliser prints a traceback.
        traceback.clear_frames(error.__traceback__)
        lost = lost_workers(cluster, str(error))
        # Any other error is this worker's own (its messages name tasks too, as devices),
        # unless a peer is really gone.
        if type(error).__name__ not in LOST_PEER_ERRORS and not silent_workers(cluster, lost):
            raise
        raise lost_peer_error(cluster, lost, position, command) from error


def lost_workers(cluster: Cluster, message: str) -> list[int]:
    """The indices of the other workers that stopped answering, as far as can be told.

    Args:
        cluster: The cluster.
        message: TensorFlow's error message, which often names the task it lost.

    Returns:
        Indices into `cluster.workers`, in order; empty when every peer answers and the
        message names none.
    """
    others = [index for index in range(len(cluster.workers)) if index != cluster.index]
    with ThreadPoolExecutor(max_workers=min(len(others), 16) or 1) as pool:
        answering = dict(
            zip(others, pool.map(lambda i: answers(cluster.workers[i], PROBE_SECONDS), others))
        )
    silent = [index for index in others if not answering[index]]
    named = {cluster.task_of(job, int(number)) for job, number in _TASK.findall(message)} | {
        index for index in others if cluster.workers[index] in message
    }
    named.discard(cluster.index)
    named.discard(None)
    # A peer that reported the loss itself and exited is silent too: the named one is the cause.
    return sorted(set(silent) & named) or silent or sorted(named)


def silent_workers(cluster: Cluster, candidates: list[int]) -> list[int]:
    """Those of `candidates` whose address refuses connections now."""
    return [index for index in candidates if not answers(cluster.workers[index], PROBE_SECONDS)]


def lost_peer_error(
    cluster: Cluster, lost: list[int], position: Position, command: Sequence[str]
) -> TrainingFailed:
    """The one line for a lost peer (see `lost_workers`) at `position`."""
    if not lost:
        who = "a worker of the cluster stopped answering"
    else:
        names = [cluster.task(index) for index in lost]
        verb = "stopped" if len(names) == 1 else "all stopped"
        who = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
        who = f"{who} {verb} answering"
    if position.epoch == 0:
        where = "before the first epoch"
    else:
        of = f" of {position.steps}" if position.steps else ""
        where = f"in epoch {position.epoch}, step {position.step}{of}"
    if not position.chief:  # the chief's last checkpoint, which this worker cannot see
        kept = "it goes on from the chief's last checkpoint"
    elif position.saved:
        kept = f"it goes on from the end of epoch {position.saved}"
    else:
        kept = "no epoch was saved, so it starts again from epoch 1"
    return TrainingFailed(
        "distribute",
        f"{who} {where}; the run is resumable: {kept}",
        f"start every worker again with: {resume_command(command)}",
    )


def resume_command(argv: Sequence[str]) -> str:
    """The command that resumes a cluster's run: this one, with `--resume auto`.

    Args:
        argv: The command line as run (`sys.argv`: the program, then `train` or `gan`, ...).

    Returns:
        `kerascli train CONFIG ... --resume auto`, quoted for a POSIX shell.
    """
    args, rest = [], list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "--resume":
            rest = rest[1:]  # its value
        elif not arg.startswith("--resume="):
            args.append(arg)
    return shlex.join(["kerascli", *args, "--resume", "auto"])
