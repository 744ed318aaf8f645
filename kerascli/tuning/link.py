"""What a trial process needs to know about its study, passed down from `kerascli tune`.

`kerascli tune` starts each trial as an ordinary `kerascli train` process; this link travels in
the `KERASCLI_TRIAL` environment variable (not the command line, which `run.json` records and
which would show a storage URL's password), and tells the process which study and trial it
reports its epochs to.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from kerascli.errors import ConfigError

TRIAL_ENV = "KERASCLI_TRIAL"


@dataclass(frozen=True)
class TrialLink:
    """A trial process's link to its study.

    Args:
        storage: The study's Optuna storage URL.
        study: The study's name.
        number: The trial's number in the study.
        sweep_dir: The sweep directory (recorded in the trial's `run.json`).
        metric: The history key reported every epoch.
        prune: Whether to ask the study's pruner after every epoch.
        pruner: The pruner's name (`median`, `hyperband`); it lives in this process too.
        epochs: The trial's epochs (Hyperband's largest budget).
    """

    storage: str
    study: str
    number: int
    sweep_dir: str
    metric: str
    prune: bool = False
    pruner: str = "none"
    epochs: int = 1

    def to_env(self) -> str:
        """The link as the value of `KERASCLI_TRIAL`."""
        return json.dumps(asdict(self))

    def record(self) -> dict:
        """The `trial` field of the trial's `run.json`: `{sweep_dir, number}`."""
        return {"sweep_dir": self.sweep_dir, "number": self.number}


def trial_from_env(environ=None) -> TrialLink | None:
    """The link in `KERASCLI_TRIAL`, or `None` when this process is not a trial.

    Raises:
        ConfigError: When the variable is set but is not a link.
    """
    text = (os.environ if environ is None else environ).get(TRIAL_ENV)
    if not text:
        return None
    try:
        return TrialLink(**json.loads(text))
    except (ValueError, TypeError) as error:
        raise ConfigError(TRIAL_ENV, f"not a trial link: {error}", "unset it") from None
