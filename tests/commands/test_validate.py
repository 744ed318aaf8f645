"""Tests for `validate_experiment`: every network built, no data read beyond one example's shape."""

from __future__ import annotations

import pytest

from kerascli.config.loading import load_config
from kerascli.errors import DataError
from tests.commands.test_gan import gan_config
from tests.conftest import tiny_config, write_config


def test_validating_a_gan_reads_only_the_idx_header(tmp_path, monkeypatch):
    from kerascli.commands import validate
    from kerascli.data import sources

    def no_data(config):
        raise AssertionError("validate must not read the training data")

    monkeypatch.setattr(sources, "load_splits", no_data)
    config = load_config(write_config(tmp_path / "gan.yaml", gan_config()), require="gan")
    summary = validate.validate_experiment(config)
    assert summary.count("Total params") == 2


def test_validating_a_gan_with_a_missing_file_is_a_data_error(tmp_path):
    from kerascli.commands import validate

    config = gan_config()
    config["data"]["train"]["images"] = str(tmp_path / "nowhere.gz")
    experiment = load_config(write_config(tmp_path / "gan.yaml", config), require="gan")
    with pytest.raises(DataError, match="nowhere.gz: file not found"):
        validate.validate_experiment(experiment)


def test_validating_a_model_builds_and_compiles_it(tmp_path):
    from kerascli.commands import validate

    experiment = load_config(write_config(tmp_path / "m.yaml", tiny_config()))
    summary = validate.validate_experiment(experiment)
    assert "Dense" in summary and summary.count("Total params") == 1
