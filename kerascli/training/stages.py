"""`fit.stages`: one run trained in phases, as the Keras transfer-learning guide does by hand.

Each stage fits from its first epoch to its end with its own trainable layers, learning rate
and callbacks. Between stages the model is recompiled, as Keras requires after `trainable`
changes. An unfrozen backbone's BatchNormalization layers stay frozen, which in Keras 3 also
keeps them in inference mode (the guide's `training=False`): their moving statistics, learned on
the pretraining data, are not wrecked by the first large gradients.

A resumed run enters the stage its checkpoint lies in; inside a stage the checkpoint's model
and optimizer state are kept as saved, at a stage's start the model is recompiled as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerascli.config.keys import format_key_path
from kerascli.config.schema import CompileConfig, ExperimentConfig
from kerascli.config.specs import split_spec
from kerascli.config.stage_checks import backbone_specs, unfreeze_target
from kerascli.config.wiring import functional_wiring
from kerascli.errors import ConfigError, did_you_mean
from kerascli.models.compiling import build_optimizer, compile_model
from kerascli.runs.record import Stage as StageRecord


@dataclass
class Stage:
    """One phase: its number (from 0), first and end epoch, and its `StageConfig` (or `None`)."""

    index: int
    start: int
    end: int
    config: object | None


def stages_of(config: ExperimentConfig) -> list[Stage]:
    """The fit's stages; one stage spanning every epoch when `fit.stages` is not given."""
    stages = config.fit.stages or [None]
    return [
        Stage(index, start, end, stage)
        for index, ((start, end), stage) in enumerate(zip(config.fit.stage_spans(), stages))
    ]


def _backbone_layer(model, config: ExperimentConfig, index: int):
    """The built backbone that `model.layers[index]` specifies."""
    import keras

    if config.model.functional:
        reference = next(w.reference for w in functional_wiring(config.model) if w.index == index)
        return model.get_layer(reference)
    _, args = split_spec(config.model.layers[index], ())
    if args.get("name"):
        return model.get_layer(args["name"])
    # Unnamed in a Sequential stack: the nested models appear in the stack's order.
    specs = backbone_specs(config.model)
    position = [spec[0] for spec in specs].index(index)
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested[position]


def _unfrozen(backbone, unfreeze, key_path: tuple) -> set[str]:
    """The names of the backbone's layers one `unfreeze` mapping opens."""
    layers = [layer for layer in backbone.layers if layer.weights]
    if unfreeze.all:
        return {layer.name for layer in layers}
    if unfreeze.last:
        return {layer.name for layer in layers[-unfreeze.last :]}
    names = [layer.name for layer in backbone.layers]
    if unfreeze.from_ not in names:
        raise ConfigError(
            format_key_path(key_path + ("from",)),
            f"{backbone.name} has no layer {unfreeze.from_!r}",
            did_you_mean(unfreeze.from_, names)
            or "kerascli validate prints the model; its backbone's layers are in model.summary",
        )
    start = names.index(unfreeze.from_)
    return {layer.name for layer in backbone.layers[start:] if layer.weights}


