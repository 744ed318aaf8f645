"""The `track` section: where a run is mirrored for a team (an MLflow tracking server).

Off unless written: a config without `track` (and a command line without `--track mlflow`)
never contacts a tracking server, even where MLflow happens to be installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from kerascli.config.section import Section

if TYPE_CHECKING:  # the schema imports this module
    from kerascli.config.schema import ExperimentConfig

TRACKERS = ("mlflow",)


class MlflowTrack(Section):
    """One MLflow run per kerascli run: params, metrics per epoch, tags and artifacts."""

    uri: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "The tracking URI: http://host:5000, sqlite:///mlflow.db, databricks, ... Left out: "
            "MLFLOW_TRACKING_URI, else MLflow's own default (sqlite:///mlflow.db since MLflow "
            "3.7; ./mlruns before)."
        ),
    )
    experiment: str | None = Field(
        default=None,
        min_length=1,
        description="The MLflow experiment, created when missing. Left out: the config's name.",
    )


class TrackConfig(Section):
    """Where runs are tracked besides their run directory."""

    mlflow: MlflowTrack | None = Field(
        default=None,
        description=(
            "Log each train and gan run to MLflow (needs pip install 'kerascli[mlflow]'); `{}` "
            "takes the defaults."
        ),
    )


def with_tracker(config: ExperimentConfig, tracker: str) -> ExperimentConfig:
    """The config with `track.<tracker>` switched on (its defaults) unless it is written.

    Args:
        config: The validated `ExperimentConfig`.
        tracker: A name from `TRACKERS` (`--track mlflow`).

    Returns:
        The config itself when it already has that tracker, else a copy with it.
    """
    track = config.track or TrackConfig()
    if getattr(track, tracker) is not None:
        return config
    return config.model_copy(update={"track": track.model_copy(update={tracker: MlflowTrack()})})
