"""Benchmark: kerascli's one-step GAN (`GAN.fit`) vs. the DCGAN tutorial's train_on_batch loop.

Both sides train the same networks, built from configs/dcgan_cifar10.yaml by
`kerascli.models.gan_networks.build_networks` with the same seed (so the same architecture and the
same initial
weights), on the same random images (uniform in [-1, 1], shape (steps * batch, 32, 32, 3)), at the
same batch size, in one process, alternating A/B each repeat so that machine noise hits both:

  (a) kerascli: `kerascli.gan_model.GAN` with the config's gan settings, `compile(optimizer=None)`
      (each network keeps its own Adam), `fit` on `kerascli.data.pipeline.make_dataset`. One traced
      step per batch: the generator's images and the discriminator's scores of them serve both
      losses (the TensorFlow DCGAN tutorial's simultaneous update), then one discriminator update
      on the summed real + fake loss and one generator update.
  (b) the tutorial: the discriminator compiled with `BinaryCrossentropy(from_logits=True)` (the
      config's discriminator ends in a logit) and Adam(2e-4, beta_1=0.5), the combined model
      `keras.Sequential([generator, discriminator])` compiled with its own Adam(2e-4, 0.5) after
      `discriminator.trainable = False`, and per batch: Gaussian noise -> `generator.predict` ->
      `discriminator.train_on_batch(real + noise, ones)` -> `train_on_batch(fake, zeros)` ->
      `combined.train_on_batch(noise, ones)`: two discriminator updates and one generator update.

Each side first runs warm-up steps (tracing and XLA compilation excluded from the timing), then
the timed steps; the figure is steps (batches) per second, the median over the repeats.

    .venv/bin/python benchmarks/gan_step.py [--batch-size 128] [--steps 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kerascli.backend import import_keras, versions  # noqa: E402
from kerascli.config.loading import load_config  # noqa: E402

CONFIG = ROOT / "configs" / "dcgan_cifar10.yaml"
IMAGE_SHAPE = (32, 32, 3)
CLAIM = 1.4


def build_pair(config):
    """The generator and discriminator of the config, with the config's seed: equal every call."""
    import keras

    from kerascli.models.gan_networks import build_networks

    keras.utils.set_random_seed(config.seed if config.seed is not None else 0)
    return build_networks(config, IMAGE_SHAPE)


def same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


