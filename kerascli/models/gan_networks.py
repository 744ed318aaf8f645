"""Building a GAN's two networks from the `gan` section, and deciding how its step is compiled."""

from __future__ import annotations

from kerascli.config.schema import ExperimentConfig
from kerascli.errors import ConfigError
from kerascli.models.compiling import build_optimizer
from kerascli.models.gan import ends_in_sigmoid
from kerascli.models.layers import build_sequential


def build_networks(config: ExperimentConfig, image_shape: tuple):
    """Builds the generator and discriminator and compiles each with its own optimizer.

    Args:
        config: The validated config (with `gan`).
        image_shape: The shape of one preprocessed training image.

    Returns:
        `(generator, discriminator)`.

    Raises:
        ConfigError: When a layer cannot be built, the generator's images do not have the data's
            shape, or the discriminator does not output one score per image.
    """
    gan = config.gan
    generator = build_sequential(
        gan.generator, [gan.latent_dim], name="generator", key_path=("gan", "generator")
    )
    made = tuple(generator.outputs[0].shape[1:])
    if made != image_shape:
        raise ConfigError(
            f"gan.generator[{len(gan.generator) - 1}]",
            f"the generator makes images of shape {made}, but the data's images "
            f"have shape {image_shape}",
            "end the generator with layers that output that shape (e.g. Reshape, "
            "or Conv2DTranspose with the right filters), or set "
            "data.preprocess.reshape",
        )
    discriminator = build_sequential(
        gan.discriminator,
        list(image_shape),
        name="discriminator",
        key_path=("gan", "discriminator"),
    )
    scores = tuple(discriminator.outputs[0].shape[1:])
    last = f"gan.discriminator[{len(gan.discriminator) - 1}]"
    if scores not in ((1,), ()):
        raise ConfigError(
            last,
            f"the discriminator outputs shape {scores} per image, not one score",
            "end it with Flatten and Dense with units: 1",
        )
    if gan.loss == "wgan-gp" and ends_in_sigmoid(discriminator):
        raise ConfigError(
            last,
            "a WGAN-GP critic outputs an unbounded score, not a probability",
            "remove the sigmoid activation",
        )
    for network in (generator, discriminator):
        optimizer = build_optimizer(
            getattr(gan, f"{network.name}_optimizer"), ("gan", f"{network.name}_optimizer")
        )
        network.compile(optimizer=optimizer)
        # Built now, outside the traced step, so its variables exist before tracing.
        optimizer.build(network.trainable_variables)
    return generator, discriminator


def resolve_jit(setting, networks, deterministic: bool) -> bool:
    """Decides whether the GAN step is compiled with XLA.

    Keras' `"auto"` turns XLA off on machines without a GPU. A GAN step is different from a
    classifier's: several passes through two convolutional networks in one traced function,
    where XLA's fusion pays even on a CPU (1.6x faster per step for the CIFAR-10 DCGAN on 2
    cores, `benchmarks/gan_step.py`). So `"auto"` means XLA wherever every layer supports it,
    except in deterministic mode, which XLA does not honour for every op (Keras' own rule), and
    except for replicas on logical CPU devices (`distribute.devices`), where XLA refuses the
    replicas' variables as "on a different device".

    Args:
        setting: `gan.jit_compile`: `True`, `False` or `"auto"`.
        networks: The generator and discriminator.
        deterministic: Whether the run asked for deterministic ops.

    Returns:
        Whether to compile with XLA.
    """
    if setting != "auto":
        return bool(setting)
    if deterministic or _replicas_on_cpu():
        return False
    return all(
        getattr(layer, "supports_jit", True) for network in networks for layer in network.layers
    )


def _replicas_on_cpu() -> bool:
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    return strategy.num_replicas_in_sync > 1 and not tf.config.list_logical_devices("GPU")
