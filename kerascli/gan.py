"""The `gan` and `sample` use cases: train a GAN from a config; draw images from a trained one.

Training reuses the `train` machinery: the same data sources and preprocessing, the same layer
syntax and builder, the same run directory, progress, per-epoch checkpoints and resume. What is
GAN-specific lives in `gan_model` (the train step), `samples` (image grids) and `judge`.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli import models, plots, runs
from kerascli.backend import setup_backend, versions
from kerascli.checkpoints import EpochRecorder, read_state
from kerascli.config import ExperimentConfig, load_saved_config
from kerascli.data.pipeline import make_dataset
from kerascli.data.preprocess import preprocess_images
from kerascli.data.sources import load_splits
from kerascli.errors import ConfigError, RunError, TrainingFailed
from kerascli.progress import RichProgress
from kerascli.saved_runs import load_keras_file, open_gan_run
from kerascli.signals import recording_outcome

NETWORKS = ("generator", "discriminator")
# Settings that only change what is reported, so a resumed run may change them.
_REPORTING = {"samples", "judge", "judge_samples", "judge_confidence"}


@dataclass
class GanResult:
    """What a finished `gan` call produced."""

    run_dir: Path
    epochs: int
    history: dict[str, list] = field(default_factory=dict)


# Callbacks that need the fitted model's one optimizer, or save the fitted model whole: a GAN has
# an optimizer per network and is saved as its two networks, so these fail after the first epoch.
_GAN_REFUSED_CALLBACKS = {
    "ReduceLROnPlateau": "a GAN has an optimizer per network; give gan.generator_optimizer and "
                         "gan.discriminator_optimizer a learning_rate schedule instead",
    "ModelCheckpoint": "kerascli gan saves the generator and discriminator every epoch itself "
                       "(see --resume)",
}


def check_gan_data(config: ExperimentConfig) -> None:
    """Refuses data settings and callbacks a GAN does not use, rather than failing or ignoring them.

    Raises:
        ConfigError: For `data.validation`, `data.augment`, or a callback a GAN cannot run.
    """
    for key in ("validation", "augment"):
        if getattr(config.data, key):
            raise ConfigError(f"data.{key}", "is not used by kerascli gan",
                              "a GAN learns from the training images alone; remove it")
    from kerascli.specs import split_spec

    for index, callback in enumerate(config.fit.callbacks):
        name, _ = split_spec(callback, ("fit", "callbacks", index), "callback")
        if name in _GAN_REFUSED_CALLBACKS:
            raise ConfigError(f"fit.callbacks[{index}].{name}", "is not supported by kerascli gan",
                              _GAN_REFUSED_CALLBACKS[name])


def _resume_state(config: ExperimentConfig, run_dir: Path) -> dict:
    record = runs.load_run(run_dir)
    if record.get("kind") != "gan":
        raise RunError(str(run_dir), "is not a GAN run", "resume it with kerascli train")
    saved = load_saved_config(run_dir, require="gan")
    same_gan = (saved.gan.model_dump(exclude=_REPORTING) == config.gan.model_dump(exclude=_REPORTING))
    if saved.data != config.data or not same_gan:
        raise ConfigError("data" if saved.data != config.data else "gan",
                          f"differs from the run being resumed ({run_dir})",
                          "resume with the same data and gan sections; fit settings such as "
                          "epochs may change")
    state = read_state(run_dir)
    if state is None or set(state["checkpoints"]) != set(NETWORKS):
        raise RunError(str(run_dir), "has no complete checkpoint to resume from",
                       "start a new run instead")
    return state


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
    generator = models.build_sequential(gan.generator, [gan.latent_dim], name="generator",
                                        key_path=("gan", "generator"))
    made = tuple(generator.outputs[0].shape[1:])
    if made != image_shape:
        raise ConfigError(f"gan.generator[{len(gan.generator) - 1}]",
                          f"the generator makes images of shape {made}, but the data's images "
                          f"have shape {image_shape}",
                          "end the generator with layers that output that shape (e.g. Reshape, "
                          "or Conv2DTranspose with the right filters), or set "
                          "data.preprocess.reshape")
    discriminator = models.build_sequential(gan.discriminator, list(image_shape),
                                            name="discriminator",
                                            key_path=("gan", "discriminator"))
    scores = tuple(discriminator.outputs[0].shape[1:])
    last = f"gan.discriminator[{len(gan.discriminator) - 1}]"
    if scores not in ((1,), ()):
        raise ConfigError(last, f"the discriminator outputs shape {scores} per image, not one score",
                          "end it with Flatten and Dense with units: 1")
    from kerascli.gan_model import ends_in_sigmoid

    if gan.loss == "wgan-gp" and ends_in_sigmoid(discriminator):
        raise ConfigError(last, "a WGAN-GP critic outputs an unbounded score, not a probability",
                          "remove the sigmoid activation")
    for network in (generator, discriminator):
        optimizer = models.build_optimizer(getattr(gan, f"{network.name}_optimizer"),
                                           ("gan", f"{network.name}_optimizer"))
        network.compile(optimizer=optimizer)
        # Built now, outside the traced step, so its variables exist before tracing.
        optimizer.build(network.trainable_variables)
    return generator, discriminator


def _load_networks(run_dir: Path, state: dict):
    return tuple(load_keras_file(run_dir / "checkpoints" / state["checkpoints"][name],
                                 "start a new run instead") for name in NETWORKS)


def _open_judge(config: ExperimentConfig, real_pixels: np.ndarray):
    from kerascli.judge import Judge

    try:
        return Judge(Path(config.gan.judge), real_pixels, samples=config.gan.judge_samples,
                     confidence=config.gan.judge_confidence, seed=_sample_seed(config) + 1)
    except RunError as error:
        raise ConfigError("gan.judge", f"{error.where}: {error.what}", error.hint) from None


def _sample_seed(config: ExperimentConfig) -> int:
    return config.seed if config.seed is not None else 0


def train_gan(config: ExperimentConfig, *, runs_dir: Path, name: str | None = None,
              resume: Path | None = None, quiet: bool = False, console=None,
              command: list[str] | None = None) -> GanResult:
    """Trains the GAN a config describes and writes its run directory.

    Args:
        config: The validated experiment config (with `gan`).
        runs_dir: Where new run directories are created.
        name: The run name. Defaults to `config.name`.
        resume: A GAN run directory to continue from its last complete epoch. Defaults to `None`.
        quiet: One line per epoch instead of a live progress bar. Defaults to `False`.
        console: A `rich.console.Console` for progress. Defaults to stderr.
        command: The command line, recorded in `run.json`. Defaults to `sys.argv`.

    Returns:
        A `GanResult`.

    Raises:
        ConfigError, DataError, RunError: For bad input, before anything is written.
        Interrupted: On Ctrl-C or SIGTERM; the run is marked interrupted and resumable.
        TrainingFailed: When a loss becomes NaN or infinite.
    """
    if resume:
        runs.load_run(Path(resume))
        with runs.locked(Path(resume)):
            return _train_gan(config, runs_dir, name, Path(resume), quiet, console, command)
    return _train_gan(config, runs_dir, name, None, quiet, console, command)


def _train_gan(config, runs_dir, name, resume, quiet, console, command) -> GanResult:
    check_gan_data(config)
    state = _resume_state(config, resume) if resume else None
    name = config.name if name is None else name
    if not resume:
        runs.check_run_name(name)
    if config.gan.judge:
        from kerascli.saved_runs import open_run

        try:  # Reported before the slow part: a mistyped judge path is a config error.
            open_run(config.gan.judge)
        except RunError as error:
            raise ConfigError("gan.judge", f"{error.where}: {error.what}", error.hint) from None
    devices = setup_backend(config.seed, config.deterministic)
    splits = load_splits(config.data)
    x_train = preprocess_images(splits.x_train, config.data.preprocess, "data.train")
    if state is not None:
        generator, discriminator = _load_networks(resume, state)
    else:
        generator, discriminator = build_networks(config, tuple(x_train.shape[1:]))
    real_test = splits.x_test if splits.x_test is not None else splits.x_train
    judge = _open_judge(config, real_test) if config.gan.judge else None

    run_dir = resume if resume else runs.create_run_dir(runs_dir, name)
    try:
        callbacks = models.build_callbacks(config.fit.callbacks, run_dir)
    except ConfigError:
        if not resume:
            run_dir.rmdir()
        raise
    with runs.locked(run_dir) if resume is None else contextlib.nullcontext():
        return _fit_gan(config, (generator, discriminator), x_train, run_dir, state=state,
                        judge=judge, callbacks=callbacks, devices=devices, quiet=quiet,
                        console=console, command=command)


def _fit_gan(config, networks, x_train, run_dir, *, state, judge, callbacks, devices, quiet,
             console, command) -> GanResult:
    from kerascli.gan_model import GAN
    from kerascli.judge import JudgeCallback
    from kerascli.samples import SampleGrid, fixed_noise, save_progress_gif

    generator, discriminator = networks
    gan_config, fit = config.gan, config.fit
    initial_epoch = state["epoch"] if state else 0
    history = state["history"] if state else {}
    runs.atomic_write_text(run_dir / "config.yaml", config.to_yaml())
    runs.update_run_json(
        run_dir, name=run_dir.name, kind="gan", task="gan", status="running",
        command=command if command is not None else sys.argv, versions=versions(),
        seed=config.seed, deterministic=config.deterministic, devices=devices,
        started=runs.utc_now() if state is None else runs.load_run(run_dir).get("started"),
        resumed=runs.utc_now() if state else None, ended=None, train_examples=int(len(x_train)))
    gan = GAN(generator, discriminator, latent_dim=gan_config.latent_dim, loss=gan_config.loss,
              gradient_penalty=gan_config.gradient_penalty,
              discriminator_steps=gan_config.critic_steps,
              label_smoothing=gan_config.label_smoothing,
              instance_noise=gan_config.instance_noise, update=gan_config.update,
              seed=config.seed)
    gan.compile(optimizer=None, jit_compile=resolve_jit(gan_config.jit_compile, networks,
                                                        config.deterministic))
    dataset = make_dataset(x_train, None, batch_size=fit.batch_size, shuffle=fit.shuffle,
                           seed=config.seed)
    noise = fixed_noise(gan_config.samples, gan_config.latent_dim, _sample_seed(config))
    recorder = EpochRecorder(run_dir, history, networks=dict(zip(NETWORKS, networks)),
                             loss_keys=("d_loss", "g_loss"))
    watchers = [JudgeCallback(judge, generator, config.data.preprocess)] if judge else []
    callbacks = [*watchers, SampleGrid(generator, noise, config.data.preprocess, run_dir / "samples"),
                 RichProgress(fit.epochs, console=console, quiet=quiet), recorder, *callbacks]
    with recording_outcome(run_dir, lambda: len(history.get("d_loss", [])),
                           on_interrupt=lambda: save_progress_gif(run_dir / "samples")):
        if initial_epoch < fit.epochs:
            gan.fit(dataset, epochs=fit.epochs, initial_epoch=initial_epoch,
                    callbacks=callbacks, verbose=0, shuffle=False,
                    steps_per_epoch=fit.steps_per_epoch)
    epochs_done = len(history.get("d_loss", []))
    _plot(history, run_dir / "plots")
    save_progress_gif(run_dir / "samples")
    if recorder.diverged_at is not None:
        runs.update_run_json(run_dir, status="failed", ended=runs.utc_now(), epochs=epochs_done,
                             error=f"a loss became NaN or infinite in epoch {recorder.diverged_at}")
        kept = ("the last good checkpoint is kept" if recorder.diverged_at > 1
                else "no epoch finished cleanly, so there is no checkpoint")
        raise TrainingFailed(str(run_dir), f"a loss became NaN or infinite in epoch "
                             f"{recorder.diverged_at}; {kept}",
                             "lower the learning rates or check the data range")
    for name, network in zip(NETWORKS, networks):
        runs.atomic_save_model(network, run_dir / f"{name}.keras")
    final = {key: values[-1] for key, values in history.items() if values}
    runs.update_run_json(run_dir, status="completed", ended=runs.utc_now(), epochs=epochs_done,
                         epoch_seconds=recorder.epoch_seconds, final_metrics=final)
    return GanResult(run_dir, epochs_done, history)


def resolve_jit(setting, networks, deterministic: bool) -> bool:
    """Decides whether the GAN step is compiled with XLA.

    Keras' `"auto"` turns XLA off on machines without a GPU. A GAN step is different from a
    classifier's: several passes through two convolutional networks in one traced function,
    where XLA's fusion pays even on a CPU (1.6x faster per step for the CIFAR-10 DCGAN on 2
    cores, `benchmarks/gan_step.py`). So `"auto"` means XLA wherever every layer supports it,
    except in deterministic mode, which XLA does not honour for every op (Keras' own rule).

    Args:
        setting: `gan.jit_compile`: `True`, `False` or `"auto"`.
        networks: The generator and discriminator.
        deterministic: Whether the run asked for deterministic ops.

    Returns:
        Whether to compile with XLA.
    """
    if setting != "auto":
        return bool(setting)
    if deterministic:
        return False
    return all(getattr(layer, "supports_jit", True) for network in networks
               for layer in network.layers)


def _plot(history: dict[str, list], plots_dir: Path) -> None:
    plots.plot_history(history, plots_dir)
    plots.plot_series(history, ["d_loss", "g_loss"], plots_dir / "losses.png",
                      title="GAN losses", ylabel="loss")


def sample(run_dir: str | Path, *, count: int, out: str | Path, seed: int | None = None) -> Path:
    """Draws `count` new images from a GAN run's generator into one grid image.

    Args:
        run_dir: A completed GAN run directory.
        count: How many images.
        out: The grid image to write (`.png`, `.jpg` or `.bmp`).
        seed: Seeds the noise. Defaults to `None` (new images every time).

    Returns:
        The path written.

    Raises:
        RunError: When the run is not a GAN run or has no usable `generator.keras`.
        ConfigError: When `out` is not an image file name.
    """
    from kerascli.samples import fixed_noise, save_grid

    run_dir, out = Path(run_dir), Path(out)
    generator_path = open_gan_run(run_dir)
    image_format = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}.get(
        out.suffix.lower())
    if image_format is None:
        raise ConfigError("--out", f"{out.name}: not a .png, .jpg or .bmp file name")
    config = load_saved_config(run_dir, require="gan")
    generator = load_keras_file(generator_path, "train the GAN again")
    seed = seed if seed is not None else int(np.random.default_rng().integers(2**31))
    images = generator.predict(fixed_noise(count, config.gan.latent_dim, seed), batch_size=256,
                               verbose=0)
    return save_grid(images, config.data.preprocess, out, image_format)