class StagePlan:
    """Sets each stage's trainable layers and learning rate on a built (or restored) model.

    Args:
        model: The model.
        config: The experiment config (its `model`, `compile` and `fit.stages`).
        compile_config: The `compile` section the model is compiled with (MixUp and CutMix
            swap a sparse loss for its one-hot twin). Defaults to `config.compile`.

    Raises:
        ConfigError: When a stage's `unfreeze.from` names no layer of its backbone.
    """

    def __init__(self, model, config: ExperimentConfig, compile_config: CompileConfig = None):
        self.model = model
        self.config = config
        self.compile_config = compile_config or config.compile
        self.stages = stages_of(config)
        self._as_built = [id(w) for w in model.trainable_weights]
        self.recorded: list[StageRecord] = []
        backbones = backbone_specs(config.model)
        # Per stage: {backbone: names of its layers unfrozen by then}, stages adding up.
        self.opened: list[dict] = []
        opened: dict = {}
        for stage in self.stages:
            unfreeze = getattr(stage.config, "unfreeze", None)
            if unfreeze is not None:
                here = ("fit", "stages", stage.index, "unfreeze")
                index, _, _ = unfreeze_target(backbones, unfreeze.layer, here)
                backbone = _backbone_layer(model, config, index)
                _, args = split_spec(config.model.layers[index], ())
                if not args.get("trainable", True):  # a trainable backbone has nothing to open
                    names = _unfrozen(backbone, unfreeze, here)
                    opened = {**opened, backbone: opened.get(backbone, set()) | names}
            self.opened.append(dict(opened))

    def learning_rate(self, stage: Stage) -> float | None:
        """The learning rate a stage trains with: its own, or the latest earlier stage's."""
        for earlier in reversed(self.stages[: stage.index + 1]):
            rate = getattr(earlier.config, "learning_rate", None)
            if rate is not None:
                return rate
        return None

    def set_trainable(self, stage: Stage) -> None:
        """Makes trainable what the stack and the stages up to `stage` open, and nothing else."""
        import keras

        for backbone in {b for opened in self.opened for b in opened}:
            names = self.opened[stage.index].get(backbone, set())
            backbone.trainable = bool(names)
            for layer in backbone.layers:
                # Frozen BatchNormalization runs in inference mode in Keras 3.
                layer.trainable = layer.name in names and not isinstance(
                    layer, keras.layers.BatchNormalization
                )

    def enter(self, stage: Stage, recompile: bool = True) -> None:
        """Sets up `stage`; recompiles unless the model resumes inside it as it was saved."""
        self.set_trainable(stage)
        # A checkpoint saved inside this stage was saved with these trainable weights; if
        # Keras restored other flags, the optimizer's state does not fit and is rebuilt.
        changed = self._as_built != [id(w) for w in self.model.trainable_weights]
        if recompile or changed:
            compile_model(self.model, self.compile_config, self.learning_rate(stage))

    def records(self) -> list[StageRecord]:
        """run.json's `stages`: each stage's epochs, trainable parameters and learning rate.

        Call it before `enter`, which then sets the flags its stage needs.
        """
        import numpy as np

        records = []
        # The config's rate, not the model's: a resumed model's optimizer has its stage's.
        default = _rate_of(build_optimizer(self.compile_config.optimizer, ("compile", "optimizer")))
        for stage in self.stages:
            self.set_trainable(stage)
            count = sum(int(np.prod(w.shape)) for w in self.model.trainable_weights)
            rate = self.learning_rate(stage)
            records.append(
                StageRecord(
                    epochs=stage.end - stage.start,
                    trainable_params=count,
                    learning_rate=rate if rate is not None else default,
                )
            )
        self.recorded = records
        return records  # `enter` sets the flags of the stage the fit is in


def _rate_of(optimizer) -> float | None:
    rate = getattr(optimizer, "learning_rate", None)
    try:
        return float(f"{float(rate):.7g}")  # the float32 variable, as the config wrote it
    except (TypeError, ValueError):
        return None  # a schedule


def stage_boundaries(config: ExperimentConfig) -> list[int]:
    """The epochs after which a new stage starts (`[5]` for stages of 5 and 10 epochs)."""
    return [stage.start for stage in stages_of(config)[1:]]


def holds_batchnorm(model) -> bool:
    """Whether `model` holds a BatchNormalization layer at any depth."""
    import keras

    return any(isinstance(layer, keras.layers.BatchNormalization) for layer in walk(model))


def walk(model):
    """Every layer inside `model`, nested models' layers included."""
    for layer in getattr(model, "layers", []):
        yield layer
        yield from walk(layer)


def announce(callbacks: list, stage: Stage, plan: StagePlan) -> None:
    """Prints `stage 2/2 from epoch 6: ...` through the progress display, once per stage."""
    from kerascli.training.progress import RichProgress

    progress = next((c for c in callbacks if isinstance(c, RichProgress)), None)
    if progress is None:
        return
    if progress.headline:  # printed when the first stage starts; not again at each stage
        progress.console.print(progress.headline, highlight=False, soft_wrap=True, markup=False)
        progress.headline = None
    record = plan.recorded[stage.index] if plan.recorded else None
    rate = record.learning_rate if record else None
    trainable = (record.trainable_params if record else None) or 0
    progress.console.print(
        f"stage {stage.index + 1}/{len(plan.stages)} from epoch {stage.start + 1}: "
        f"{trainable:,} trainable parameters"
        + (f", learning rate {rate:.3g}" if rate is not None else ""),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