class KerascliSide:
    """`GAN.fit` over a tf.data dataset, as `kerascli gan` runs it."""

    label = "kerascli GAN.fit"

    def __init__(self, config, images, batch_size):
        from kerascli.data.pipeline import make_dataset
        from kerascli.models.gan import GAN

        self.generator, self.discriminator = build_pair(config)
        gan = config.gan
        self.gan = GAN(
            self.generator,
            self.discriminator,
            latent_dim=gan.latent_dim,
            loss=gan.loss,
            gradient_penalty=gan.gradient_penalty,
            discriminator_steps=gan.critic_steps,
            label_smoothing=gan.label_smoothing,
            instance_noise=gan.instance_noise,
            update=gan.update,
            seed=config.seed,
        )
        from kerascli.models.gan_networks import resolve_jit

        # As `kerascli gan` compiles it: XLA unless a layer or deterministic mode rules it out.
        self.gan.compile(
            optimizer=None,
            jit_compile=resolve_jit(
                gan.jit_compile, (self.generator, self.discriminator), config.deterministic
            ),
        )
        self.dataset = make_dataset(images, None, batch_size=batch_size)

    def run(self, steps: int) -> float:
        """Trains `steps` batches; returns the seconds taken."""
        start = time.perf_counter()
        self.gan.fit(self.dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        return time.perf_counter() - start


class TutorialSide:
    """The tutorial's Python loop of predict and train_on_batch calls, on numpy batches."""

    label = "tutorial train_on_batch"

    def __init__(self, config, images, batch_size, jit_compile="auto"):
        import keras

        if jit_compile is True:
            self.label = "tutorial + XLA"

        self.generator, self.discriminator = build_pair(config)
        self.latent_dim = config.gan.latent_dim
        self.images, self.batch_size = images, batch_size
        self.rng = np.random.default_rng(0)
        adam = {"learning_rate": 2e-4, "beta_1": 0.5}
        # Two Adam instances: the tutorial shared one, which Keras 3 refuses (an optimizer is
        # built for one set of variables).
        self.discriminator.compile(
            optimizer=keras.optimizers.Adam(**adam),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=["accuracy"],
            jit_compile=jit_compile,
        )
        self.discriminator.trainable = False
        self.combined = keras.Sequential([self.generator, self.discriminator], name="combined")
        self.combined.compile(
            optimizer=keras.optimizers.Adam(**adam),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            jit_compile=jit_compile,
        )
        self.ones = np.ones((batch_size, 1), np.float32)
        self.zeros = np.zeros((batch_size, 1), np.float32)
        self.position = 0

    def _noise(self):
        return self.rng.normal(size=(self.batch_size, self.latent_dim)).astype(np.float32)

    def step(self):
        start = self.position * self.batch_size
        if start + self.batch_size > len(self.images):
            self.position, start = 0, 0
        self.position += 1
        real = self.images[start : start + self.batch_size]
        # The tutorial's noise on real images: 0.5 * the batch's std, clipped to [-1, 1].
        real = np.clip(
            real + 0.5 * real.std() * self.rng.standard_normal(real.shape, dtype=np.float32),
            -1.0,
            1.0,
        )
        fake = self.generator.predict(self._noise(), verbose=0)
        # Keras 3 fixes a model's trained variables when its train function is first traced, so
        # the discriminator must be trainable for its own steps and frozen for the combined one
        # (the tutorial's Keras 2 "freeze, then compile" alone would leave it never trained).
        self.discriminator.trainable = True
        d_real = self.discriminator.train_on_batch(real, self.ones)
        d_fake = self.discriminator.train_on_batch(fake, self.zeros)
        self.discriminator.trainable = False
        g_loss = self.combined.train_on_batch(self._noise(), self.ones)
        return d_real, d_fake, g_loss

    def check(self) -> str:
        """One step that proves each update changes what it should and nothing else."""

        def snapshot(model):
            return [w.numpy().copy() for w in model.trainable_weights]

        self.discriminator.trainable = True  # Listed as trainable only while it is.
        d_before = snapshot(self.discriminator)
        self.discriminator.train_on_batch(self.images[: self.batch_size], self.ones)
        d_after = snapshot(self.discriminator)
        self.discriminator.trainable = False
        g_before = snapshot(self.generator)
        self.combined.train_on_batch(self._noise(), self.ones)
        g_after = snapshot(self.generator)
        self.discriminator.trainable = True
        d_final = snapshot(self.discriminator)
        self.discriminator.trainable = False
        d_learns = any(not np.array_equal(a, b) for a, b in zip(d_before, d_after))
        d_frozen = all(np.array_equal(a, b) for a, b in zip(d_after, d_final))
        g_learns = any(not np.array_equal(a, b) for a, b in zip(g_before, g_after))
        if not (d_learns and d_frozen and g_learns):
            sys.exit(
                f"tutorial baseline is wrong: D learns {d_learns}, D frozen in the combined "
                f"step {d_frozen}, G learns {g_learns}"
            )
        return "D learns in its steps, is frozen in the combined step; G learns"

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="images per step (default: the config's fit.batch_size)",
    )
    parser.add_argument("--steps", type=int, default=20, help="timed steps per repeat (default 20)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed steps per side before timing (default 3)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument(
        "--config",
        type=Path,
        default=CONFIG,
        help="the GAN config (default: configs/dcgan_cifar10.yaml)",
    )
    parser.add_argument(
        "--xla-baseline",
        action="store_true",
        help="also time the tutorial's loop with jit_compile=True, to show how "
        "much of the difference is XLA",
    )
    args = parser.parse_args()

    config = load_config(args.config, require="gan")
    batch_size = args.batch_size or config.fit.batch_size
    import_keras()
    import tensorflow as tf

    images = (
        np.random.default_rng(1)
        .uniform(-1, 1, (args.steps * batch_size, *IMAGE_SHAPE))
        .astype(np.float32)
    )
    ours = KerascliSide(config, images, batch_size)
    theirs = TutorialSide(config, images, batch_size)
    equal = same_weights(ours.generator, theirs.generator) and same_weights(
        ours.discriminator, theirs.discriminator
    )

    shown = args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config
    print(
        f"networks: {shown} (generator {ours.generator.count_params():,} parameters, "
        f"discriminator {ours.discriminator.count_params():,}); same initial weights on both "
        f"sides: {'yes' if equal else 'NO'}"
    )
    print(
        f"batch size {batch_size}; {args.steps} timed steps after {args.warmup} warm-up steps; "
        f"median of {args.repeats}; random images uniform in [-1, 1]"
    )
    print(
        "devices: "
        + ", ".join(d.name for d in tf.config.list_physical_devices())
        + f"; {os.cpu_count()} CPUs visible, load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))

    # Warm-up: traces (and XLA-compiles) every function each side will call.
    started = time.perf_counter()
    ours.run(args.warmup)
    warm_ours = time.perf_counter() - started
    started = time.perf_counter()
    print(f"tutorial check: {theirs.check()}")
    theirs.run(args.warmup)
    warm_theirs = time.perf_counter() - started
    extra = []
    if args.xla_baseline:
        extra = [TutorialSide(config, images, batch_size, jit_compile=True)]
        extra[0].run(args.warmup)
    print(
        f'XLA (jit_compile, Keras\' "auto" is off on CPU-only machines): kerascli GAN '
        f"{ours.gan.jit_compile}; tutorial discriminator {theirs.discriminator.jit_compile}, "
        f"combined {theirs.combined.jit_compile}"
    )
    print(
        f"warm-up (tracing + compiling, not timed): kerascli {warm_ours:.1f}s, tutorial "
        f"{warm_theirs:.1f}s",
        flush=True,
    )

    rates = {side.label: [] for side in (ours, theirs, *extra)}
    for repeat in range(args.repeats):
        sides = (ours, theirs, *extra) if repeat % 2 == 0 else (*extra, theirs, ours)
        for side in sides:
            rates[side.label].append(args.steps / side.run(args.steps))
        print(
            f"repeat {repeat + 1}: "
            + " | ".join(f"{label} {values[-1]:.3f} steps/s" for label, values in rates.items()),
            flush=True,
        )

    print(f"\n{'':26}{'steps/s':>10}{'s/step':>10}{'images/s':>10}")
    medians = {label: statistics.median(values) for label, values in rates.items()}
    for label, rate in medians.items():
        print(f"{label:26}{rate:>10.3f}{1 / rate:>10.3f}{rate * batch_size:>10.0f}")
    ratio = medians[ours.label] / medians[theirs.label]
    for side in extra:
        print(f"ratio kerascli / {side.label}: {medians[ours.label] / medians[side.label]:.2f}x")
    print(
        f"\nratio kerascli / tutorial (steps per second): {ratio:.2f}x "
        f"(claim: >= {CLAIM}x: {'met' if ratio >= CLAIM else 'NOT met'})"
    )
    print(
        "per step, both: 1 generator update and the discriminator trained on one real and one "
        "fake batch.\n  kerascli: one traced step; the generator runs forward once and the "
        "discriminator once per batch,\n  both losses from the same pass, then 1 discriminator "
        "update (real + fake loss) and 1 generator update.\n  tutorial: generator.predict, 2 "
        "discriminator updates (real batch, fake batch), then 1 combined-model\n  update that "
        "runs the generator and discriminator forward again: 4 Keras calls with numpy round "
        "trips."
    )


if __name__ == "__main__":
    main()
