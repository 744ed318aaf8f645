"""Rules that span config sections: what each command needs, what a GAN uses, what a resume keeps.

Field-level rules are in `schema`, Keras names and layer wiring in `specs`. Everything here is
raised before TensorFlow loads, as a `SpecError` at a key path (or a `ConfigError` for a whole
file), which `loading` places at the file:line:column it was written.
"""

from __future__ import annotations

from kerascli.config.schema import ExperimentConfig
from kerascli.config.sources import DATA_SHAPED_SOURCES, ENCODED_SOURCES
from kerascli.config.specs import SpecError, split_spec
from kerascli.errors import ConfigError

# Callbacks that need the fitted model's one optimizer, or save the fitted model whole: a GAN has
# an optimizer per network and is saved as its two networks, so these fail after the first epoch.
GAN_REFUSED_CALLBACKS = {
    "ReduceLROnPlateau": "a GAN has an optimizer per network; give gan.generator_optimizer and "
    "gan.discriminator_optimizer a learning_rate schedule instead",
    "ModelCheckpoint": "kerascli gan saves the generator and discriminator every epoch itself "
    "(see --resume)",
}
# GAN settings that only change what is reported, so a resumed run may change them.
GAN_REPORTING = {"samples", "judge", "judge_samples", "judge_confidence"}
# The sections a resumed run must keep as they were, by the command that trains it.
RESUMED_SECTIONS = {"model": ("data", "model", "compile"), "gan": ("data", "gan")}


def check_gan(config: ExperimentConfig) -> None:
    """Refuses data settings and callbacks a GAN does not use, rather than failing or ignoring them.

    Raises:
        SpecError: For a csv or text source, `data.validation`, `data.augment`, or a callback a
            GAN cannot run.
    """
    if config.gan is None:
        return
    if config.data.source in ENCODED_SOURCES:
        raise SpecError(
            ("data", "source"),
            f"kerascli gan draws images, not {config.data.source} data",
            "train it on images: a built-in dataset, idx, npz or images",
        )
    for key in ("validation", "augment"):
        if getattr(config.data, key):
            raise SpecError(
                ("data", key),
                "is not used by kerascli gan",
                "a GAN learns from the training images alone; remove it",
            )
    for index, callback in enumerate(config.fit.callbacks):
        name, _ = split_spec(callback, ("fit", "callbacks", index), "callback")
        if name in GAN_REFUSED_CALLBACKS:
            raise SpecError(
                ("fit", "callbacks", index, name),
                "is not supported by kerascli gan",
                GAN_REFUSED_CALLBACKS[name],
            )


def check_input_shape(config: ExperimentConfig) -> None:
    """Checks who decides the model's input: the config, or the data (the one home of that rule).

    Source images may leave `model.input_shape` out (`files_input_shape` fills it in); csv and
    text decide it themselves (the encoded features' width, one string per example), so they
    must leave it out; every other source needs it (or Functional `inputs`).

    Raises:
        SpecError: For a model without an input shape on data that cannot tell it, or with one
            on data that decides it.
    """
    model, source = config.model, config.data.source
    if model is None:
        return
    if source in ENCODED_SOURCES and (model.inputs is not None or model.input_shape is not None):
        key = "inputs" if model.inputs is not None else "input_shape"
        raise SpecError(
            ("model", key),
            f"source {source} decides the model's input",
            "leave model.input_shape and model.inputs out: the model's first layer "
            "gets the encoded features (csv) or one string per example (text)",
            inside=True,
        )
    if model.input_shape is None and model.inputs is None and source not in DATA_SHAPED_SOURCES:
        raise SpecError(
            ("model",),
            "give input_shape (Sequential) or inputs (Functional)",
            f"source {source} cannot tell it; only {', '.join(DATA_SHAPED_SOURCES)} decide it",
            inside=True,
        )


def check_command(config: ExperimentConfig, require: str, path: str) -> None:
    """Checks that a config has the sections its command needs.

    Args:
        config: The validated config.
        require: `"model"` (train, evaluate, predict), `"gan"` (gan, sample), `"any"` (validate:
            either) or `"data"` (only the data section).
        path: The config file, for errors.

    Raises:
        ConfigError: When a needed section is missing.
    """
    if require == "any":
        require = "gan" if config.gan is not None else "model"
    if require == "model":
        for section in ("model", "compile"):
            if getattr(config, section) is None:
                hint = (
                    "this is a GAN config: run it with kerascli gan"
                    if config.gan is not None
                    else f"kerascli train needs {section}"
                )
                raise ConfigError(path, f"the config has no {section} section", hint)
    elif require == "gan" and config.gan is None:
        raise ConfigError(
            path,
            "the config has no gan section",
            "kerascli gan needs gan: {latent_dim, generator, discriminator}",
        )


def resume_difference(saved: ExperimentConfig, config: ExperimentConfig) -> str | None:
    """The first section a resumed run changes that it must keep, or `None`.

    A run resumes with the same data and network sections; `fit` settings (more epochs) and a
    GAN's reporting settings (`GAN_REPORTING`) may change.
    """
    sections = RESUMED_SECTIONS["gan" if config.gan is not None else "model"]
    for section in sections:
        before, after = getattr(saved, section), getattr(config, section)
        if section == "gan" and before is not None and after is not None:
            before = before.model_dump(exclude=GAN_REPORTING)
            after = after.model_dump(exclude=GAN_REPORTING)
        if before != after:
            return section
    # A resumed run re-enters its stages by their epochs: they stay as they were.
    if saved.fit.stages != config.fit.stages:
        return "fit.stages"
    return None


def resume_hint(config: ExperimentConfig) -> str:
    """How to resume: which sections stay as they were."""
    sections = RESUMED_SECTIONS["gan" if config.gan is not None else "model"]
    return (
        f"resume with the same {', '.join(sections[:-1])} and {sections[-1]} sections; only "
        "fit settings such as epochs may change"
    )


def check_resumed_precision(
    saved: ExperimentConfig, config: ExperimentConfig, run_dir: object
) -> None:
    """Refuses to resume a run in another precision: its networks were saved in their own.

    Raises:
        ConfigError: When `fit.mixed_precision` differs from the run being resumed.
    """
    before, after = saved.fit.mixed_precision, config.fit.mixed_precision
    if before != after:
        raise ConfigError(
            "fit.mixed_precision",
            f"{after or 'float32 (none)'} differs from the "
            f"run being resumed ({run_dir}), whose networks compute in "
            f"{before or 'float32'}",
            f"resume with mixed_precision: {before or 'null'}, or start a new run",
        )
