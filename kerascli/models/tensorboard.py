"""Keras' TensorBoard callback, made to continue a resumed run's curves and to show images.

Keras' `TensorBoard` writes epoch scalars at step `epoch`, which a resumed `fit`
(`initial_epoch`) already continues; its batch counter, however, restarts at 0 on every `fit`,
so batch-level curves (`update_freq: batch`) would restart too. The subclass starts that counter
at the optimizer's update count, which a resumed run restores from its checkpoint. It also
writes the images a plan names each epoch (a GAN's fixed-noise sample grid) with
`tf.summary.image`, which Keras' callback has no hook for.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np


def _updates_done(model) -> int:
    """Optimizer updates made so far: the model's own, or a GAN generator's."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:  # a GAN compiles each network with its own optimizer
        optimizer = getattr(getattr(model, "generator", None), "optimizer", None)
    iterations = getattr(optimizer, "iterations", None)
    return 0 if iterations is None else int(keras.ops.convert_to_numpy(iterations))


class RunTensorBoard(keras.callbacks.TensorBoard):
    """`keras.callbacks.TensorBoard` whose steps continue across resumes, with per-epoch images.

    Args:
        *args, **kwargs: As `keras.callbacks.TensorBoard` takes them.

    Attributes:
        images: A function returning `{name: uint8 image (H, W, C)}` after each epoch, written
            to the `train` log at the epoch's step; `None` writes no images.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.images: Callable[[], dict[str, np.ndarray]] | None = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        # Keras resets the batch counter to 0 on every fit; a resumed run continues from its
        # checkpoint's update count instead.
        self._global_train_batch = _updates_done(self.model)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.images is None:
            return
        pictures = self.images()
        if pictures:
            with self._train_writer.as_default():
                for name, picture in pictures.items():
                    picture = picture if picture.ndim == 3 else picture[..., None]
                    self.summary.image(name, picture[None], step=epoch)
            self._train_writer.flush()
