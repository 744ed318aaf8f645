"""`kerascli init DATA_PATH`: look at the user's data, write a commented starter config for it.

The story dispatches on the kind of data (`data_kind`): a folder of class folders of images gets
a small CNN (`init_templates.IMAGES`). CSV tables and folders of text files are recognised and
answered with a "not yet" line until their starters exist: add a `_starter_<kind>` function and
its template, and register it in `STARTERS`. The written config is validated like any config
before it is written, and an existing file is never overwritten. Nothing imports TensorFlow.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from PIL import Image

from kerascli.commands import init_templates
from kerascli.config import rules, specs
from kerascli.config.schema import ExperimentConfig
from kerascli.data.images.decode import bomb_guard
from kerascli.data.images.files import open_regular
from kerascli.data.images.folders import (FOLDER_EXTENSIONS, FOLDER_FORMATS, FolderLayout,
                                          class_files, scan_layout)
from kerascli.errors import ConfigError, DataError
from kerascli.runs.files import atomic_write_text

TABLE_SUFFIXES = (".csv", ".tsv")
TEXT_SUFFIXES = (".txt", ".md", ".text")
SAMPLED_PER_CLASS = 8  # images looked at per class to choose image_size and color_mode
GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


@dataclass(frozen=True)
class Starter:
    """A written starter config: where, for which kind of data, what it found, how to run it."""

    path: Path
    kind: str
    summary: str
    command: str


def data_kind(path: Path) -> str:
    """`images`, `csv` or `text`: what a data path holds, judged by names alone.

    Raises:
        DataError: When the path is missing, or is neither a table nor a folder of class folders
            holding images or text files.
    """
    if not path.exists():
        raise DataError(str(path), "no such file or folder",
                        "give a folder of class folders, or a CSV file")
    if path.is_file():
        if path.suffix.lower() in TABLE_SUFFIXES:
            return "csv"
        raise DataError(str(path), "kerascli init reads a folder of class folders or a CSV file",
                        "sort your images into one folder per class")
    layout = scan_layout(str(path), None)
    suffixes = set()
    for name in layout.class_names:
        images, others = class_files(layout.folders["train"] / name)
        suffixes.update(p.suffix.lower() for p in images[:1] + others[:20])
    if suffixes & set(FOLDER_EXTENSIONS):
        return "images"
    if suffixes & set(TEXT_SUFFIXES):
        return "text"
    raise DataError(str(path), "its class folders hold no PNG, JPEG, BMP or GIF images",
                    "put each class's images in its own folder")


def _sample_geometry(layout: FolderLayout) -> tuple[int, int, str, int]:
    """`(height, width, color_mode, images)`: typical size and colour of a sample of images."""
    heights, widths, modes, total = [], [], set(), 0
    with bomb_guard():
        for name in layout.class_names:
            images, _ = class_files(layout.folders["train"] / name)
            total += len(images)
            for path in images[:SAMPLED_PER_CLASS]:
                try:
                    with open_regular(path) as handle, Image.open(
                            handle, formats=list(FOLDER_FORMATS)) as image:
                        heights.append(image.height)
                        widths.append(image.width)
                        modes.add(image.mode)
                except (OSError, DataError, Image.DecompressionBombWarning,
                        Image.DecompressionBombError):
                    continue  # `kerascli train` checks every file and names the bad ones
    if not heights:
        raise DataError(str(layout.root), "none of the sampled images could be read",
                        "check the files with kerascli validate once a config exists")
    color = "grayscale" if modes <= GRAY_MODES else "rgb"
    return int(statistics.median(heights)), int(statistics.median(widths)), color, total


def _side(pixels: int) -> int:
    # A multiple of 8 between 16 (two conv-and-pool stages need it) and 128 (a CPU trains it).
    return min(128, max(16, 8 * round(pixels / 8)))


def _starter_images(path: Path, config_path: Path) -> tuple[str, str]:
    layout = scan_layout(str(path), None)
    height, width, color, total = _sample_geometry(layout)
    root_classes = layout.folders["train"] == layout.root
    names = list(layout.class_names)
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.resolve().name).strip("._-")[:90] or "images"
    test_line = ("  test: {split: 0.2}           # 20% of the images held out for the final test "
                 "(the same ones every run)\n" if root_classes else "")
    validation_line = ("" if "validation" in layout.folders else
                       "  validation: {split: 0.2}     # 20% of the training images checked after "
                       "each epoch\n")
    text = init_templates.IMAGES.format(
        source_path=path, config_name=config_path, name=name,
        path=json.dumps(str(path), ensure_ascii=False),
        layout_comment="" if root_classes else "            # train/, test/"
        + (", val/" if "validation" in layout.folders else "") + " each hold the class folders",
        height=_side(height), width=_side(width), typical=f"{height}x{width}", color_mode=color,
        color_comment=" (all sampled images are gray)" if color == "grayscale" else "",
        test_line=test_line, validation_line=validation_line,
        channels=1 if color == "grayscale" else 3, classes=len(names),
        class_list=" ".join(shown.split()))
    return text, f"{len(names)} classes ({shown}), {total} training images"


STARTERS: dict[str, Callable[[Path, Path], tuple[str, str]]] = {"images": _starter_images}
NOT_YET = {"csv": "CSV tables", "text": "folders of text files"}


def _check(text: str, out: Path) -> None:
    """Validates a starter as `kerascli train` will: a template bug is not the user's to find."""
    try:
        config = ExperimentConfig.model_validate(yaml.safe_load(text))
        specs.check_experiment(config)
        rules.check_input_shape(config)
    except Exception as error:  # noqa: BLE001 - pydantic's and the spec checks' errors alike
        raise ConfigError(str(out), f"the starter config does not validate: {error}",
                          "please report this as a kerascli bug") from None


def write_starter(data_path: str | Path, out: str | Path = "kerascli.yaml") -> Starter:
    """Writes a commented starter config for the data at `data_path`.

    Args:
        data_path: A folder of class folders (images), or a CSV file or folder of text files
            (recognised, not yet supported).
        out: The config file to write. Defaults to `kerascli.yaml`.

    Returns:
        The `Starter`: the file written, the kind of data, what was found, the command to run.

    Raises:
        DataError: When the data cannot be used or its kind has no starter yet.
        ConfigError: When `out` exists (it is never overwritten) or cannot be written.
    """
    path, out = Path(data_path), Path(out)
    kind = data_kind(path)
    if kind not in STARTERS:
        raise DataError(str(path), f"kerascli init cannot write starters for {NOT_YET[kind]} "
                        "yet", "write the data section by hand: see README, Your own data")
    if out.exists():
        raise ConfigError(str(out), "already exists; kerascli init never overwrites a file",
                          "choose another --out, or move the file away")
    text, summary = STARTERS[kind](path, out)
    _check(text, out)
    try:
        atomic_write_text(out, text, exclusive=True)
    except FileExistsError:
        raise ConfigError(str(out), "already exists; kerascli init never overwrites a file",
                          "choose another --out, or move the file away") from None
    except OSError as error:
        raise ConfigError(str(out), f"cannot write: {error.strerror}") from None
    return Starter(out, kind, summary, f"kerascli train {out}")
