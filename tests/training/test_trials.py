"""A sweep's trial inside its training process: epochs reported, pruned cleanly when told."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from kerascli.config.loading import load_config
from kerascli.tuning import study as studies
from kerascli.tuning.link import TrialLink, trial_from_env
from tests.conftest import tiny_config, write_config

optuna = pytest.importorskip("optuna")


def test_a_trial_the_pruner_stops_ends_cleanly_as_pruned(tmp_path):
    from kerascli.commands.train import train

    config = tiny_config(name="trial")
    config["data"]["limit"] = {"train": 300, "test": 50}
    config["fit"] = {"epochs": 3, "batch_size": 64}
    config["evaluate"] = {"enabled": False}
    config["tune"] = {"metric": "val_accuracy", "pruner": "median", "space": {"fit.epochs": [3]}}
    experiment = load_config(write_config(tmp_path / "trial.yaml", config))
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = studies.open_study(
        studies.open_storage(url), "trial", experiment.tune, "maximize", 1, 3
    )
    space = studies.distributions(experiment.tune)
    for _ in range(2):  # two finished trials far better at every epoch than 300 digits allow
        done = studies.next_trial(study, 5, space)
        for epoch in (1, 2, 3):
            done.report(0.999, epoch)
        study.tell(done, 0.999)
    trial = studies.next_trial(study, 5, space)
    link = TrialLink(url, "trial", trial.number, str(tmp_path), "val_accuracy", True, "median", 3)
    assert trial_from_env({"KERASCLI_TRIAL": link.to_env()}) == link

    result = train(
        experiment,
        runs_dir=tmp_path / "runs",
        quiet=True,
        console=Console(file=io.StringIO()),
        trial=link,
    )
    record = json.loads((result.run_dir / "run.json").read_text())
    # Median pruning judges from the second epoch of three: it stops there.
    assert record["status"] == "pruned" and record["epochs"] == 2
    assert record["trial"] == {"sweep_dir": str(tmp_path), "number": trial.number}
    assert (result.run_dir / "model.keras").is_file()  # an ordinary, complete run directory
    reported = study.trials[trial.number].intermediate_values
    assert sorted(reported) == [1, 2]


def test_a_bad_trial_link_is_one_line():
    with pytest.raises(Exception) as raised:
        trial_from_env({"KERASCLI_TRIAL": "{not json"})
    assert raised.value.format().startswith("KERASCLI_TRIAL: not a trial link: ")
