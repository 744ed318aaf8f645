"""`kerascli init DATA_PATH`: look at the user's data, write a commented starter config for it.

The story dispatches on the kind of data (`data_kind`) through `STARTERS`: a folder of class
folders of images gets a small CNN (`init_templates.IMAGES`), a CSV table a small dense network
predicting its last column or `--target` (`init_templates.CSV`), a folder of class folders of
`.txt` files a bag-of-words classifier (`init_templates.TEXT`). The data is checked as training
will check it, the written config is validated like any config before it is written, and an
existing file is never overwritten. Nothing imports TensorFlow.
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
from kerascli.config.loading import load_config_text
from kerascli.config.schema import DataConfig
from kerascli.data.images.decode import bomb_guard
from kerascli.data.images.files import open_regular
from kerascli.data.images.folders import (
    FOLDER_EXTENSIONS,
    FOLDER_FORMATS,
    FolderLayout,
    class_files,
    scan_layout,
)
from kerascli.data.table_source import load_table_data
from kerascli.data.tables import read_table, require_column
from kerascli.data.text_files import TEXT_SUFFIX
from kerascli.data.texts import check_text_folder
from kerascli.errors import ConfigError, DataError
from kerascli.runs.files import atomic_write_text

TABLE_SUFFIXES = (".csv",)
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
        raise DataError(
            str(path), "no such file or folder", "give a folder of class folders, or a CSV file"
        )
    if path.is_file():
        if path.suffix.lower() in TABLE_SUFFIXES:
            return "csv"
        raise DataError(
            str(path),
            "kerascli init reads a folder of class folders or a CSV file",
            "sort your images into one folder per class",
        )
    layout = scan_layout(str(path), None)
    suffixes = set()
    for name in layout.class_names:
        images, others = class_files(layout.folders["train"] / name)
        suffixes.update(p.suffix.lower() for p in images[:1] + others[:20])
    if suffixes & set(FOLDER_EXTENSIONS):
        return "images"
    if TEXT_SUFFIX in suffixes:
        return "text"
    raise DataError(
        str(path),
        "its class folders hold no PNG, JPEG, BMP or GIF images and no .txt files",
        "put each class's images or texts in its own folder",
    )


def _sample_geometry(layout: FolderLayout) -> tuple[int, int, str, int]:
    """`(height, width, color_mode, images)`: typical size and colour of a sample of images."""
    heights, widths, modes, total = [], [], set(), 0
    with bomb_guard():
        for name in layout.class_names:
            images, _ = class_files(layout.folders["train"] / name)
            total += len(images)
            for path in images[:SAMPLED_PER_CLASS]:
                try:
                    with (
                        open_regular(path) as handle,
                        Image.open(handle, formats=list(FOLDER_FORMATS)) as image,
                    ):
                        heights.append(image.height)
                        widths.append(image.width)
                        modes.add(image.mode)
                except (
                    OSError,
                    DataError,
                    Image.DecompressionBombWarning,
                    Image.DecompressionBombError,
                ):
                    continue  # `kerascli train` checks every file and names the bad ones
    if not heights:
        raise DataError(
            str(layout.root),
            "none of the sampled images could be read",
            "check the files with kerascli validate once a config exists",
        )
    color = "grayscale" if modes <= GRAY_MODES else "rgb"
    return int(statistics.median(heights)), int(statistics.median(widths)), color, total


def _side(pixels: int) -> int:
    # A multiple of 8 between 16 (two conv-and-pool stages need it) and 128 (a CPU trains it).
    return min(128, max(16, 8 * round(pixels / 8)))


def _run_name(path: Path, fallback: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path.resolve().stem).strip("._-")[:90] or fallback


def _yaml_text(value: str) -> str:
    """`value` as a YAML scalar that reads back as the same string (JSON quotes when needed)."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .-]*", value) and value == value.strip()
    return (
        value if plain and yaml.safe_load(value) == value else json.dumps(value, ensure_ascii=False)
    )


def _listed(names: list[str]) -> str:
    return " ".join((", ".join(names[:10]) + (", ..." if len(names) > 10 else "")).split())


def _starter_images(path: Path, config_path: Path, target: str | None) -> tuple[str, str]:
    layout = scan_layout(str(path), None)
    height, width, color, total = _sample_geometry(layout)
    root_classes = layout.folders["train"] == layout.root
    names = list(layout.class_names)
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    name = _run_name(path, "images")
    test_line = (
        "  test: {split: 0.2}           # 20% of the images held out for the final test "
        "(the same ones every run)\n"
        if root_classes
        else ""
    )
    validation_line = (
        ""
        if "validation" in layout.folders
        else "  validation: {split: 0.2}     # 20% of the training images checked after "
        "each epoch\n"
    )
    text = init_templates.IMAGES.format(
        source_path=path,
        config_name=config_path,
        name=name,
        path=json.dumps(str(path), ensure_ascii=False),
        layout_comment=""
        if root_classes
        else "            # train/, test/"
        + (", val/" if "validation" in layout.folders else "")
        + " each hold the class folders",
        height=_side(height),
        width=_side(width),
        typical=f"{height}x{width}",
        color_mode=color,
        color_comment=" (all sampled images are gray)" if color == "grayscale" else "",
        test_line=test_line,
        validation_line=validation_line,
        channels=1 if color == "grayscale" else 3,
        classes=len(names),
        class_list=" ".join(shown.split()),
    )
    return text, f"{len(names)} classes ({shown}), {total} training images"


