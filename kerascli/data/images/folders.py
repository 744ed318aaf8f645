"""A folder of class folders (`source: images`): its layout and its files, checked before Keras.

The layout is Keras' `image_dataset_from_directory`'s: one subfolder per class, its images in
it (and in its subfolders); the class names are the folder names, sorted, hidden folders left
out, exactly as Keras lists them. A data folder either holds `train/`, `test/` and an optional
`val/` (each of class folders), or is itself the class folders (`test: {split: ...}` holds out
part of them).

Every file a class folder holds is decoded once here, by Pillow restricted to PNG, JPEG, BMP and
GIF under the decompression-bomb limit, so a damaged or foreign file is one error naming it
before TensorFlow loads (the chosen behaviour: refused, not skipped, because a silently smaller
class changes what the model learns). Hidden files without an image extension (`.DS_Store`) are
left out, as Keras leaves them out. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kerascli.data.images.decode import bomb_guard, check_image
from kerascli.errors import DataError

# What `keras.utils.image_dataset_from_directory` reads (its ALLOWLIST_FORMATS), and the Pillow
# decoders that check those files.
FOLDER_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
FOLDER_FORMATS = ("PNG", "JPEG", "BMP", "GIF")
FOLDER_SUPPORTED = "PNG, JPEG, BMP or GIF"
SPLIT_FOLDERS = {"train": "train", "test": "test", "validation": "val"}
TENSORFLOW_REFUSES = {
    ("BMP", "grayscale"): "3 or 4 channels",
    ("GIF", "grayscale"): "3 channels",
    ("GIF", "rgba"): "3 channels",
    ("JPEG", "rgba"): "1 or 3 channels",
}
LAYOUT_HINT = (
    "put each class's images in its own folder: PATH/<class>/*.png, or PATH/train/<class>/*"
)


@dataclass(frozen=True)
class FolderLayout:
    """Where each split's class folders are, and what they hold.

    Args:
        root: The data folder (`data.path`).
        class_names: The training classes, in label order (sorted folder names).
        folders: Split name (`train`, `test`, `validation`) to the folder of its class folders.
        held_out: The test fraction held out of `train` (`test: {split: ...}`), or `None`.
        files: Split name to its number of images.
    """

    root: Path
    class_names: tuple[str, ...]
    folders: dict[str, Path]
    held_out: float | None = None
    files: dict[str, int] = field(default_factory=dict)

    def split_classes(self, split: str) -> list[str]:
        """The class folders a split holds, in the training classes' order."""
        present = set(class_folders(self.folders[split]))
        return [name for name in self.class_names if name in present]


