"""A GAN as one `keras.Model`: a single compiled `train_step` updates both networks.

The Keras DCGAN tutorial trains with a Python loop of `generator.predict`, `train_on_batch` on
the discriminator and `train_on_batch` on the stacked model: three dispatches and a round trip
through numpy per batch. Here one traced step does the discriminator update(s) and the generator
update, so `fit` drives it with its callbacks, progress and checkpoints like any model.

Each network carries its own optimizer (`network.compile(optimizer=...)`), so saving a network
as `.keras` saves its optimizer state with it and a resumed run continues exactly.

Under a `tf.distribute` strategy each replica computes its losses on its share of the batch and
the optimizers sum the replicas' gradients, so gradients are taken of `loss / replicas` (what
Keras' own losses do inside `fit`), while the losses logged stay the replicas' mean: the same
figures as on one device. Under `mixed_float16` the optimizers are Keras' `LossScaleOptimizer`
(Keras wraps them in `compile`), and the loss is scaled by `optimizer.scale_loss` before the
gradients, as Keras' guide for custom steps says.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from kerascli.config.schema import resolve_update


def ends_in_sigmoid(network) -> bool:
    """Whether a network's last layer outputs probabilities (a sigmoid) rather than logits."""
    last = network.layers[-1]
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", None) == "sigmoid"


