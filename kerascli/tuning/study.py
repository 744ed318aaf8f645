"""The Optuna study of a sweep: its storage, sampler, pruner and search space, and the budget.

The budget is the study's, shared by every process that joins it (workers on this machine and on
others): a trial counts once it runs, whatever its outcome, except the trials a Ctrl-C stopped
(they are run again) and the rare trial that two machines asked for at once beyond the budget.
"""

from __future__ import annotations

import contextlib
import random
import signal
import time
import warnings
from pathlib import Path

from kerascli.config.tune import Range, TuneConfig
from kerascli.errors import ConfigError, KerascliError

# Seconds between the heartbeats of a running trial, and without one before another machine
# marks the trial failed (Optuna's RDB heartbeat: a lost machine's trial does not run forever).
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60
# Why a trial does not count toward the budget: the user attribute that says so.
SKIPPED = "kerascli_skipped"
INTERRUPTED, OVER_BUDGET = "interrupted", "over budget"


@contextlib.contextmanager
def deferred_signals():
    """Holds Ctrl-C and SIGTERM until the block ends (a storage call in it finishes first).

    A Ctrl-C that lands inside SQLite makes Python's sqlite3 interrupt the query, and the
    KeyboardInterrupt comes out as an SQLAlchemy `OperationalError`: the stop would be lost, or
    taken for a failure. Blocked here, the signal is delivered as the block ends. Never start a
    process inside the block: it would inherit the blocked signals.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def optuna_module():
    """Imports Optuna, quiet.

    Raises:
        KerascliError: With how to install it, when it is missing (exit 2).
    """
    try:
        import optuna
    except ImportError:
        raise KerascliError(
            "kerascli tune",
            "needs Optuna, which is not installed",
            "pip install 'kerascli[tune]'",
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Heartbeats are recorded by hand for trials that run in other processes (see `beat`).
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def default_storage(sweep_dir: Path) -> str:
    """The storage of a sweep without `--storage`: a SQLite file in its directory."""
    return f"sqlite:///{Path(sweep_dir).resolve() / 'study.db'}"


def open_storage(url: str, *, heartbeat: bool = True):
    """Opens an Optuna storage: an RDB URL (sqlite, postgresql, mysql) or a journal file path.

    Args:
        url: `sqlite:///path`, `postgresql://user:password@host/db`, ... or a `*.log` file (an
            Optuna journal file, for file systems where SQLite's locks do not hold).
        heartbeat: Record heartbeats, so that a lost process's trial is failed. Defaults to
            `True` (RDB storages only).

    Raises:
        ConfigError: When the storage cannot be opened.
    """
    optuna = optuna_module()
    for attempt in range(5):
        try:
            if "://" not in url:
                from optuna.storages.journal import JournalFileBackend, JournalStorage

                return JournalStorage(JournalFileBackend(url))
            engine = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine,
                heartbeat_interval=HEARTBEAT_SECONDS if heartbeat else None,
                grace_period=GRACE_SECONDS if heartbeat else None,
            )
        except (ImportError, ValueError) as error:
            raise ConfigError("--storage", f"cannot open the storage: {error}") from None
        except Exception as error:  # noqa: BLE001 - SQLAlchemy's errors, not imported up front
            # Machines starting together race to create the storage's tables: one wins, the
            # others find them made when they try again.
            if attempt == 4:
                first = (str(error).splitlines() or [""])[0][:200]
                raise ConfigError(
                    "--storage", f"cannot open the storage: {type(error).__name__}: {first}"
                ) from None
            time.sleep(random.uniform(0.5, 2.0))
    raise AssertionError("unreachable")


def distributions(tune: TuneConfig) -> dict:
    """The space as Optuna distributions, by key path."""
    optuna = optuna_module()
    found = {}
    for key, values in tune.space.items():
        if isinstance(values, list):
            found[key] = optuna.distributions.CategoricalDistribution(
                [_choice(value) for value in values]
            )
        elif values.integer:
            found[key] = optuna.distributions.IntDistribution(
                values.low, values.high, log=values.log, step=values.step or 1
            )
        else:
            found[key] = optuna.distributions.FloatDistribution(
                float(values.low), float(values.high), log=values.log, step=values.step
            )
    return found


def _choice(value):
    """A choice as Optuna keeps it: a scalar, or a list or mapping as its YAML text."""
    from kerascli.config.tune import as_override

    return (
        value
        if value is None or isinstance(value, (bool, int, float, str))
        else (as_override(value))
    )


def grid(tune: TuneConfig) -> dict[str, list]:
    """Every value of each parameter, for the grid sampler."""
    points = {}
    for key, values in tune.space.items():
        if isinstance(values, list):
            points[key] = [_choice(value) for value in values]
            continue
        assert isinstance(values, Range)
        step = values.step or 1
        count = int(round((values.high - values.low) / step)) + 1
        points[key] = [
            (values.low + i * step) if values.integer else round(values.low + i * step, 12)
            for i in range(count)
            if values.low + i * step <= values.high + 1e-12
        ]
    return points


def grid_size(tune: TuneConfig) -> int:
    size = 1
    for values in grid(tune).values():
        size *= len(values)
    return size


def sampler(tune: TuneConfig, seed: int | None):
    """The sampler a config names, seeded."""
    optuna = optuna_module()
    samplers = optuna.samplers
    if tune.sampler == "random":
        return samplers.RandomSampler(seed=seed)
    if tune.sampler == "grid":
        return samplers.GridSampler(grid(tune), seed=seed)
    if tune.sampler == "cmaes":
        try:
            import cmaes  # noqa: F401 - Optuna's CMA-ES sampler needs it
        except ImportError:
            raise KerascliError(
                "tune.sampler", "cmaes needs the cmaes package", "pip install 'kerascli[tune]'"
            ) from None
        return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    # Optuna's default of 10 random trials first would leave a 12-trial study almost random; a
    # third of the budget (3 to 10) explores before TPE models the results. The constant liar
    # keeps workers running side by side from being sent to the same point.
    startup = max(3, min(10, tune.trials // 3))
    return samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


def pruner(name: str, epochs: int):
    """The pruner a config names (also built in each trial process, which asks it)."""
    optuna = optuna_module()
    if name == "median":
        # Two finished trials before any is cut; with more than two epochs, the first (step 1:
        # steps are epoch numbers) is too noisy to judge a trial by.
        return optuna.pruners.MedianPruner(
            n_startup_trials=2, n_warmup_steps=2 if epochs > 2 else 0
        )
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(epochs, 1))
    return optuna.pruners.NopPruner()


def open_study(storage, name: str, tune: TuneConfig, direction: str, seed: int | None, epochs):
    """Creates the study, or joins it when it exists (resuming, or another machine's).

    Raises:
        ConfigError: When an existing study of that name optimizes the other way.
    """
    optuna = optuna_module()
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction=direction,
        sampler=sampler(tune, seed),
        pruner=pruner(tune.pruner, epochs),
        load_if_exists=True,
    )
    if study.direction.name.lower() != direction:
        raise ConfigError(
            "tune.direction",
            f"the study {name!r} in this storage was made to {study.direction.name.lower()}",
            "give the config another name for a new study",
        )
    return study


def counted(trials) -> list:
    """The trials that count toward the budget: running or finished, not skipped."""
    from optuna.trial import TrialState

    states = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return [t for t in trials if t.state in states and SKIPPED not in t.user_attrs]


def next_trial(study, budget: int, space: dict):
    """Asks the study for a trial within the budget, or `None` when the budget is spent.

    The check is made again after the ask: a trial sees every trial that started before it, so
    when two machines ask at once beyond the budget at least one sees the other and steps
    back (it is recorded as skipped), and the study never runs more than its budget.
    """
    optuna = optuna_module()
    while True:
        if len(counted(study.get_trials(deepcopy=False))) >= budget:
            return None
        trial = study.ask(space)
        others = [t for t in counted(study.get_trials(deepcopy=False)) if t.number != trial.number]
        if len(others) < budget:
            return trial
        trial.set_user_attr(SKIPPED, OVER_BUDGET)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        time.sleep(random.uniform(0.05, 0.5))  # both stepped back: try again, not in step


def skip(study, trial, why: str, *, again: bool) -> None:
    """Ends a trial that does not count (interrupted); with `again`, its values run next.

    Args:
        study: The study.
        trial: A `Trial` or a `FrozenTrial` (one found running in the storage).
        why: Recorded in the trial's `kerascli_skipped` attribute.
        again: Enqueue the same values, so that the next trial runs them.
    """
    optuna = optuna_module()
    storage = study._storage  # noqa: SLF001 - a finished trial's attributes are set through it
    try:
        storage.set_trial_user_attr(trial._trial_id, SKIPPED, why)  # noqa: SLF001 - its id
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    except (RuntimeError, ValueError, optuna.exceptions.UpdateFinishedTrialError):
        return  # already ended elsewhere (a heartbeat judged it lost)
    if again and trial.params:
        study.enqueue_trial(trial.params, skip_if_exists=False)


def beat(storage, trials) -> None:
    """Records a heartbeat for each running trial of this process (RDB storages)."""
    if getattr(storage, "heartbeat_interval", None):
        for trial in trials:
            storage.record_heartbeat(trial._trial_id)  # noqa: SLF001 - the trial's storage id


def fail_lost(study) -> None:
    """Marks failed the trials whose process stopped sending heartbeats (another machine)."""
    optuna_module().storages.fail_stale_trials(study)
