"""The study: the space as Optuna distributions, the shared budget, trials stopped and rerun."""

from __future__ import annotations

import threading

import pytest

from kerascli.config.tune import TuneConfig
from kerascli.tuning import study as studies

optuna = pytest.importorskip("optuna")

SPACE = {
    "compile.optimizer.learning_rate": {"low": 1.0e-4, "high": 0.1, "log": True},
    "model.layers[1].Dense.units": {"low": 16, "high": 64, "step": 16},
    "fit.batch_size": [32, 64],
    "model.input_shape": [[28, 28, 1], [784]],
}


def _tune(**fields) -> TuneConfig:
    return TuneConfig.model_validate({"metric": "val_accuracy", "space": SPACE, **fields})


def _study(storage, tune, name="s"):
    return studies.open_study(storage, name, tune, "maximize", 1, 3)


def test_the_space_becomes_optuna_distributions():
    found = studies.distributions(_tune())
    dists = optuna.distributions
    assert found["compile.optimizer.learning_rate"] == dists.FloatDistribution(1e-4, 0.1, log=True)
    assert found["model.layers[1].Dense.units"] == dists.IntDistribution(16, 64, step=16)
    assert found["fit.batch_size"] == dists.CategoricalDistribution([32, 64])
    # A list is not a value Optuna keeps: its YAML text is, and --set reads it back.
    assert found["model.input_shape"].choices == ("[28, 28, 1]", "[784]")


def test_a_grid_has_every_point():
    tune = _tune(
        sampler="grid",
        space={"a.b": {"low": 0.0, "high": 0.5, "step": 0.25}, "c.d": {"low": 1, "high": 3}},
    )
    assert studies.grid(tune) == {"a.b": [0.0, 0.25, 0.5], "c.d": [1, 2, 3]}
    assert studies.grid_size(tune) == 9


@pytest.mark.parametrize("sampler", ["tpe", "random", "grid", "cmaes"])
def test_every_sampler_proposes_values_in_the_space(sampler):
    space = {"a.b": {"low": 1, "high": 4}, "c.d": [0.1, 0.2]}
    tune = _tune(sampler=sampler, space=space, trials=6)
    study = _study(optuna.storages.InMemoryStorage(), tune)
    for _ in range(6):
        trial = studies.next_trial(study, 6, studies.distributions(tune))
        assert 1 <= trial.params["a.b"] <= 4 and trial.params["c.d"] in (0.1, 0.2)
        study.tell(trial, trial.params["a.b"] * trial.params["c.d"])
    assert studies.next_trial(study, 6, studies.distributions(tune)) is None


def test_two_machines_on_one_storage_never_run_more_than_the_budget(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    tune = _tune(trials=5)
    space = studies.distributions(tune)
    _study(studies.open_storage(url), tune)  # made once, as the first machine does
    asked: list[int] = []

    def machine():
        study = _study(studies.open_storage(url), tune)
        while (trial := studies.next_trial(study, 5, space)) is not None:
            asked.append(trial.number)
            study.tell(trial, 0.5)

    threads = [threading.Thread(target=machine) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    study = _study(studies.open_storage(url), tune)
    assert len(asked) == len(set(asked)) == 5
    assert sorted(t.number for t in studies.counted(study.get_trials())) == sorted(asked)


def test_an_interrupted_trial_does_not_count_and_its_values_run_next():
    tune = _tune(trials=2)
    study = _study(optuna.storages.InMemoryStorage(), tune)
    space = studies.distributions(tune)
    first = studies.next_trial(study, 2, space)
    studies.skip(study, first, studies.INTERRUPTED, again=True)
    assert studies.counted(study.get_trials()) == []
    again = studies.next_trial(study, 2, space)
    assert again.number != first.number and again.params == first.params


def test_a_storage_that_cannot_be_opened_is_one_line():
    with pytest.raises(Exception) as raised:
        studies.open_storage("nosuchdb://host/db")
    assert raised.value.format().startswith("--storage: cannot open the storage: ")
