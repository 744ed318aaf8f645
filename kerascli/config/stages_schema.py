"""The schema of `fit.stages`: one run trained in phases, the Keras transfer-learning recipe.

The Keras guide "Transfer learning & fine-tuning" trains a new head on a frozen backbone, then
unfreezes (part of) the backbone and trains on with a much smaller learning rate. Each stage says
its epochs and what changes from that stage on: which layers become trainable, the optimizer's
learning rate, and callbacks that apply during that stage only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from kerascli.config.section import Section


class UnfreezeConfig(Section):
    """Which layers of a `keras.applications` backbone become trainable from this stage on."""

    layer: str | None = Field(
        default=None,
        description=(
            "The backbone, by its name in model.layers (or its class name, e.g. MobileNetV2); "
            "may be left out when the model holds one backbone."
        ),
    )
    last: int | None = Field(
        default=None, gt=0, description="Unfreeze the backbone's last N layers."
    )
    from_: str | None = Field(
        default=None,
        alias="from",
        description=(
            "Unfreeze the backbone's layers from this one (by name, e.g. block_13_expand) to "
            "its end."
        ),
    )
    all: bool | None = Field(default=None, description="Unfreeze the whole backbone.")

    @model_validator(mode="after")
    def _one_choice(self) -> UnfreezeConfig:
        chosen = [key for key in ("last", "from_", "all") if getattr(self, key)]
        if len(chosen) != 1:
            raise ValueError("give one of last: N, from: LAYER or all: true")
        return self


class StageConfig(Section):
    """One phase of a staged fit: its epochs and what changes from it on."""

    epochs: int = Field(gt=0, description="Epochs this stage trains.")
    unfreeze: UnfreezeConfig | None = Field(
        default=None,
        description=(
            "Backbone layers made trainable from this stage on (their BatchNormalization layers "
            "stay in inference mode); stages add to what earlier stages unfroze."
        ),
    )
    learning_rate: float | None = Field(
        default=None,
        gt=0,
        description=(
            "The optimizer's learning rate from this stage on (default: compile.optimizer's)."
        ),
    )
    callbacks: list[Any] = Field(
        default=[],
        description="Keras callbacks for this stage only, beside fit.callbacks.",
    )


class StagedFit(Section):
    """The `stages` of the `fit` section (`schema.FitConfig` derives from it)."""

    if TYPE_CHECKING:  # `FitConfig`'s field, which these validators read
        epochs: int

    stages: list[StageConfig] | None = Field(
        default=None,
        min_length=1,
        description=(
            "Phases of one run, e.g. the head alone, then part of the backbone at a lower "
            "learning rate; fit.epochs may be left out (the stages' sum)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _epochs_from_stages(cls, data: Any) -> Any:
        # `fit.epochs` left out with stages is their sum; malformed stages are left to the
        # field's own validation, which reports them at their key.
        if isinstance(data, dict) and "epochs" not in data and isinstance(data.get("stages"), list):
            epochs = [
                stage.get("epochs") if isinstance(stage, dict) else None for stage in data["stages"]
            ]
            if epochs and all(type(e) is int and e > 0 for e in epochs):
                data = {**data, "epochs": sum(epochs)}
        return data

    @model_validator(mode="after")
    def _epochs_fit_stages(self) -> StagedFit:
        if self.stages:
            total = sum(stage.epochs for stage in self.stages)
            if self.epochs != total:
                raise ValueError(
                    f"fit.epochs is {self.epochs} but the stages add up to {total}; "
                    "leave fit.epochs out with stages"
                )
        return self

    def stage_spans(self) -> list[tuple[int, int]]:
        """Each stage's first and end epoch, `[(0, 5), (5, 15)]`; one span without stages."""
        spans, start = [], 0
        for stage in self.stages or []:
            spans.append((start, start + stage.epochs))
            start += stage.epochs
        return spans or [(0, self.epochs)]
