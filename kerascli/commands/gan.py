"""`kerascli gan`: a GAN config in, a run directory with both networks and their samples out.

The story: read the training images, build the generator and discriminator (or restore them from
the run being resumed), open the judge's classifier run if one is named, then hand over to the
shared run lifecycle (`kerascli.training.lifecycle`), which fits one `GAN` model whose single
compiled `train_step` updates both networks. Each epoch draws a fixed-noise sample grid (and the
judge's scores); the end of the run animates the grids into `samples/progress.gif`.
"""

from __future__ import annotations

from pathlib import Path

from kerascli.config.schema import ExperimentConfig
from kerascli.data.pipeline import make_dataset
from kerascli.data.preprocess import preprocess_images
from kerascli.data.sources import load_splits
from kerascli.errors import ConfigError, RunError
from kerascli.evaluation.judge import Judge
from kerascli.models.gan import GAN
from kerascli.models.gan_networks import build_networks, resolve_jit
from kerascli.models.loading import load_keras_file
from kerascli.runs.layout import GAN_NETWORKS, PLOTS_DIR, SAMPLES_DIR
from kerascli.runs.saved import open_run
from kerascli.runs.status import RunKind
from kerascli.training.gan_callbacks import JudgeCallback, SampleGrid
from kerascli.training.lifecycle import run_training
from kerascli.training.plan import RunResult, TrainingPlan
from kerascli.visuals.plots import plot_history, plot_series
from kerascli.visuals.samples import fixed_noise, save_progress_gif


def sample_seed(config: ExperimentConfig) -> int:
    """The seed of the fixed noise behind every epoch's sample grid."""
    return config.seed if config.seed is not None else 0


class GanPlan(TrainingPlan):
    """A generator and a discriminator from the `gan` section, fitted as one `GAN` model."""

    kind = RunKind.gan
    networks = GAN_NETWORKS
    loss_keys = ("d_loss", "g_loss")
    diverged = "a loss"
    diverged_hint = "lower the learning rates or check the data range"
    wrong_kind = ("is not a GAN run", "resume it with kerascli train")

    def check(self) -> None:
        # Opened once, before the slow part: a mistyped judge path is a config error.
        self.judge_run = None
        if self.config.gan.judge:
            try:
                self.judge_run = open_run(self.config.gan.judge)
            except RunError as error:
                raise ConfigError("gan.judge", f"{error.where}: {error.what}", error.hint) from None

    def prepare(self, checkpoints: dict[str, Path] | None) -> None:
        config = self.config
        splits = load_splits(config.data)
        self.x_train = preprocess_images(splits.x_train, config.data.preprocess, "data.train")
        if checkpoints:
            self.generator, self.discriminator = (
                load_keras_file(checkpoints[name], "start a new run instead")
                for name in GAN_NETWORKS
            )
        else:
            self.generator, self.discriminator = build_networks(
                config, tuple(self.x_train.shape[1:])
            )
        self.judge = None
        if self.judge_run is not None:
            real = splits.x_test if splits.x_test is not None else splits.x_train
            try:
                self.judge = Judge(
                    self.judge_run,
                    real,
                    samples=config.gan.judge_samples,
                    confidence=config.gan.judge_confidence,
                    seed=sample_seed(config) + 1,
                )
            except RunError as error:
                raise ConfigError("gan.judge", f"{error.where}: {error.what}", error.hint) from None

    def record_fields(self) -> dict:
        return {"task": "gan", "train_examples": int(len(self.x_train))}

    def callbacks(self, run_dir: Path) -> list:
        gan, preprocess = self.config.gan, self.config.data.preprocess
        noise = fixed_noise(gan.samples, gan.latent_dim, sample_seed(self.config))
        watchers = [JudgeCallback(self.judge, self.generator, preprocess)] if self.judge else []
        self.sample_grid = SampleGrid(self.generator, noise, preprocess, run_dir / SAMPLES_DIR)
        return [*watchers, self.sample_grid]

    def epoch_images(self) -> dict:
        grid = self.sample_grid.last_grid
        return {} if grid is None else {"samples": grid}

    def checkpointed(self) -> dict:
        return self.final_networks()

    def final_networks(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def fit(self, callbacks: list, initial_epoch: int) -> None:
        config, gan, fit = self.config, self.config.gan, self.config.fit
        networks = (self.generator, self.discriminator)
        model = GAN(
            *networks,
            latent_dim=gan.latent_dim,
            loss=gan.loss,
            gradient_penalty=gan.gradient_penalty,
            discriminator_steps=gan.critic_steps,
            label_smoothing=gan.label_smoothing,
            instance_noise=gan.instance_noise,
            update=gan.update_mode,
            seed=config.seed,
        )
        model.compile(
            optimizer=None, jit_compile=resolve_jit(gan.jit_compile, networks, config.deterministic)
        )
        dataset = make_dataset(
            self.x_train, None, batch_size=fit.batch_size, shuffle=fit.shuffle, seed=config.seed
        )
        model.fit(
            dataset,
            epochs=fit.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,
            steps_per_epoch=fit.steps_per_epoch,
        )

    def draw(self, history: dict[str, list], run_dir: Path) -> None:
        plot_history(history, run_dir / PLOTS_DIR)
        plot_series(
            history,
            ["d_loss", "g_loss"],
            run_dir / PLOTS_DIR / "losses.png",
            title="GAN losses",
            ylabel="loss",
        )
        save_progress_gif(run_dir / SAMPLES_DIR)

    def on_interrupt(self, run_dir: Path) -> None:
        save_progress_gif(run_dir / SAMPLES_DIR)


def train_gan(config: ExperimentConfig, **options) -> RunResult:
    """Trains the GAN a config describes and writes its run directory.

    Args:
        config: The validated experiment config (with `gan`).
        **options: `runs_dir`, `name`, `resume`, `quiet`, `console` and `command`, as
            `kerascli.training.lifecycle.run_training` takes them.

    Returns:
        A `RunResult`.

    Raises:
        As `run_training`: ConfigError, DataError, RunError for bad input, Interrupted, and
        TrainingFailed when a loss becomes NaN or infinite.
    """
    return run_training(GanPlan(config), **options)
