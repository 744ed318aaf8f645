"""The `track` section: off unless written, `{}` takes the defaults, mistakes are one line."""

from __future__ import annotations

import pytest

from kerascli.config.loading import load_config
from kerascli.config.track import MlflowTrack, with_tracker
from kerascli.errors import ConfigError
from tests.conftest import tiny_config, write_config


def _load(tmp_path, track):
    config = tiny_config()
    if track is not ...:
        config["track"] = track
    return load_config([write_config(tmp_path / "c.yaml", config)])


def test_off_unless_written(tmp_path):
    config = _load(tmp_path, ...)
    assert config.track is None and "track" not in config.to_yaml()


def test_an_empty_mlflow_section_takes_the_defaults_and_is_saved(tmp_path):
    config = _load(tmp_path, {"mlflow": {}})
    assert config.track.mlflow == MlflowTrack(uri=None, experiment=None)
    assert "track:\n  mlflow: {}" in config.to_yaml()


def test_the_track_option_switches_mlflow_on_unless_written(tmp_path):
    config = with_tracker(_load(tmp_path, ...), "mlflow")
    assert config.track.mlflow == MlflowTrack()
    written = _load(tmp_path, {"mlflow": {"uri": "sqlite:///m.db", "experiment": "e"}})
    assert with_tracker(written, "mlflow") is written


@pytest.mark.parametrize(
    "track, message",
    [
        ({"mlflow": {"url": "http://x"}}, "track.mlflow.url: unknown key"),
        ({"wandb": {}}, "track.wandb: unknown key"),
        ({"mlflow": {"uri": ""}}, "track.mlflow.uri"),
        ({"mlflow": {"experiment": 3}}, "track.mlflow.experiment"),
        ({"mlflow": "yes"}, "track.mlflow"),
    ],
)
def test_mistakes_are_one_line_naming_the_key(tmp_path, track, message):
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, track)
    assert message in raised.value.format()
