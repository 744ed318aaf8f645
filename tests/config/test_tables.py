"""A csv or text data section's config errors, before any file is read."""

from __future__ import annotations

import pytest

from kerascli.config.loading import load_config
from kerascli.errors import ConfigError
from tests.conftest import write_config
from tests.own_files import csv_config, text_config


def with_data(**data):
    config = csv_config("train.csv")
    config["data"].update(data)
    return config


def without_target():
    config = csv_config("train.csv")
    del config["data"]["target"]
    return config


def with_input_shape():
    config = csv_config("train.csv")
    config["model"]["input_shape"] = [5]
    return config


BAD_CONFIGS = [
    pytest.param(
        with_data(features={"temp": "float_normalised"}),
        "data.features.temp: unknown feature kind 'float_normalised' (did you mean "
        "'float_normalized'?)",
        id="unknown-feature-kind",
    ),
    pytest.param(
        with_data(features={"temp": "string_hashed"}),
        "data.features.temp.string_hashed: needs num_bins (write it as {string_hashed: "
        "{num_bins: 32}})",
        id="hashed-without-bins",
    ),
    pytest.param(
        with_data(features={"weather": "string_categorical"}),
        "data.features.weather: is the target column (the target is what the model "
        "predicts; remove it from features)",
        id="target-as-feature",
    ),
    pytest.param(
        without_target(), "data: source csv needs target: the column to predict", id="no-target"
    ),
    pytest.param(
        with_data(path="all.csv"),
        "source csv needs train: FILE (with test: FILE) or path: FILE (with test: {split: F})",
        id="train-and-path",
    ),
    pytest.param(
        with_data(test={"split": 0.2}),
        "test: {split: F} splits path: FILE; with train: FILE give test: FILE",
        id="split-without-path",
    ),
    pytest.param(
        with_input_shape(),
        "model.input_shape: source csv decides the model's input "
        "(leave model.input_shape and model.inputs out",
        id="input-shape-given",
    ),
    pytest.param(
        text_config("reviews", test="test.csv"), "source text needs path: DIR", id="text-test-file"
    ),
]


@pytest.mark.parametrize("config, fragment", BAD_CONFIGS)
def test_bad_own_data_config(tmp_path, config, fragment):
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path / "c.yaml", config))
    assert fragment in caught.value.format(), caught.value.format()


@pytest.mark.parametrize("source", ["csv", "text"])
def test_a_gan_on_tables_or_texts_is_refused(tmp_path, source):
    config = csv_config("weather.csv") if source == "csv" else text_config("reviews")
    config = {
        "data": config["data"],
        "gan": {"generator": [{"Dense": {"units": 4}}], "discriminator": [{"Dense": {"units": 1}}]},
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path / "c.yaml", config))
    assert caught.value.format().endswith(
        f"data.source: kerascli gan draws images, not {source} data (train it on images: a "
        "built-in dataset, idx, npz or images)"
    ), caught.value.format()
