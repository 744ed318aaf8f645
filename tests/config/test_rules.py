"""Tests for the cross-section rules: the GAN update rule, what a resume keeps, what a GAN uses."""

from __future__ import annotations

import pytest

from kerascli.config import rules
from kerascli.config.schema import ExperimentConfig, ModelConfig, resolve_update
from kerascli.config.specs import SpecError
from kerascli.config.wiring import functional_wiring
from tests.conftest import tiny_config


@pytest.mark.parametrize(
    "loss, steps, update, resolved",
    [
        ("bce", 1, None, "simultaneous"),
        ("bce", 2, None, "alternating"),
        ("wgan-gp", 5, None, "alternating"),
        ("wgan-gp", 1, None, "alternating"),
        ("bce", 1, "alternating", "alternating"),
        ("bce", 1, "simultaneous", "simultaneous"),
    ],
)
def test_resolve_update(loss, steps, update, resolved):
    assert resolve_update(loss, steps, update) == resolved


@pytest.mark.parametrize("loss, steps", [("wgan-gp", 1), ("bce", 2)])
def test_simultaneous_needs_bce_with_one_step(loss, steps):
    with pytest.raises(ValueError, match="simultaneous is for loss bce"):
        resolve_update(loss, steps, "simultaneous")


def _config(**changes) -> ExperimentConfig:
    data = tiny_config()
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    return ExperimentConfig.model_validate(data)


@pytest.mark.parametrize(
    "changes, section",
    [
        ({}, None),
        ({"fit__epochs": 9}, None),
        ({"data__limit": {"train": 10}}, "data"),
        ({"compile__optimizer": "sgd"}, "compile"),
        ({"model__layers": ["Flatten", {"Dense": {"units": 10}}]}, "model"),
        ({"fit__stages": [{"epochs": 1}, {"epochs": 1, "learning_rate": 0.01}]}, "fit.stages"),
    ],
)
def test_resume_difference_names_the_first_changed_section(changes, section):
    assert rules.resume_difference(_config(), _config(**changes)) == section


def test_functional_wiring_names_and_sources():
    model = ModelConfig.model_validate(
        {
            "inputs": {"image": [4, 4, 1], "pixels": [16]},
            "layers": [
                {"Flatten": {"inputs": "image"}},
                {"Dense": {"units": 3, "inputs": "pixels", "name": "dense"}},
                {"Concatenate": {"inputs": ["flatten_0", "dense"]}},
            ],
        }
    )
    wiring = functional_wiring(model)
    assert [(w.reference, w.sources) for w in wiring] == [
        ("flatten_0", "image"),
        ("dense", "pixels"),
        ("concatenate_2", ["flatten_0", "dense"]),
    ]


def test_functional_wiring_refuses_a_name_used_twice():
    model = ModelConfig.model_validate(
        {"inputs": {"x": [4]}, "layers": [{"Dense": {"units": 3, "inputs": "x", "name": "x"}}]}
    )
    with pytest.raises(SpecError, match="the name 'x' is used twice"):
        functional_wiring(model)
