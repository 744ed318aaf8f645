"""The experiment config's `data` section: where the data comes from and how it is prepared.

Split out of `schema` (which re-exports every model here) to keep each module small; the
descriptions are the section's reference documentation, as there.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from kerascli.config.section import Section
from kerascli.config.sources import ColorMode, Source


class SplitFiles(Section):
    """A pair of files holding images and labels (IDX, gzip or raw, or `.npy`)."""

    images: str = Field(description="The images file.")
    labels: str = Field(description="The labels file, one label per image.")


class ValidationConfig(Section):
    """Where validation data comes from: exactly one of `split`, `first`, or files."""

    split: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description=(
            "Hold out the last fraction of the training data, as Keras' validation_split does."
        ),
    )
    first: int | None = Field(
        default=None,
        gt=0,
        description=("Hold out the first N training examples (the Keras tour's held-out slice)."),
    )
    images: str | None = Field(default=None, description="Validation images from a file.")
    labels: str | None = Field(default=None, description="Validation labels from a file.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ValidationConfig:
        given = [
            self.split is not None,
            self.first is not None,
            self.images is not None or self.labels is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of split, first, or images with labels")
        if (self.images is None) != (self.labels is None):
            raise ValueError("images and labels go together")
        return self


class HeldOut(Section):
    """A test set held out of the one file or folder `data.path` names."""

    split: float = Field(gt=0, lt=1, description="The fraction held out for testing, e.g. 0.2.")
    seed: int = Field(
        default=1337, ge=0, description="Seeds the pick: the same seed, the same set."
    )


class PreprocessConfig(Section):
    """Preprocessing applied to every image and label, in training, evaluation and prediction."""

    reshape: list[int] | None = Field(
        default=None,
        description=("Each example's shape, e.g. [28, 28, 1]; one dimension may be -1."),
    )
    scale: float | None = Field(
        default=None, gt=0, description="Divide inputs by this (255: x/255)."
    )
    range: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description=(
            "Map [0, scale or 255] linearly onto [low, high], e.g. [-1, 1] for a tanh generator."
        ),
    )
    one_hot: int | None = Field(
        default=None, ge=2, description=("One-hot encode integer labels into this many classes.")
    )

    @field_validator("reshape")
    @classmethod
    def _positive_dims(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or any(d == 0 or d < -1 for d in value)):
            raise ValueError("dimensions must be positive (or -1 once)")
        if value is not None and value.count(-1) > 1:
            raise ValueError("only one dimension may be -1")
        return value

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and not value[0] < value[1]:
            raise ValueError("range must be [low, high] with low < high")
        return value


class LimitConfig(Section):
    """Use only the first N examples of a split (quick experiments and tests)."""

    train: int | None = Field(default=None, gt=0, description="Training examples to use.")
    test: int | None = Field(default=None, gt=0, description="Test examples to use.")


class DataConfig(Section):
    """Where the data comes from and how it is prepared."""

    source: Source = Field(
        description=(
            "A built-in dataset (mnist, fashion_mnist, cifar10) or the format of your files "
            "(idx, npz, images: class folders of images, csv: a table, text: class folders of "
            "text files)."
        )
    )
    path: str | None = Field(
        default=None,
        description=(
            "npz: the .npz file; images or text: the folder of class folders (or of train/, test/, "
            "val/); csv: one CSV file to split with test: {split: F}; built-in datasets: a folder "
            "to look in first."
        ),
    )
    train: SplitFiles | str | None = Field(
        default=None, description=("idx: the training files; csv: the training CSV file.")
    )
    test: SplitFiles | str | HeldOut | None = Field(
        default=None,
        description=(
            "idx: the test files; csv: the test CSV file; images, text, or csv with path: "
            "{split: F} holds out a fraction as the test set."
        ),
    )
    target: str | None = Field(
        default=None,
        description=(
            "csv: the column to predict: strings or integers are classes, floats a regression."
        ),
    )
    features: dict[str, Any] | None = Field(
        default=None,
        description=(
            "csv: column -> Keras FeatureSpace kind (float_normalized, string_categorical, "
            "{float_discretized: {num_bins: N}}, ...: config.tables.FEATURE_KINDS); without it, "
            "every column but the target, kinds inferred (kerascli validate shows them)."
        ),
    )
    image_size: list[Annotated[int, Field(gt=0)]] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="images: [height, width] every image is resized to.",
    )
    color_mode: ColorMode = Field(default="rgb", description="images: rgb, grayscale or rgba.")
    validation: ValidationConfig | None = Field(
        default=None,
        description=("Validation data: a split of train, its first examples, or files."),
    )
    preprocess: PreprocessConfig = Field(
        default=PreprocessConfig(),
        description=(
            "Reshape, scale or range, one-hot: applied in training, evaluation and prediction."
        ),
    )
    augment: list[Any] = Field(
        default=[],
        description=(
            "Keras preprocessing layers applied to training batches only, e.g. "
            "[{RandomRotation: {factor: 0.05}}]."
        ),
    )
    class_names: list[str] | None = Field(
        default=None,
        description=("Names for the classes, by label (built-in datasets name their own)."),
    )
    limit: LimitConfig = Field(
        default=LimitConfig(), description=("Use only the first N examples of a split.")
    )
    shuffle_buffer: int | None = Field(
        default=None,
        gt=0,
        description=("Accepted for older configs; shuffling permutes the whole training set."),
    )

    @model_validator(mode="after")
    def _paths_fit_source(self) -> DataConfig:
        if self.source != "images" and self.image_size is not None:
            raise ValueError("image_size is for source images")
        if self.source != "csv" and (self.target or self.features):
            raise ValueError("target and features are for source csv")
        _check_own_paths(self)
        if self.source == "idx" and self.train is None:
            raise ValueError("source idx needs train: {images: ..., labels: ...}")
        if self.source == "npz" and self.path is None:
            raise ValueError("source npz needs path: FILE.npz")
        if self.source in ("npz",) and (self.train or self.test):
            raise ValueError(
                "source npz reads x_train/y_train/x_test/y_test from path; "
                "train and test are for source idx"
            )
        return self


def _check_own_paths(data: DataConfig) -> None:
    """Checks the keys that name the files of an images, csv or text source, and keeps a CSV
    file or a held-out split off the other sources.

    Raises:
        ValueError: For a combination the source cannot read, as pydantic reports it.
    """
    file_test = isinstance(data.test, str)
    split_test = isinstance(data.test, HeldOut)
    if data.source == "images":
        if data.path is None or data.image_size is None:
            raise ValueError("source images needs path: FOLDER and image_size: [height, width]")
        if (
            data.train is not None
            or (data.test is not None and not split_test)
            or (data.validation is not None and data.validation.images)
        ):
            raise ValueError("source images reads path's train/, test/ and val/ folders, not files")
    elif data.source == "csv":
        if not data.target:
            raise ValueError("source csv needs target: the column to predict")
        if (data.train is None) == (data.path is None):
            raise ValueError(
                "source csv needs train: FILE (with test: FILE) or path: FILE "
                "(with test: {split: F})"
            )
        if (data.train is not None and not isinstance(data.train, str)) or (
            data.test is not None and not (file_test or split_test)
        ):
            raise ValueError("source csv takes train: FILE and test: FILE, one CSV file each")
        if data.path is not None and file_test:
            raise ValueError("with path: FILE, the test set is a split of it: test: {split: F}")
        if data.train is not None and split_test:
            raise ValueError("test: {split: F} splits path: FILE; with train: FILE give test: FILE")
    elif data.source == "text":
        if (
            data.path is None
            or data.train is not None
            or (data.test is not None and not split_test)
        ):
            raise ValueError(
                "source text needs path: DIR (DIR/train/<class>/*.txt, "
                "DIR/test/<class>/*.txt) and at most test: {split: F}"
            )
    elif split_test:
        raise ValueError("test: {split: F} holds out part of path for source images, csv or text")
    elif isinstance(data.train, str) or file_test:
        raise ValueError(
            f"source {data.source} takes train and test as {{images: FILE, labels: FILE}}"
        )
