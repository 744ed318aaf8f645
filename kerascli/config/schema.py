"""The experiment config's schema: pydantic models, one per section, with a description per field.

The descriptions are the config's reference documentation (and become its JSON Schema). Rules that
need more than one field live in the validators here; rules that span sections or read Keras'
names live in `rules` and `specs`.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import Field, ValidationInfo, field_validator, model_validator

# The data section's models live in their own module; re-exported here, the schema's one home.
from kerascli.config.data_schema import DataConfig
from kerascli.config.data_schema import HeldOut as HeldOut
from kerascli.config.data_schema import LimitConfig as LimitConfig
from kerascli.config.data_schema import PreprocessConfig as PreprocessConfig
from kerascli.config.data_schema import SplitFiles as SplitFiles
from kerascli.config.data_schema import ValidationConfig as ValidationConfig
from kerascli.config.distribute import DistributeConfig

# The GAN section's models live in their own module too.
from kerascli.config.gan_schema import GAN_LOSSES as GAN_LOSSES
from kerascli.config.gan_schema import GAN_UPDATES as GAN_UPDATES
from kerascli.config.gan_schema import GanConfig
from kerascli.config.gan_schema import resolve_update as resolve_update
from kerascli.config.section import Section as _Section
from kerascli.config.section import named as _named
from kerascli.config.stages_schema import StagedFit
from kerascli.config.track import TrackConfig
from kerascli.config.tune import TuneConfig

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ModelConfig(_Section):
    """A Sequential model (`input_shape`) or a Functional one (`inputs`, `outputs`)."""

    name: str | None = Field(default=None, pattern=NAME_PATTERN, description="The model's name.")
    input_shape: list[int | None] | None = Field(
        default=None,
        description=(
            "A Sequential model's input shape without the batch axis, e.g. [28, 28, 1]. Left out, "
            "source images takes it from image_size and color_mode; csv (the encoded features' "
            "width) and text (one string per example) decide it and need it left out."
        ),
    )
    inputs: dict[str, list[int | None]] | None = Field(
        default=None,
        description=(
            "A Functional model's named inputs and their shapes, e.g. {image: [28, 28, 1]}."
        ),
    )
    layers: list[Any] = Field(
        min_length=1,
        description=(
            "Keras layers in order: `Name: {arguments}` or a bare `Name`; Functional layers take "
            "`inputs:` and a `name`."
        ),
    )
    outputs: list[str] | None = Field(
        default=None,
        description=("A Functional model's output layers by name (default: the last layer)."),
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ModelConfig:
        if self.input_shape is not None and self.inputs is not None:
            raise ValueError("give input_shape (Sequential) or inputs (Functional), not both")
        if self.inputs is None and self.outputs is not None:
            raise ValueError("outputs is for Functional models (with inputs)")
        if self.inputs is not None and not self.inputs:
            raise ValueError("inputs must name at least one input")
        for shape in [self.input_shape, *(self.inputs or {}).values()]:
            if shape is not None and any(d is not None and d <= 0 for d in shape):
                raise ValueError("input dimensions must be positive (or null for any size)")
        return self

    @property
    def functional(self) -> bool:
        return self.inputs is not None


class CompileConfig(_Section):
    """Arguments to `model.compile`: optimizer, loss(es) and metrics by Keras name."""

    optimizer: Any = Field(
        default="adam",
        description=(
            "A Keras optimizer: `adam`, or {Adam: {learning_rate: 0.001}}, with a schedule if "
            "wanted."
        ),
    )
    loss: Any = Field(
        description=("A Keras loss by name or {Name: {arguments}}; or one per output name.")
    )

    _given = field_validator("loss", "optimizer")(lambda value: _named(value, "loss or optimizer"))
    metrics: list[Any] | dict[str, list[Any]] = Field(
        default=[], description=("Keras metrics, e.g. [accuracy]; or a list per output name.")
    )
    loss_weights: list[float] | dict[str, float] | None = Field(
        default=None, description=("Weights of the outputs' losses in the total.")
    )
    steps_per_execution: int = Field(
        default=1, gt=0, description=("Batches run per call into the compiled step.")
    )
    jit_compile: bool | Literal["auto"] = Field(
        default="auto", description=("Compile the step with XLA (auto: Keras decides).")
    )


class FitConfig(StagedFit):
    """Arguments to `model.fit`, and its `stages`."""

    epochs: int = Field(
        default=10,
        gt=0,
        description="Epochs to train (may grow on --resume; with stages, their sum).",
    )
    batch_size: int = Field(default=32, gt=0, description="Examples per batch.")
    shuffle: bool = Field(default=True, description="Reshuffle the training data every epoch.")
    callbacks: list[Any] = Field(
        default=[],
        description=(
            "Keras callbacks, e.g. [{EarlyStopping: {monitor: val_loss, patience: 2}}]; file "
            "arguments land inside the run directory."
        ),
    )
    class_weight: dict[int, float] | None = Field(
        default=None, description=("Weight of each class index in the loss.")
    )
    steps_per_epoch: int | None = Field(
        default=None, gt=0, description=("Batches per epoch (default: the whole training set).")
    )
    tensorboard: bool = Field(
        default=False,
        description=(
            "Write TensorBoard event files to the run's tensorboard/ folder (Keras' TensorBoard "
            "callback; `tensorboard --logdir runs/` shows them)."
        ),
    )
    mixed_precision: Literal["mixed_float16", "mixed_bfloat16"] | None = Field(
        default=None,
        description=(
            "Keras' mixed-precision dtype policy (keras.mixed_precision.set_global_policy): "
            "mixed_float16 on GPUs, with loss scaling; mixed_bfloat16 on TPUs, recent GPUs and "
            "CPUs (default: float32)."
        ),
    )


class EvaluateConfig(_Section):
    """Evaluation on the test split at the end of training."""

    enabled: bool = Field(
        default=True, description=("Evaluate on the test split after training (evaluation.json).")
    )
    batch_size: int | None = Field(
        default=None,
        gt=0,
        description=("Evaluation batch size (default: the larger of fit.batch_size and 256)."),
    )


class ExperimentConfig(_Section):
    """A whole experiment: the root of every config file."""

    name: str = Field(
        default="experiment",
        pattern=NAME_PATTERN,
        description=("Run directories are runs/<name>-<UTC timestamp>/."),
    )
    seed: int | None = Field(default=None, ge=0, description="Seeds Python, NumPy and TensorFlow.")
    deterministic: bool = Field(
        default=False,
        description=(
            "Bit-identical reruns through TensorFlow's op determinism (slower; needs a seed)."
        ),
    )
    data: DataConfig = Field(description="Where the data comes from and how it is prepared.")
    model: ModelConfig | None = Field(default=None, description="The model (kerascli train).")
    compile: CompileConfig | None = Field(
        default=None, description=("Optimizer, loss and metrics (kerascli train).")
    )
    gan: GanConfig | None = Field(default=None, description="The GAN (kerascli gan).")
    fit: FitConfig = Field(default=FitConfig(), description="Epochs, batches and callbacks.")
    evaluate: EvaluateConfig = Field(
        default=EvaluateConfig(), description=("Evaluation on the test split after training.")
    )
    distribute: DistributeConfig = Field(
        default=DistributeConfig(),
        description=(
            "Data-parallel training over GPUs or machines (tf.distribute); see the docs' "
            "Scaling page (docs/scaling.md)."
        ),
    )
    track: TrackConfig | None = Field(
        default=None, description="Tracking servers that mirror each run (off unless written)."
    )
    tune: TuneConfig | None = Field(
        default=None,
        description="A sweep over this config (kerascli tune; kerascli train ignores it).",
    )

    @model_validator(mode="after")
    def _model_or_gan(self) -> ExperimentConfig:
        if self.gan is not None and (self.model is not None or self.compile is not None):
            raise ValueError(
                "give model and compile (kerascli train) or gan (kerascli gan), not both"
            )
        return self

    @field_validator("deterministic")
    @classmethod
    def _deterministic_needs_seed(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("seed") is None:
            raise ValueError("needs a seed (deterministic runs repeat a seeded run)")
        return value

    def to_yaml(self) -> str:
        """Returns the resolved config as YAML: exactly what runs, re-loadable by `load_config`."""
        # mode="python" keeps int keys (class_weight) ints, so the file re-validates as it was.
        # Collections of scalars inline (`input_shape: [28, 28, 1]`), as configs are written.
        return yaml.safe_dump(
            self.model_dump(mode="python", exclude_none=True, by_alias=True),
            sort_keys=False,
            default_flow_style=None,
            width=100,
        )