def _starter_csv(path: Path, config_path: Path, target: str | None) -> tuple[str, str]:
    table = read_table(path, str(path))
    if target is None:
        target, how = (
            table.header[-1],
            "the last column; choose another with kerascli init --target",
        )
    else:
        require_column(table, target, "--target")
        how = "chosen with --target"
    # Every cell is checked and every kind inferred, as training will: a bad row is told now.
    data = load_table_data(
        DataConfig.model_validate(
            {"source": "csv", "path": str(path), "test": {"split": 0.2}, "target": target}
        )
    )
    names = data.class_names
    features = "".join(
        f"  #   {_yaml_text(column)}: {kind if isinstance(kind, str) else json.dumps(kind)}\n"
        for column, kind in data.features.items()
    )
    text = init_templates.CSV.format(
        source_path=path,
        config_name=config_path,
        name=_run_name(path, "table"),
        path=json.dumps(str(path), ensure_ascii=False),
        target=_yaml_text(target),
        target_how=how,
        target_comment=(
            f"{len(names)} classes: {_listed(names)}" if names else "numbers: a regression"
        ),
        feature_lines=features,
        output_layer=(
            f"{{units: {len(names)}, activation: softmax}}   # one unit per class"
            if names
            else "{units: 1}                  # one number: the predicted value"
        ),
        loss="sparse_categorical_crossentropy   # targets are class indices"
        if names
        else "mse                     # mean squared error",
        metric="accuracy" if names else "mae",
    )
    what = f"{len(names)} classes ({_listed(names)})" if names else "a regression"
    rows = len(data.y_train) + (0 if data.y_test is None else len(data.y_test))
    return text, f"{rows} rows, {len(data.features)} features, target {target}: {what}"


def _starter_text(path: Path, config_path: Path, target: str | None) -> tuple[str, str]:
    has_train = (path / "train").is_dir()
    # Every class folder and file is checked as training will (UTF-8, the same classes).
    folders = check_text_folder(
        DataConfig.model_validate(
            {"source": "text", "path": str(path), **({} if has_train else {"test": {"split": 0.2}})}
        )
    )
    names = list(folders.class_names)
    layout = (
        ""
        if not has_train
        else "            # train/, test/"
        + (", val/" if folders.val else "")
        + " each hold the class folders"
    )
    text = init_templates.TEXT.format(
        source_path=path,
        config_name=config_path,
        name=_run_name(path, "texts"),
        path=json.dumps(str(path), ensure_ascii=False),
        layout_comment=layout,
        test_line=""
        if has_train
        else "  test: {split: 0.2}           # 20% of the files held "
        "out for the final test (the same ones every run)\n",
        validation_line=""
        if folders.val
        else "  validation: {split: 0.2}     # 20% of the "
        "training files checked after each epoch\n",
        classes=len(names),
        class_list=_listed(names),
    )
    return text, f"{len(names)} classes ({_listed(names)})"


# Kind of data (`data_kind`) -> the function that writes its starter: `(text, summary)`.
STARTERS: dict[str, Callable[[Path, Path, str | None], tuple[str, str]]] = {
    "images": _starter_images,
    "csv": _starter_csv,
    "text": _starter_text,
}


def _check(text: str, out: Path) -> None:
    """Validates a starter through `kerascli train`'s own loader, before it is written: a
    template bug is not the user's to find."""
    try:
        load_config_text(text, out)
    except ConfigError as error:
        raise ConfigError(
            str(out),
            f"the starter config does not validate: {error.format()}",
            "please report this as a kerascli bug",
        ) from None


def write_starter(
    data_path: str | Path, out: str | Path = "kerascli.yaml", target: str | None = None
) -> Starter:
    """Writes a commented starter config for the data at `data_path`.

    Args:
        data_path: A folder of class folders of images or of `.txt` files, or a CSV file.
        out: The config file to write. Defaults to `kerascli.yaml`.
        target: A CSV table's column to predict. Defaults to `None` (its last column).

    Returns:
        The `Starter`: the file written, the kind of data, what was found, the command to run.

    Raises:
        DataError: When the data cannot be used (the first problem training would meet).
        ConfigError: When `out` exists (it is never overwritten) or cannot be written.
    """
    path, out = Path(data_path), Path(out)
    kind = data_kind(path)
    if target is not None and kind != "csv":
        raise ConfigError(
            "--target",
            f"is for CSV tables; {path} holds {kind}",
            "the class folders' names are the classes",
        )
    if out.exists():
        raise ConfigError(
            str(out),
            "already exists; kerascli init never overwrites a file",
            "choose another --out, or move the file away",
        )
    text, summary = STARTERS[kind](path, out, target)
    _check(text, out)
    try:
        atomic_write_text(out, text, exclusive=True)
    except FileExistsError:
        raise ConfigError(
            str(out),
            "already exists; kerascli init never overwrites a file",
            "choose another --out, or move the file away",
        ) from None
    except OSError as error:
        raise ConfigError(str(out), f"cannot write: {error.strerror}") from None
    return Starter(out, kind, summary, f"kerascli train {out}")