class GAN(keras.Model):
    """Trains a generator against a discriminator with BCE (DCGAN) or WGAN-GP losses.

    Args:
        generator: Maps `(batch, latent_dim)` noise to images; compiled with its optimizer.
        discriminator: Maps images to one score each; compiled with its optimizer.
        latent_dim: The length of the noise vector.
        loss: `"bce"` (non-saturating DCGAN loss) or `"wgan-gp"`. Defaults to `"bce"`.
        gradient_penalty: The WGAN-GP penalty weight. Defaults to 10.
        discriminator_steps: Discriminator updates per generator update. Defaults to 1.
        label_smoothing: One-sided: real images are labelled `1 - label_smoothing` (BCE only).
            Defaults to 0.
        instance_noise: Standard deviation of Gaussian noise added to real images. Defaults to 0.
        update: `"simultaneous"` (both networks updated from one forward pass, as the TensorFlow
            DCGAN tutorial) or `"alternating"` (discriminator first, then the generator against the
            updated discriminator). Defaults to `None`: simultaneous for bce with one
            discriminator step, else alternating.
        seed: Seeds the noise. Defaults to `None`.
    """

    def __init__(
        self,
        generator,
        discriminator,
        *,
        latent_dim: int,
        loss: str = "bce",
        gradient_penalty: float = 10.0,
        discriminator_steps: int = 1,
        label_smoothing: float = 0.0,
        instance_noise: float = 0.0,
        update: str | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(name="gan", **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_kind = loss
        self.gradient_penalty = gradient_penalty
        self.discriminator_steps = discriminator_steps
        self.label_smoothing = label_smoothing
        self.instance_noise = instance_noise
        # The config's own rule (`resolve_update`), so the model and the config never disagree.
        self.simultaneous = resolve_update(loss, discriminator_steps, update) == "simultaneous"
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.from_logits = not ends_in_sigmoid(discriminator)
        names = (
            ["d_loss", "g_loss", "d_real", "d_fake"]
            if loss == "bce"
            else ["d_loss", "g_loss", "wasserstein", "gradient_penalty"]
        )
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        # Both networks arrive built. Under a tf.distribute strategy, `fit` otherwise builds an
        # unbuilt model symbolically from a data batch, and a GAN's input is noise, not images.
        self.built = True

    @property
    def metrics(self):
        # Listed here so that `fit` resets them every epoch.
        return list(self.trackers.values())

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def _noise(self, batch):
        return self._random("normal", (batch, self.latent_dim))

    def _random(self, kind: str, shape, dtype="float32"):
        """Normal or uniform numbers from the GAN's seed; different on every replica.

        The seed's state is mirrored under a strategy, so every replica would draw the same
        numbers (the same fake images on every replica); each replica offsets the seed by its
        replica id instead. One device draws exactly as `keras.random` does.
        """
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            draw = keras.random.normal if kind == "normal" else keras.random.uniform
            return draw(shape, seed=self.noise_seed, dtype=dtype)
        seed = self.noise_seed.next()
        seed += tf.cast(tf.stack([0, context.replica_id_in_sync_group]), seed.dtype)
        draw = tf.random.stateless_normal if kind == "normal" else tf.random.stateless_uniform
        return draw(shape, seed=seed, dtype=dtype)

    def _with_instance_noise(self, real):
        if not self.instance_noise:
            return real
        return real + self.instance_noise * self._random("normal", tf.shape(real), real.dtype)

    def _bce(self, label: float, score):
        """The mean binary cross-entropy of `score` against one label (not scaled by replicas,
        unlike `keras.losses.BinaryCrossentropy` under a strategy)."""
        return tf.reduce_mean(
            keras.losses.binary_crossentropy(
                tf.fill(tf.shape(score), label), score, from_logits=self.from_logits
            )
        )

    def _score(self, images):
        # Scores in float32: under a mixed policy the network computes in float16 or bfloat16.
        return tf.cast(self.discriminator(images, training=True), "float32")

    @staticmethod
    def _for_gradients(loss, network):
        """The loss whose gradients update `network`: divided by the replicas (whose gradients
        the optimizer sums) and scaled for mixed precision (`LossScaleOptimizer`)."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return network.optimizer.scale_loss(loss / replicas if replicas > 1 else loss)

    def _discriminator_loss(self, real, fake):
        """Returns the discriminator's loss, the figures to log, and its scores of `fake`."""
        real_score = self._score(real)
        fake_score = self._score(fake)
        if self.loss_kind == "bce":
            loss = self._bce(1.0 - self.label_smoothing, real_score) + self._bce(0.0, fake_score)
            as_probability = (lambda s: s) if not self.from_logits else tf.sigmoid
            return (
                loss,
                {
                    "d_real": tf.reduce_mean(as_probability(real_score)),
                    "d_fake": tf.reduce_mean(as_probability(fake_score)),
                },
                fake_score,
            )
        distance = tf.reduce_mean(real_score) - tf.reduce_mean(fake_score)
        penalty = self._gradient_penalty(real, fake)
        return (
            -distance + self.gradient_penalty * penalty,
            {"wasserstein": distance, "gradient_penalty": penalty},
            fake_score,
        )

    def _generator_loss(self, fake_score):
        if self.loss_kind == "bce":
            return self._bce(1.0, fake_score)
        return -tf.reduce_mean(fake_score)

    def _gradient_penalty(self, real, fake):
        """Penalises critic gradients away from norm 1 at points between real and fake images."""
        batch = tf.shape(real)[0]
        shape = tf.concat([[batch], tf.ones([tf.rank(real) - 1], tf.int32)], axis=0)
        mix = self._random("uniform", shape, real.dtype)
        between = real + mix * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(between)
            score = self._score(between)
        gradients = tf.cast(tape.gradient(score, between), "float32")
        norms = tf.sqrt(
            tf.reduce_sum(tf.square(gradients), axis=tf.range(1, tf.rank(real))) + 1e-12
        )
        return tf.reduce_mean(tf.square(norms - 1.0))

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        real = tf.cast(real, self.compute_dtype)
        if self.simultaneous:
            d_loss, g_loss, extras = self._simultaneous_step(real)
        else:
            d_loss, g_loss, extras = self._alternating_step(real)
        for name, value in {"d_loss": d_loss, "g_loss": g_loss, **extras}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _simultaneous_step(self, real):
        """Both updates from one forward pass, as the TensorFlow DCGAN tutorial trains.

        The generator's images and the discriminator's scores of them serve both losses, so each
        network runs forward once per batch instead of twice; both gradients are taken against
        the weights before either update.
        """
        fake_source = self._noise(tf.shape(real)[0])
        with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
            fake = self.generator(fake_source, training=True)
            d_loss, extras, fake_score = self._discriminator_loss(
                self._with_instance_noise(real), fake
            )
            g_loss = self._generator_loss(fake_score)
            d_scaled = self._for_gradients(d_loss, self.discriminator)
            g_scaled = self._for_gradients(g_loss, self.generator)
        d_weights = self.discriminator.trainable_weights
        g_weights = self.generator.trainable_weights
        d_gradients = discriminator_tape.gradient(d_scaled, d_weights)
        g_gradients = generator_tape.gradient(g_scaled, g_weights)
        self.discriminator.optimizer.apply(d_gradients, d_weights)
        self.generator.optimizer.apply(g_gradients, g_weights)
        return d_loss, g_loss, extras

    def _alternating_step(self, real):
        """`discriminator_steps` discriminator updates, then a generator update against the
        updated discriminator (the WGAN-GP algorithm; each update draws new noise)."""
        batch = tf.shape(real)[0]
        # A Python loop: unrolled once when the step is traced, so it costs nothing per batch.
        for _ in range(self.discriminator_steps):
            fake = self.generator(self._noise(batch), training=True)
            with tf.GradientTape() as tape:
                d_loss, extras, _ = self._discriminator_loss(self._with_instance_noise(real), fake)
                scaled = self._for_gradients(d_loss, self.discriminator)
            weights = self.discriminator.trainable_weights
            self.discriminator.optimizer.apply(tape.gradient(scaled, weights), weights)
        with tf.GradientTape() as tape:
            fake_score = self.discriminator(
                self.generator(self._noise(batch), training=True), training=True
            )
            g_loss = self._generator_loss(fake_score)
            scaled = self._for_gradients(g_loss, self.generator)
        weights = self.generator.trainable_weights
        self.generator.optimizer.apply(tape.gradient(scaled, weights), weights)
        return d_loss, g_loss, extras
