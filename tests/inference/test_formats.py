"""The export formats' registry: one entry per format, each fact about it read from there."""

from __future__ import annotations

import importlib.util

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.errors import ConfigError
from kerascli.inference.formats import (
    DEFAULT_FORMAT,
    FORMATS,
    ExportFormat,
    format_help,
    parse_format,
    parse_formats,
    spec,
)

# format, model file, generator file, keras' name, fixed batch, TF-free runtime package, extra
TABLE = [
    (ExportFormat.ONNX, "model.onnx", "generator.onnx", "onnx", None, "onnxruntime", "onnx"),
    (
        ExportFormat.LITERT,
        "model.tflite",
        "generator.tflite",
        "litert",
        1,
        "ai_edge_litert",
        "litert",
    ),
    (
        ExportFormat.SAVED_MODEL,
        "model.savedmodel",
        "generator.savedmodel",
        "tf_saved_model",
        None,
        None,
        None,
    ),
]


def test_every_format_has_one_entry_and_the_table_covers_them_all():
    assert list(FORMATS) == list(ExportFormat)
    assert [row[0] for row in TABLE] == list(ExportFormat)
    for member, entry in FORMATS.items():
        assert entry.format is member


@pytest.mark.parametrize("member, model, generator, keras_format, batch, package, extra", TABLE)
def test_each_format_entry(member, model, generator, keras_format, batch, package, extra):
    entry = spec(member.value)

    assert entry is FORMATS[member] is spec(member)
    assert entry.file() == model and entry.file("generator") == generator
    assert entry.keras_format == keras_format
    assert entry.fixed_batch == batch
    assert entry.package == package and entry.extra == extra
    assert entry.runs_without_tensorflow is (package is not None)
    assert entry.installed() is (package is not None and bool(importlib.util.find_spec(package)))
    assert str(member) == member.value and parse_format(member.value) is member
    if package is None:
        with pytest.raises(ValueError, match="has no runtime without TensorFlow"):
            entry.load(model)
    else:
        assert entry.install_hint() == f"pip install kerascli[{extra}]"


def test_predict_tries_onnx_first():
    """ONNX's session takes any batch and many threads: it is preferred over LiteRT."""
    usable = [entry.format for entry in FORMATS.values() if entry.runs_without_tensorflow]
    assert usable == [ExportFormat.ONNX, ExportFormat.LITERT]
    assert DEFAULT_FORMAT is ExportFormat.ONNX


@pytest.mark.parametrize(
    "values, expected",
    [
        (None, [ExportFormat.ONNX]),
        ([], [ExportFormat.ONNX]),
        (["litert"], [ExportFormat.LITERT]),
        (["onnx,litert", "onnx"], [ExportFormat.ONNX, ExportFormat.LITERT]),
        ([" saved_model , onnx"], [ExportFormat.SAVED_MODEL, ExportFormat.ONNX]),
        (["onnx,,litert"], [ExportFormat.ONNX, ExportFormat.LITERT]),
    ],
)
def test_format_lists(values, expected):
    assert parse_formats(values) == expected


@pytest.mark.parametrize(
    "values, message",
    [
        (["tflite"], "--format: unknown format 'tflite' (use onnx, litert, saved_model)"),
        (["onnx,torch"], "--format: unknown format 'torch' (use onnx, litert, saved_model)"),
        (["ONNX"], "--format: unknown format 'ONNX' (use onnx, litert, saved_model)"),
    ],
)
def test_unknown_formats_are_one_line(values, message):
    with pytest.raises(ConfigError) as raised:
        parse_formats(values)
    assert raised.value.format() == message


def test_the_cli_help_lists_every_format_from_the_registry():
    assert all(f"{member.value}: {FORMATS[member].summary}" in format_help() for member in FORMATS)
    result = CliRunner().invoke(app, ["export", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    flat = " ".join(result.output.replace("│", " ").split())
    for entry in FORMATS.values():
        assert entry.format.value in flat and entry.summary.split(",")[0] in flat
