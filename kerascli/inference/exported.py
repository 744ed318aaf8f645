"""A run's export, opened by `engine.choose_engine`, made ready for `predict`, `serve` and
`sample`: the same predictors and generator function as the Keras path builds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kerascli.errors import RunError
from kerascli.inference.classify import Classifier
from kerascli.inference.engine import OpenExport
from kerascli.inference.inputs import ImageInput, NoiseInput, Scaling
from kerascli.inference.manifest import NetworkKind
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput, TextInput

_AGAIN = "export the run again"
# Noise is run through the generator in chunks of this many examples.
_CHUNK = 256


def exported_predictor(exported: OpenExport) -> Classifier | OwnPredictor:
    """The run's exported model, ready to predict: a `Classifier` for an image run, an
    `OwnPredictor` for a CSV or text run.

    Raises:
        RunError: When the export is not a classifier's (images) or a regressor's (rows, texts).
    """
    entry, source, runtime = exported.entry, exported.source, exported.runtime
    if isinstance(source, ImageInput):
        if entry.kind != NetworkKind.CLASSIFIER or not entry.class_names:
            raise RunError(exported.where, "the export is not a classifier's", _AGAIN)
        return Classifier(
            exported.run_dir, source, list(entry.class_names), runtime, runtime.engine
        )
    if entry.kind not in (NetworkKind.CLASSIFIER, NetworkKind.REGRESSOR) or not isinstance(
        source, (TableInput, TextInput)
    ):
        raise RunError(exported.where, "the export is not a classifier's or a regressor's", _AGAIN)
    prepare = source.prepare
    return OwnPredictor(
        exported.run_dir,
        source,
        list(entry.class_names) if entry.class_names else None,
        lambda examples: runtime(prepare(examples)),
        runtime.engine,
    )


def exported_generator(
    exported: OpenExport,
) -> tuple[Callable[[np.ndarray], np.ndarray], Scaling, int]:
    """The exported generator of a GAN run: `(generate, output scaling, latent_dim)`.

    `generate` maps float32 noise `(n, latent_dim)` to images in the data's preprocessed range.

    Raises:
        RunError: When the export is not a generator's.
    """
    entry, runtime = exported.entry, exported.runtime
    if (
        entry.kind != NetworkKind.GENERATOR
        or entry.output is None
        or not isinstance(exported.source, NoiseInput)
    ):
        raise RunError(exported.where, "the export is not a generator's", _AGAIN)

    def generate(noise: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [runtime(noise[start : start + _CHUNK]) for start in range(0, len(noise), _CHUNK)]
        )

    return generate, Scaling.of(entry.output.preprocess), exported.source.latent_dim