def class_folders(folder: Path) -> list[str]:
    """The class folder names under `folder`, as Keras lists them (sorted, hidden ones left out)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        raise DataError(str(folder), f"cannot list the folder: {error.strerror}") from None
    return [name for name in names if not name.startswith(".") and (folder / name).is_dir()]


def class_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """`(images, others)`: the files Keras would read in one class folder, and the files it would
    silently leave out (hidden files without an image extension are neither)."""
    images, others = [], []
    for directory, subdirs, names in os.walk(folder):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory, name)
            if name.lower().endswith(FOLDER_EXTENSIONS):
                images.append(path)
            elif not name.startswith("."):
                others.append(path)
    return images, others


def scan_layout(path: str, held_out: float | None) -> FolderLayout:
    """Finds a data folder's splits and classes, without reading any image.

    Args:
        path: `data.path`.
        held_out: `data.test.split`, or `None`.

    Returns:
        The `FolderLayout` (with no file counts yet).

    Raises:
        DataError: When the folder is missing, holds no class folders, has both a test/ folder
            and a test split, or a test/ or val/ class that train/ does not have.
    """
    root = Path(path)
    if not root.exists():
        raise DataError(str(root), "no such folder", "data.path names a folder of class folders")
    if not root.is_dir():
        raise DataError(str(root), "not a folder", "data.path names a folder of class folders")
    folders = {}
    if (root / "train").is_dir():
        for split, name in SPLIT_FOLDERS.items():
            if (root / name).is_dir():
                folders[split] = root / name
        if held_out is not None and "test" in folders:
            raise DataError(
                str(root / "test"),
                "a test folder and data.test.split both give a test set",
                "remove data.test, or the test folder",
            )
    else:
        folders["train"] = root
    classes = class_folders(folders["train"])
    if not classes:
        raise DataError(str(folders["train"]), "no class folders in this folder", LAYOUT_HINT)
    for split in ("test", "validation"):
        if split in folders:
            for name in class_folders(folders[split]):
                if name not in classes:
                    raise DataError(
                        str(folders[split] / name),
                        f"class {name!r} is not one of the training classes in {folders['train']}",
                        "every test and val class needs a train folder too",
                    )
    return FolderLayout(root, tuple(classes), folders, held_out)


def unreadable_by_keras(path: Path, image_format: str, color_mode: str) -> DataError | None:
    """The error for a file Keras' reader would fail on in `color_mode`, or `None`.

    `image_dataset_from_directory` decodes with `tf.image.decode_image`, whose decoders take only
    some channel counts (BMP and GIF no grayscale, JPEG and GIF no RGBA): a fact of TensorFlow's
    kernels that no API reports before decoding, hence this table.
    """
    if (image_format, color_mode) not in TENSORFLOW_REFUSES:
        return None
    gives = TENSORFLOW_REFUSES[image_format, color_mode]
    return DataError(
        str(path),
        f"{image_format} images cannot be read as {color_mode} "
        f"(TensorFlow's {image_format} decoder gives {gives})",
        "convert it to PNG, or change data.color_mode",
    )


def check_folder_files(
    layout: FolderLayout, color_mode: str = "rgb", workers: int | None = None
) -> FolderLayout:
    """Decodes every image of every split once, and counts them.

    Args:
        layout: From `scan_layout`.
        color_mode: `data.color_mode` (see `unreadable_by_keras`). Defaults to `"rgb"`.
        workers: Decoding threads. Defaults to `None`: the CPU count, at most 8.

    Returns:
        The layout with `files` counted per split.

    Raises:
        DataError: For the first file that is not a readable image (the others found are in its
            `others`), a training class without images, or too few images to hold a test split.
    """
    counts, problems, to_check = {}, [], []
    for split, folder in layout.folders.items():
        total = 0
        for name in layout.split_classes(split):
            images, others = class_files(folder / name)
            problems.extend(
                DataError(
                    str(other),
                    f"not a {FOLDER_SUPPORTED} image file",
                    "move it out of the class folder",
                )
                for other in others
            )
            if not images and split == "train":
                problems.append(
                    DataError(
                        str(folder / name),
                        "a class folder without images",
                        f"add {FOLDER_SUPPORTED} files, or remove the folder",
                    )
                )
            to_check.extend(images)
            total += len(images)
        counts[split] = total
        if split != "train" and not total:
            problems.append(
                DataError(
                    str(folder),
                    "no images in its class folders",
                    f"add {FOLDER_SUPPORTED} files, or remove the folder",
                )
            )
    with bomb_guard(), ThreadPoolExecutor(workers or min(8, os.cpu_count() or 1)) as pool:
        for error in pool.map(lambda path: _problem(path, color_mode), to_check):
            if error is not None:
                problems.append(error)
    if layout.held_out is not None and not problems:
        held = int(counts["train"] * layout.held_out)  # as Keras' validation_split counts
        if not 0 < held < counts["train"]:
            problems.append(
                DataError(
                    "data.test.split",
                    f"holding out {layout.held_out} of "
                    f"{counts['train']} images leaves none to train on or "
                    "none to test",
                    "add images or change the split",
                )
            )
    if problems:
        first = problems[0]
        first.others = problems[1:]
        raise first
    return FolderLayout(layout.root, layout.class_names, layout.folders, layout.held_out, counts)


def _problem(path: Path, color_mode: str) -> DataError | None:
    try:
        image_format = check_image(path, FOLDER_FORMATS, FOLDER_SUPPORTED)
    except DataError as error:
        return error
    return unreadable_by_keras(path, image_format, color_mode)
