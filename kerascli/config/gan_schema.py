"""The `gan` section's schema (`kerascli gan`): the two networks, their optimizers and the loss."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from kerascli.config.section import Section as _Section
from kerascli.config.section import named as _named

GanLoss = Literal["bce", "wgan-gp"]
GanUpdate = Literal["simultaneous", "alternating"]
GAN_LOSSES: tuple[str, ...] = get_args(GanLoss)
GAN_UPDATES: tuple[str, ...] = get_args(GanUpdate)

_GAN_OPTIMIZER = {"Adam": {"learning_rate": 0.0002, "beta_1": 0.5}}


def resolve_update(loss: str, discriminator_steps: int, update: str | None) -> str:
    """How a GAN step updates its networks: the one home of that rule.

    Args:
        loss: `"bce"` or `"wgan-gp"`.
        discriminator_steps: Discriminator updates per generator update.
        update: `"simultaneous"`, `"alternating"` or `None` (choose).

    Returns:
        `"simultaneous"` (both networks from one forward pass, as the TensorFlow DCGAN tutorial)
        or `"alternating"`. `None` chooses simultaneous for bce with one discriminator step.

    Raises:
        ValueError: For simultaneous updates with another loss or several discriminator steps.
    """
    one_pass = loss == "bce" and discriminator_steps == 1
    if update is None:
        return "simultaneous" if one_pass else "alternating"
    if update == "simultaneous" and not one_pass:
        raise ValueError(
            "update: simultaneous is for loss bce with one discriminator step (WGAN-GP alternates)"
        )
    return update


class GanConfig(_Section):
    """A generative adversarial network: two layer stacks and how they are trained (`kerascli gan`).

    The generator maps `latent_dim` standard-normal numbers to an image of the data's shape; the
    discriminator maps an image to one score (a logit, or a probability when its last layer ends
    in a sigmoid). Defaults follow the DCGAN paper (Adam 2e-4, beta_1 0.5).
    """

    latent_dim: int = Field(default=100, gt=0, description="Length of the generator's noise input.")
    generator: list[Any] = Field(min_length=1, description="Layers from noise to an image.")
    discriminator: list[Any] = Field(min_length=1, description="Layers from an image to one score.")
    generator_optimizer: Any = Field(
        default=_GAN_OPTIMIZER,
        description=(
            "The generator's optimizer (default: Adam 2e-4, beta_1 0.5, as the DCGAN paper)."
        ),
    )
    discriminator_optimizer: Any = Field(
        default=_GAN_OPTIMIZER,
        description=("The discriminator's optimizer (default as the generator's)."),
    )
    loss: GanLoss = Field(
        default="bce",
        description=("bce (the DCGAN loss) or wgan-gp (Wasserstein loss with gradient penalty)."),
    )
    gradient_penalty: float = Field(default=10.0, ge=0, description="WGAN-GP's penalty weight.")
    discriminator_steps: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Discriminator updates per generator update (default: 5 for wgan-gp, else 1)."
        ),
    )
    update: GanUpdate | None = Field(
        default=None,
        description=(
            "simultaneous (one forward pass serves both losses) or alternating (default: "
            "simultaneous for bce with one discriminator step)."
        ),
    )
    label_smoothing: float = Field(
        default=0.0,
        ge=0,
        lt=0.5,
        description=("One-sided: real images are labelled 1 - this (bce only)."),
    )
    instance_noise: float = Field(
        default=0.0,
        ge=0,
        description=("Standard deviation of Gaussian noise added to real images."),
    )
    samples: int = Field(
        default=64, gt=0, le=400, description="Images in each epoch's sample grid."
    )
    judge: str | None = Field(
        default=None,
        description=("A classification run directory whose model scores the samples every epoch."),
    )
    judge_samples: int = Field(
        default=1000, ge=20, le=20000, description=("Images generated for each judgement.")
    )
    judge_confidence: float = Field(
        default=0.9,
        gt=0,
        lt=1,
        description=("The probability above which the judge's classification counts as confident."),
    )
    jit_compile: bool | Literal["auto"] = Field(
        default="auto",
        description=("Compile the GAN step with XLA (auto: wherever every layer supports it)."),
    )

    _optimizer_given = field_validator("generator_optimizer", "discriminator_optimizer")(
        lambda value: _named(value, "optimizer")
    )

    @model_validator(mode="after")
    def _settings_fit_loss(self) -> GanConfig:
        resolve_update(self.loss, self.critic_steps, self.update)
        if self.label_smoothing and self.loss != "bce":
            raise ValueError("label_smoothing is for loss bce: a WGAN critic has no labels")
        return self

    @property
    def critic_steps(self) -> int:
        """Discriminator updates per generator update: 5 for WGAN-GP (its paper), else 1."""
        if self.discriminator_steps is not None:
            return self.discriminator_steps
        return 5 if self.loss == "wgan-gp" else 1

    @property
    def update_mode(self) -> str:
        """`simultaneous` or `alternating`, as `resolve_update` decides."""
        return resolve_update(self.loss, self.critic_steps, self.update)
