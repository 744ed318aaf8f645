"""Judging generated images with a classifier trained by kerascli (`gan.judge: RUN_DIR`).

Two figures, every epoch: the Fréchet distance between the classifier's penultimate-layer
features of generated and of real test images (FID computed with the user's own classifier in
place of Inception, which cannot be downloaded here and knows nothing of digits), and the share
of generated images the classifier assigns to one class with high confidence. The spread of those
classes is logged too, so a generator that collapses onto one digit shows.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from kerascli.config.schema import PreprocessConfig
from kerascli.data.preprocess import preprocess_images, to_pixels
from kerascli.errors import ConfigError
from kerascli.evaluation.metrics import as_probabilities
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun
from kerascli.visuals.samples import fixed_noise


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors.

    `|mu_a - mu_b|^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2))`. The trace of the matrix square root is
    taken from the eigenvalues of `C_a^(1/2) C_b C_a^(1/2)` (symmetric, so `eigh` is exact and
    stable) rather than with scipy's `sqrtm`, which is not a dependency.

    Args:
        a, b: Features, one row per example.

    Returns:
        The distance (0 for identical distributions).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    distance = float(
        np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    )
    return max(distance, 0.0)


class Judge:
    """A trained classifier run that scores generated images.

    Args:
        run: A completed classification run made by `kerascli train`, opened.
        real_pixels: Real images as raw pixels `(N, H, W[, C])` (the GAN data's test split).
        samples: How many images to generate and compare each time.
        confidence: The probability above which a classification counts as confident.
        seed: Seeds the noise, so every epoch is judged on the same noise.

    Raises:
        RunError: When the run's model cannot be loaded.
        ConfigError: When the classifier's input does not fit the generated images.
    """

    def __init__(
        self, run: SavedRun, real_pixels: np.ndarray, *, samples: int, confidence: float, seed: int
    ):
        if run.task not in (None, "classification"):
            raise ConfigError(
                "gan.judge",
                f"{run.run_dir} is a {run.task} run",
                "name a classification run (softmax over classes)",
            )
        model = load_model(run)
        if len(model.inputs) != 1 or len(model.outputs) != 1 or len(model.layers) < 2:
            raise ConfigError(
                "gan.judge",
                "the judge must be a single-input, single-output "
                "classifier with at least two layers",
            )
        # Features are the input of the last layer: the representation the classes are read from.
        features = model.layers[-1].input
        self.network = keras.Model(model.inputs, [features, model.outputs[0]])
        self.preprocess: PreprocessConfig = run.config.data.preprocess
        self.input_shape = tuple(model.inputs[0].shape[1:])
        self.samples, self.confidence, self.seed = samples, confidence, seed
        self.real_features, _ = self._features(real_pixels[: max(samples, 2000)], "real images")

    def _features(self, pixels: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        x = preprocess_images(pixels, self.preprocess, "gan.judge")
        if math.prod(x.shape[1:]) != math.prod(self.input_shape):
            raise ConfigError(
                "gan.judge",
                f"the classifier takes inputs of shape "
                f"{self.input_shape}, but the {what} have shape {x.shape[1:]}",
                "judge with a classifier trained on the same kind of images",
            )
        x = x.reshape((len(x), *self.input_shape))
        features, outputs = self.network.predict(x, batch_size=500, verbose=0)
        return features.reshape(len(x), -1), outputs

    def score(self, generator, preprocess: PreprocessConfig) -> dict[str, float]:
        """Generates images and scores them.

        Args:
            generator: The generator network.
            preprocess: The GAN data's preprocessing (the generator's value range).

        Returns:
            `judge_fid`, `judge_confident` (share of confident classifications) and
            `judge_class_spread` (entropy of the predicted classes over the entropy of a uniform
            spread: 1 when every class is drawn equally, 0 when all images are one class).
        """
        noise = fixed_noise(self.samples, generator.inputs[0].shape[-1], self.seed)
        images = generator.predict(noise, batch_size=500, verbose=0)
        features, outputs = self._features(to_pixels(images, preprocess), "generated images")
        probabilities = as_probabilities(outputs)
        counts = np.bincount(probabilities.argmax(axis=-1), minlength=probabilities.shape[-1])
        shares = counts[counts > 0] / counts.sum()
        spread = float(-(shares * np.log(shares)).sum() / math.log(probabilities.shape[-1]))
        return {
            "judge_fid": frechet_distance(features, self.real_features),
            "judge_confident": float(np.mean(probabilities.max(axis=-1) >= self.confidence)),
            "judge_class_spread": spread,
        }
