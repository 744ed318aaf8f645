"""Every Keras spec of an experiment checked before TensorFlow is imported."""

from __future__ import annotations

from kerascli.config import keras_names as catalog
from kerascli.config.specs import SpecError, check_layer, check_object, split_spec
from kerascli.config.stage_checks import check_stages
from kerascli.config.wiring import functional_wiring
from kerascli.errors import did_you_mean


def check_experiment(config) -> None:
    """Checks every spec in a validated `ExperimentConfig` (duck-typed to stay import-light).

    Raises:
        SpecError: For the first problem found.
    """
    if config.model is not None:
        for index, layer in enumerate(config.model.layers):
            check_layer(layer, ("model", "layers", index))
        if config.model.functional:
            functional_wiring(config.model)
        else:
            for index, layer in enumerate(config.model.layers):
                _, args = split_spec(layer, (), "layer")
                if "inputs" in args:
                    raise SpecError(
                        ("model", "layers", index),
                        "inputs wires Functional models",
                        "give the model inputs: {name: shape} instead of input_shape",
                    )
    for index, layer in enumerate(config.data.augment):
        check_layer(layer, ("data", "augment", index))
    if getattr(config, "gan", None) is not None:
        for network in ("generator", "discriminator"):
            for index, layer in enumerate(getattr(config.gan, network)):
                name, args = check_layer(layer, ("gan", network, index))
                if "inputs" in args:
                    raise SpecError(
                        ("gan", network, index),
                        "a GAN network is a stack of layers",
                        "remove inputs: each layer takes the previous one's output",
                    )
            check_object(
                getattr(config.gan, f"{network}_optimizer"),
                ("gan", f"{network}_optimizer"),
                "optimizer",
                catalog.optimizer_names(),
                case_insensitive=True,
            )
    if config.compile is not None:
        check_object(
            config.compile.optimizer,
            ("compile", "optimizer"),
            "optimizer",
            catalog.optimizer_names(),
            case_insensitive=True,
        )
        outputs = set(config.model.outputs or []) if config.model is not None else set()
        losses = config.compile.loss
        per_output = isinstance(losses, dict) and losses and set(losses) <= outputs
        # `{name: "mse"}` (a string value) is per-output: a spec's arguments are a mapping.
        looks_per_output = isinstance(losses, dict) and (
            len(losses) > 1
            or set(losses) & outputs
            or any(isinstance(value, str) for value in losses.values())
        )
        if looks_per_output and not per_output:
            # Some keys name outputs, so all of them should: the others are misspelt outputs.
            stray = next(key for key in losses if key not in outputs)
            raise SpecError(
                ("compile", "loss", stray),
                f"unknown output {stray!r}",
                did_you_mean(str(stray), outputs)
                or (
                    f"the model's outputs are {', '.join(sorted(outputs))}"
                    if outputs
                    else "losses per output are for Functional models with outputs"
                ),
            )
        if isinstance(config.compile.metrics, dict):
            for key in config.compile.metrics:
                if key not in outputs:
                    raise SpecError(
                        ("compile", "metrics", key),
                        f"unknown output {key!r}",
                        did_you_mean(str(key), outputs)
                        or (
                            "metrics per output name the model's outputs"
                            if outputs
                            else "metrics per output are for Functional models with outputs"
                        ),
                    )
        for key, loss in losses.items() if per_output else [(None, losses)]:
            path = ("compile", "loss") + ((key,) if key else ())
            check_object(loss, path, "loss", catalog.loss_names())
        metrics = config.compile.metrics
        groups = metrics.items() if isinstance(metrics, dict) else [(None, metrics)]
        for key, group in groups:
            for index, metric in enumerate(group):
                path = ("compile", "metrics") + ((key,) if key else ()) + (index,)
                check_object(metric, path, "metric", catalog.metric_names())
    for index, callback in enumerate(config.fit.callbacks):
        check_object(
            callback,
            ("fit", "callbacks", index),
            "callback",
            catalog.callback_names(),
            catalog.REFUSED_CALLBACKS,
        )
    check_stages(config)
