"""Tests for kerascli.gan_model.GAN on tiny Keras networks, without the CLI or a run directory."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from kerascli.models.gan import GAN, ends_in_sigmoid

LATENT = 4


def networks(*, sigmoid=False, bias=None):
    """A 4x4x1-image generator and a discriminator, compiled as `build_networks` compiles them."""
    generator = keras.Sequential(
        [
            keras.Input((LATENT,)),
            keras.layers.Dense(16),
            keras.layers.Reshape((4, 4, 1)),
            keras.layers.Activation("tanh"),
        ],
        name="generator",
    )
    last = (
        keras.layers.Dense(1, activation="sigmoid" if sigmoid else None)
        if bias is None
        else keras.layers.Dense(
            1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(bias)
        )
    )
    discriminator = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), last], name="discriminator"
    )
    for network in (generator, discriminator):
        network.compile(optimizer=keras.optimizers.Adam(1e-3))
        network.optimizer.build(network.trainable_variables)
    return generator, discriminator


def make_gan(generator, discriminator, run_eagerly=False, **kwargs):
    gan = GAN(generator, discriminator, latent_dim=LATENT, seed=0, **kwargs)
    gan.compile(optimizer=None, run_eagerly=run_eagerly)  # eager: no tracing, for the maths tests
    return gan


def real_images(count=64):
    return np.random.default_rng(0).uniform(-1, 1, (count, 4, 4, 1)).astype(np.float32)


def weights_of(network):
    return [np.array(w) for w in network.get_weights()]


@pytest.mark.parametrize(
    "loss, keys",
    [
        ("bce", {"d_loss", "g_loss", "d_real", "d_fake"}),
        ("wgan-gp", {"d_loss", "g_loss", "wasserstein", "gradient_penalty"}),
    ],
)
def test_one_epoch_trains_both_networks(loss, keys):
    generator, discriminator = networks()
    before = {"g": weights_of(generator), "d": weights_of(discriminator)}
    gan = make_gan(generator, discriminator, loss=loss, discriminator_steps=1, run_eagerly=True)
    history = gan.fit(real_images(), epochs=1, batch_size=32, verbose=0).history
    assert set(history) == keys
    assert all(math.isfinite(values[0]) for values in history.values())
    for name, network in (("g", generator), ("d", discriminator)):
        after = weights_of(network)
        assert any(not np.array_equal(b, a) for b, a in zip(before[name], after)), name
    # 2 batches: one discriminator update per generator update by default.
    assert int(generator.optimizer.iterations) == int(discriminator.optimizer.iterations) == 2
    if loss == "bce":
        assert 0 <= history["d_real"][0] <= 1 and 0 <= history["d_fake"][0] <= 1
    else:
        assert history["gradient_penalty"][0] >= 0


def test_discriminator_steps_per_generator_step():
    steps = 3
    generator, discriminator = networks()
    gan = make_gan(generator, discriminator, discriminator_steps=steps)
    gan.fit(real_images(64), epochs=1, batch_size=32, verbose=0)  # 2 batches
    assert int(generator.optimizer.iterations) == 2
    assert int(discriminator.optimizer.iterations) == 2 * steps


def test_ends_in_sigmoid():
    def stack(*layers):
        return keras.Sequential([keras.Input((3,)), *layers])

    assert ends_in_sigmoid(stack(keras.layers.Dense(1, activation="sigmoid")))
    assert ends_in_sigmoid(stack(keras.layers.Dense(1, activation=keras.activations.sigmoid)))
    assert ends_in_sigmoid(stack(keras.layers.Dense(1), keras.layers.Activation("sigmoid")))
    assert not ends_in_sigmoid(stack(keras.layers.Dense(1)))
    assert not ends_in_sigmoid(stack(keras.layers.Dense(1, activation="tanh")))
    assert not ends_in_sigmoid(stack(keras.layers.Dense(1), keras.layers.LeakyReLU()))


def test_bce_reads_logits_or_probabilities_from_the_last_layer():
    assert make_gan(*networks(sigmoid=True)).from_logits is False
    assert make_gan(*networks(sigmoid=False)).from_logits is True


def _first_step_d_loss(label_smoothing):
    # A discriminator that answers logit 5 for every image (zero kernel): the first
    # discriminator loss is known in closed form before any weight moves.
    generator, discriminator = networks(bias=5.0)
    gan = make_gan(generator, discriminator, label_smoothing=label_smoothing, run_eagerly=True)
    logs = gan.train_on_batch(real_images(8), return_dict=True)
    return logs["d_loss"], logs["d_real"], logs["d_fake"]


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_label_smoothing_labels_real_images_one_minus_smoothing(label_smoothing):
    d_loss, d_real, d_fake = _first_step_d_loss(label_smoothing)
    p = 1 / (1 + math.exp(-5.0))
    target = 1 - label_smoothing
    real_part = -(target * math.log(p) + (1 - target) * math.log(1 - p))
    fake_part = -math.log(1 - p)
    assert d_loss == pytest.approx(real_part + fake_part, rel=1e-3)
    assert d_real == pytest.approx(p, rel=1e-4) and d_fake == pytest.approx(p, rel=1e-4)


def test_instance_noise_trains_with_finite_losses():
    generator, discriminator = networks()
    gan = make_gan(
        generator, discriminator, instance_noise=0.1, label_smoothing=0.1, run_eagerly=True
    )
    history = gan.fit(real_images(), epochs=1, batch_size=32, verbose=0).history
    assert all(math.isfinite(values[0]) for values in history.values())
    assert int(discriminator.optimizer.iterations) == 2


def test_call_generates_images():
    generator, discriminator = networks()
    gan = make_gan(generator, discriminator)
    images = keras.ops.convert_to_numpy(gan(np.zeros((3, LATENT), np.float32)))
    assert images.shape == (3, 4, 4, 1)
    assert np.abs(images).max() <= 1


def test_simultaneous_update_takes_both_gradients_before_either_update():
    """Simultaneous (the default for bce with one step): the generator's gradient is taken against
    the discriminator as it was before this step's update, so with a discriminator that ignores
    its input's content (zero kernel), the first step's g_loss equals the alternating one only
    where the discriminator did not move; both modes update each network once per batch."""
    results = {}
    for update in ("simultaneous", "alternating"):
        keras.utils.set_random_seed(0)
        generator, discriminator = networks()
        gan = make_gan(generator, discriminator, update=update, run_eagerly=True)
        assert gan.simultaneous == (update == "simultaneous")
        history = gan.fit(real_images(32), epochs=1, batch_size=32, verbose=0).history
        assert int(generator.optimizer.iterations) == int(discriminator.optimizer.iterations) == 1
        results[update] = (history, weights_of(generator), weights_of(discriminator))
    # Same start, same data: the discriminator's update is the same in both modes only if it saw
    # the same fake images; the generator's update differs, since alternating used the updated D.
    assert not all(
        np.allclose(a, b) for a, b in zip(results["simultaneous"][1], results["alternating"][1])
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"loss": "wgan-gp", "update": "simultaneous"},
        {"loss": "bce", "discriminator_steps": 2, "update": "simultaneous"},
    ],
)
def test_simultaneous_update_needs_bce_and_one_step(kwargs):
    generator, discriminator = networks()
    with pytest.raises(ValueError, match="simultaneous"):
        GAN(generator, discriminator, latent_dim=LATENT, **kwargs)


def test_default_update_follows_the_loss():
    generator, discriminator = networks()
    assert GAN(generator, discriminator, latent_dim=LATENT).simultaneous
    assert not GAN(
        generator, discriminator, latent_dim=LATENT, loss="wgan-gp", discriminator_steps=1
    ).simultaneous
