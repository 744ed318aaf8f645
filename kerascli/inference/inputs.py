"""What a model's input is made from, and how: the pluggable preprocessing of each data kind.

An exported model answers float32 arrays; what turns a user's file (or an upload) into those
arrays is recorded in the export manifest under `input` and rebuilt here without TensorFlow. Each
data kind has one class with `to_manifest()`, `from_manifest()` and `prepare()`, and one entry in
`INPUT_KINDS`: images here, CSV rows and texts in `own_inputs` (the manifest records `input.kind`,
so `predict` and `serve` pick the right one by name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kerascli.config.sources import BUILTIN_DATASETS, COLOR_CHANNELS
from kerascli.data.images.decode import load_image
from kerascli.data.images.files import EXTENSIONS, SUPPORTED
from kerascli.data.images.folders import FOLDER_EXTENSIONS, FOLDER_SUPPORTED
from kerascli.data.images.stretch import load_like_training
from kerascli.data.preprocess import ScalingSpec, preprocess_images
from kerascli.errors import RunError
from kerascli.inference.own_inputs import TableInput, TextInput

if TYPE_CHECKING:  # annotations only: the exported path starts without pydantic
    from kerascli.config.schema import ExperimentConfig


@dataclass(frozen=True)
class Scaling:
    """`data.preprocess`'s reshape and scale or range, as the manifest records them.

    It answers `preprocess_images` and `to_pixels` as the config's own section does, without
    the config's schema (pydantic), whose import would be a third of an exported predict's time.
    """

    reshape: list[int] | None = None
    scale: float | None = None
    range: list[float] | None = None

    @classmethod
    def of(cls, preprocess) -> Scaling:
        """The scaling of a `data.preprocess` section (or of a manifest's JSON object)."""
        get = (
            preprocess.get
            if isinstance(preprocess, dict)
            else (lambda key: getattr(preprocess, key))
        )
        return cls(get("reshape"), get("scale"), get("range"))

    def to_manifest(self) -> dict:
        """The JSON object the manifest records."""
        return {"reshape": self.reshape, "scale": self.scale, "range": self.range}


def image_geometry(config: ExperimentConfig, input_shape: tuple) -> tuple[int, int, int]:
    """The `(height, width, channels)` images must have before `data.preprocess` applies.

    Taken from `data.preprocess.reshape` (what each example becomes), else the model's input
    shape. A flat shape (`[784]`) is the built-in dataset's image size, or a square one-channel
    (or three-channel) image when the length allows.

    Args:
        config: The run's config.
        input_shape: The model's (first) input shape, without the batch axis.

    Raises:
        RunError: When no image size fits the model's input.
    """
    shape = list(config.data.preprocess.reshape or [])
    if not shape or any(d is None or d < 0 for d in shape):
        shape = list(input_shape)
    if any(d is None for d in shape):
        raise RunError(
            "model.input_shape",
            f"the model takes images of any size {tuple(shape)}; "
            "predict needs a fixed height and width",
        )
    rgba = config.data.source == "images" and config.data.color_mode == "rgba"
    if len(shape) == 3 and (shape[-1] in (1, 3) or (rgba and shape[-1] == 4)):
        return shape[0], shape[1], shape[2]
    if len(shape) == 2:
        return shape[0], shape[1], 1
    if len(shape) == 1:
        if config.data.source in BUILTIN_DATASETS:
            return BUILTIN_DATASETS[config.data.source].image_shape
        for channels in (1, 3):
            side = math.isqrt(shape[0] // channels)
            if shape[0] % channels == 0 and side * side * channels == shape[0]:
                return side, side, channels
    raise RunError(
        "model.input_shape",
        f"cannot tell an image size from the input shape {tuple(shape)}",
        "predict reads images for models of (height, width, 1 or 3) inputs",
    )


@dataclass(frozen=True)
class ImageInput:
    """Image files in, a model's float32 batch out: decoded size, ink convention, preprocessing.

    Args:
        height: Image height. width: Image width.
        channels: 1 (grayscale) or 3 (RGB); 4 (RGBA) for an image-folder run.
        dark_background: Whether the training images were light on dark (MNIST-like), so that
            `--invert auto` inverts light-background images for one-channel models.
        preprocess: The run's `data.preprocess` (reshape, scale or range), as training used it
            (the config's section, or a `Scaling`).
        resize: `"pad"`: files are padded to the model's aspect ratio and resized with Lanczos
            (`data.images.decode.load_image`), for runs trained on datasets of arrays;
            `"stretch"`: files are read as `source: images` training read them (PNG, JPEG, BMP
            or GIF, stretched with TensorFlow's bilinear resize, never inverted:
            `data.images.stretch.load_like_training`). Defaults to `"pad"`.
        color_mode: With `"stretch"`, the run's `data.color_mode`. Defaults to `None`.
    """

    height: int
    width: int
    channels: int
    dark_background: bool
    preprocess: ScalingSpec
    resize: str = "pad"
    color_mode: str | None = None

    kind = "image"

    @classmethod
    def for_run(
        cls, config: ExperimentConfig, geometry: tuple[int, int, int], dark_background: bool
    ) -> ImageInput:
        """How a run's images are read: as its image folders were, or padded (datasets)."""
        if config.data.source == "images":
            return cls(*geometry, False, config.data.preprocess, "stretch", config.data.color_mode)
        return cls(*geometry, dark_background, config.data.preprocess)

    def __post_init__(self) -> None:
        if self.resize not in ("pad", "stretch"):
            raise ValueError(f"unknown resize {self.resize!r}")
        if self.resize == "stretch" and self.color_mode is None:
            raise ValueError("a stretched read needs the run's color_mode")

    @property
    def stretched(self) -> bool:
        """Whether files are read as image-folder training read them (see `resize`)."""
        return self.resize == "stretch"

    @property
    def auto_invert(self) -> bool:
        """Whether `--invert auto` inverts light-background images (one-channel, dark data)."""
        return self.channels == 1 and self.dark_background and not self.stretched

    @property
    def extensions(self) -> tuple[dict | tuple, str]:
        """The file name endings read, and those formats in words (for `find_images`)."""
        if self.stretched:
            return FOLDER_EXTENSIONS, FOLDER_SUPPORTED
        return EXTENSIONS, SUPPORTED

    def load(self, path) -> np.ndarray:
        """One image file's pixels `(height, width, channels)`, uint8 or float32 in [0, 255].

        Raises:
            DataError: Naming the file, when it cannot be read (see `resize`'s readers).
        """
        if self.stretched:
            assert self.color_mode is not None  # `__post_init__` holds it
            return load_like_training(
                path, height=self.height, width=self.width, color_mode=self.color_mode
            )
        return load_image(path, height=self.height, width=self.width, channels=self.channels)

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        """Images `(n, height, width, channels)` in [0, 255] to the float32 batch the model
        takes."""
        return preprocess_images(pixels, self.preprocess, "image")

    def unavailable(self) -> str | None:
        """Why this machine cannot read the images (never: Pillow is enough)."""
        return None

    def to_manifest(self) -> dict:
        """The JSON object the export manifest records under `input`."""
        entry: dict = {
            "kind": self.kind,
            "height": self.height,
            "width": self.width,
            "channels": self.channels,
            "dark_background": self.dark_background,
            "preprocess": Scaling.of(self.preprocess).to_manifest(),
        }
        if self.stretched:
            entry.update(
                resize=self.resize, color_mode=self.color_mode, extensions=list(FOLDER_EXTENSIONS)
            )
        return entry

    @classmethod
    def from_manifest(cls, entry: dict) -> ImageInput:
        """Rebuilds an `ImageInput` from the manifest's `input` object."""
        channels = int(entry["channels"])
        resize = str(entry.get("resize", "pad"))
        if resize not in ("pad", "stretch"):
            raise ValueError(f"unknown resize {resize!r}")
        color_mode = None
        if resize == "stretch":
            # Exports written before `color_mode` was recorded had 1 or 3 channels.
            by_channels = {count: mode for mode, count in COLOR_CHANNELS.items()}
            color_mode = str(entry.get("color_mode") or by_channels[channels])
            if COLOR_CHANNELS.get(color_mode) != channels:
                raise ValueError(f"color_mode {color_mode!r} with {channels} channels")
        return cls(
            int(entry["height"]),
            int(entry["width"]),
            channels,
            bool(entry["dark_background"]),
            Scaling.of(entry["preprocess"]),
            resize,
            color_mode,
        )


@dataclass(frozen=True)
class NoiseInput:
    """A GAN generator's input: float32 noise of `latent_dim` values per example.

    Args:
        latent_dim: The noise size.
    """

    latent_dim: int

    kind = "noise"

    def unavailable(self) -> str | None:
        """Why this machine cannot make noise (never)."""
        return None

    def to_manifest(self) -> dict:
        """The JSON object the export manifest records under `input`."""
        return {"kind": self.kind, "latent_dim": self.latent_dim}

    @classmethod
    def from_manifest(cls, entry: dict) -> NoiseInput:
        """Rebuilds a `NoiseInput` from the manifest's `input` object."""
        return cls(int(entry["latent_dim"]))


InputKind = ImageInput | TableInput | TextInput | NoiseInput
# The data kinds an export can take, by the manifest's `input.kind`: each a class with
# `to_manifest`, `from_manifest` and `unavailable` (data also `prepare`, rows and texts `read`).
INPUT_KINDS: dict[str, type[InputKind]] = {
    kind.kind: kind for kind in (ImageInput, TableInput, TextInput, NoiseInput)
}


def input_from_manifest(entry: dict, where: str) -> InputKind:
    """The input preparer a manifest's `input` object names.

    Raises:
        RunError: For a kind this version of kerascli cannot prepare.
    """
    kind = INPUT_KINDS.get(str(entry.get("kind")))
    if kind is None:
        raise RunError(
            where,
            f"the export takes {entry.get('kind')!r} inputs, which this kerascli cannot prepare",
            "export the run again",
        )
    try:
        return kind.from_manifest(entry)
    except (KeyError, TypeError, ValueError) as error:
        raise RunError(
            where, f"the export's input description is damaged ({error})", "export the run again"
        ) from None
