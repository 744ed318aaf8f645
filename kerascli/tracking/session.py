"""One kerascli run mirrored as one MLflow run: started (or continued), fed, and ended.

Everything goes through `MlflowClient`, never MLflow's fluent API: the fluent API keeps a
process-wide stack of active runs, which is what gives "run already active" errors and ends
runs a tool did not start. kerascli creates its own run (the caller's active run, if any, as its
parent), and ends only that one, with the kerascli run's status.

A tracking server that is down or refuses never stops training: the first failure is one
warning line, nothing more is tried, and the last line says what was not sent; the run
directory has it all. MLflow's own async logging (`synchronous=False`) would go on sending,
each request with its retries, after the server went away, logging an error per batch; one
worker thread that stops at the first failure keeps epochs unblocked and the end quick.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kerascli.errors import RunError, one_line
from kerascli.runs.files import update_run_json
from kerascli.runs.history import read_history
from kerascli.runs.layout import RUN_RECORD
from kerascli.runs.record import RunRecord, Tracking, load_run
from kerascli.runs.status import RunStatus
from kerascli.tracking import content

# MLflow retries a request 7 times with exponential backoff (minutes against a dead server);
# kerascli waits seconds, unless the user set these themselves.
_BOUNDED = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    # kerascli prints its own lines: not MLflow's "View run at" on stdout, nor its INFO lines.
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_LOGGING_LEVEL": "ERROR",
}


@contextlib.contextmanager
def bounded_requests():
    """MLflow's request settings that bound a dead server's cost, for the block only."""
    added = [name for name in _BOUNDED if name not in os.environ]
    os.environ.update({name: _BOUNDED[name] for name in added})
    logger = logging.getLogger("mlflow")
    level = logger.level
    imported = "mlflow" in sys.modules  # by the caller: its logging level was set then
    if imported:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        if imported:
            logger.setLevel(level)
        for name in added:
            os.environ.pop(name, None)


def _record(run_dir: Path) -> RunRecord:
    """`run.json`, or an empty record before it is written (or when it cannot be read)."""
    try:
        return load_run(run_dir) if (Path(run_dir) / RUN_RECORD).is_file() else RunRecord()
    except RunError:
        return RunRecord()


def mlflow_client(uri: str | None):
    """An `MlflowClient` for `uri` (MLflow's default when `None`), imported quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlflow import MlflowClient

    return MlflowClient(uri)


class MlflowSession:
    """The MLflow run of one kerascli run, from its start (or resumption) to its end.

    Use `MlflowSession.open`; `epoch_ended` is called by the Keras callback after each epoch
    (after the run's history is written) and sends that epoch from a background thread;
    `close` sends what is left and ends the MLflow run.

    Args:
        run_dir: The kerascli run directory.
        uri: The tracking URI. warn: Prints one warning line.
    """

    def __init__(self, run_dir: Path, uri: str, warn):
        self.run_dir = Path(run_dir)
        self.uri = uri
        self.warn = warn
        self.client = None
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.sent = 0  # epochs the MLflow run holds
        self.started = False  # whether the MLflow run was created (or continued)
        self.failure: str | None = None  # why the first request that failed failed
        self.unsent: list[str] = []
        self._ended_at: dict[int, int] = {}  # epoch index -> its end, in ms
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kerascli-mlflow")

    @classmethod
    def open(cls, config, run_dir: Path, warn) -> MlflowSession:
        """Starts the MLflow run of a new kerascli run, or continues the one of a resumed run.

        Never raises for the server: when it cannot be reached, one warning line is printed and
        the session sends nothing (`failure` says why).
        """
        record = _record(run_dir)
        previous = record.tracking or Tracking()
        settings = config.track.mlflow if config.track and config.track.mlflow else None
        uri = previous.uri or (settings.uri if settings and settings.uri else None)
        session = cls(run_dir, uri or "", warn)
        try:
            session.client = mlflow_client(uri)
            session.uri = content.absolute_uri(session.client.tracking_uri)
            if previous.run_id:
                session._continue(previous)
            else:
                experiment = (settings.experiment if settings else None) or config.name
                session._create(experiment, content.params(config.model_dump(exclude_none=True)))
        except Exception as error:  # noqa: BLE001 - any failure to reach the server is a warning
            session.failure = one_line(error, 160)
            session.warn(
                f"warning: mlflow: cannot start tracking at {session.uri or 'the default URI'} "
                f"({session.failure}); training goes on, this run is not sent"
            )
            return session
        session.started = True
        update_run_json(
            run_dir,
            tracking={
                "run_id": session.run_id,
                "experiment_id": session.experiment_id,
                "uri": session.uri,
                "url": content.run_url(session.uri, session.experiment_id, session.run_id),
            },
        )
        return session

    def _create(self, experiment: str, params: dict[str, str]) -> None:
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(experiment)
        if found is None:
            try:
                self.experiment_id = self.client.create_experiment(experiment)
            except MlflowException:  # created meanwhile by a run beside this one
                self.experiment_id = self.client.get_experiment_by_name(experiment).experiment_id
        else:
            self.experiment_id = found.experiment_id
        tags = {"mlflow.runName": self.run_dir.name, "kerascli.status": RunStatus.running.value}
        fluent = content.imported_mlflow()
        parent = fluent.active_run() if fluent is not None else None
        if parent is not None and content.absolute_uri(fluent.get_tracking_uri()) == self.uri:
            tags["mlflow.parentRunId"] = parent.info.run_id  # the caller's run: nested
        run = self.client.create_run(self.experiment_id, run_name=self.run_dir.name, tags=tags)
        self.run_id = run.info.run_id
        self.client.log_batch(self.run_id, params=[Param(k, v) for k, v in params.items()])

    def _continue(self, previous: Tracking) -> None:
        self.run_id, self.experiment_id = previous.run_id, previous.experiment_id
        run = self.client.get_run(self.run_id)
        self.experiment_id = run.info.experiment_id
        self.client.update_run(self.run_id, status="RUNNING")
        history = read_history(self.run_dir)
        # The epochs it holds: the steps of a key logged every epoch (resumed from a checkpoint,
        # the run directory never has fewer epochs than were sent).
        full = [key for key, values in history.items() if None not in values]
        if full:
            steps = self.client.get_metric_history(self.run_id, content.mlflow_key(full[0]))
            self.sent = max((metric.step for metric in steps), default=-1) + 1

    def callbacks(self) -> list:
        """The Keras callbacks that feed this session (none when it cannot send)."""
        if self.failure is not None:
            return []
        from kerascli.tracking.callback import EpochsToMlflow

        return [EpochsToMlflow(self)]

    def epoch_ended(self, epoch: int) -> None:
        """Sends the epochs not yet sent, in the background: the fit does not wait for it."""
        self._ended_at[epoch] = int(time.time() * 1000)
        self._worker.submit(self._send_epochs)

    def _send_epochs(self) -> None:
        if self.failure is not None:
            return
        from mlflow.entities import Metric

        history = read_history(self.run_dir)
        metrics = content.epoch_metrics(history, self.sent)
        if not metrics:
            return
        now = int(time.time() * 1000)
        try:
            self.client.log_batch(
                self.run_id,
                metrics=[
                    Metric(key, value, self._ended_at.get(step, now), step)
                    for key, value, step in metrics
                ],
            )
        except Exception as error:  # noqa: BLE001 - a failed send is reported, never raised
            self.failure = one_line(error, 160)
            return
        self.sent = max(step for _, _, step in metrics) + 1

    def close(self, failed: bool) -> None:
        """Sends what is left (epochs, test metrics, tags, artifacts), then ends the MLflow run
        with the kerascli run's status; prints one line if something could not be sent.

        Args:
            failed: Whether the run's process is raising an error (not an interrupt).
        """
        self._worker.shutdown(wait=True)
        if not self.started:
            resumed = self.run_id is not None
            metrics = "this session's metrics" if resumed else "metrics"
            self._not_sent([*([] if resumed else ["params"]), metrics, "artifacts", "its status"])
            return
        self._send_epochs()
        record = _record(self.run_dir)
        status = content.mlflow_status(record.status, failed)
        history = read_history(self.run_dir)
        epochs = max((len(values) for values in history.values()), default=0)
        steps = [
            ("test metrics", lambda: self._log_final(record, history, epochs)),
            ("artifacts", self._log_artifacts),
            (f"its status {status}", lambda: self.client.set_terminated(self.run_id, status)),
        ]
        if self.failure is not None:
            self.unsent.append(f"metrics from epoch {self.sent + 1}")
        for what, step in steps:
            if self.failure is not None:
                self.unsent.append(what)
                continue
            try:
                step()
            except Exception as error:  # noqa: BLE001 - a failed send is reported, never raised
                self.failure = one_line(error, 160)
                self.unsent.append(what)
        if self.unsent:
            self._not_sent(self.unsent)

    def _log_final(self, record: RunRecord, history: dict, epochs: int) -> None:
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        metrics = [
            Metric(key, value, now, epochs)
            for key, value in content.test_metrics(record, history).items()
        ]
        tags = [RunTag(key, value) for key, value in content.tags(record, self.run_dir).items()]
        self.client.log_batch(self.run_id, metrics=metrics, tags=tags)

    def _log_artifacts(self) -> None:
        for path, folder in content.artifacts(self.run_dir):
            if path.is_dir():
                self.client.log_artifacts(self.run_id, str(path), folder)
            else:
                self.client.log_artifact(self.run_id, str(path), folder)

    def _not_sent(self, what: list[str]) -> None:
        self.warn(
            f"warning: mlflow: not sent to {self.uri or 'the tracking server'}: "
            f"{', '.join(what)} ({self.failure}); the run directory {self.run_dir} has everything"
        )
