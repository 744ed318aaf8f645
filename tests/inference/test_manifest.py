"""The export manifest as a typed record: what today's exports wrote still loads, a damaged one is
one line naming where, and an export older than its model is never current."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from kerascli.errors import RunError
from kerascli.inference.formats import ExportFormat
from kerascli.inference.manifest import (
    ExportedFile,
    ExportManifest,
    NetworkExport,
    NetworkKind,
    TensorSpec,
    current_export,
    manifest_path,
    read_manifest,
    write_manifest,
)

MODEL_BYTES = b"not a real model: only its digest matters here"
# A manifest as `kerascli export` wrote it before the record was typed (a classifier and a GAN's
# generator), key for key.
WRITTEN_BEFORE = {
    "version": 1,
    "exported": "2026-12-01T10:00:00Z",
    "keras": "3.15.0",
    "networks": {
        "model": {
            "kind": "classifier",
            "source_sha256": hashlib.sha256(MODEL_BYTES).hexdigest(),
            "tensor": {"shape": [None, 28, 28, 1], "dtype": "float32"},
            "input": {
                "kind": "image",
                "height": 28,
                "width": 28,
                "channels": 1,
                "dark_background": True,
                "preprocess": {"reshape": [28, 28, 1], "scale": 255.0, "range": None},
            },
            "class_names": [str(digit) for digit in range(10)],
            "formats": {
                "onnx": {"file": "model.onnx", "bytes": 1234},
                "saved_model": {"file": "model.savedmodel", "bytes": 5678},
            },
        },
        "generator": {
            "kind": "generator",
            "source_sha256": "0" * 64,
            "tensor": {"shape": [None, 8], "dtype": "float32"},
            "input": {"kind": "noise", "latent_dim": 8},
            "output": {"preprocess": {"reshape": None, "scale": None, "range": [-1.0, 1.0]}},
            "formats": {"litert": {"file": "generator.tflite", "bytes": 99}},
        },
    },
}


def write_run(tmp_path: Path, manifest) -> Path:
    run_dir = tmp_path / "run"
    (run_dir / "export").mkdir(parents=True)
    (run_dir / "model.keras").write_bytes(MODEL_BYTES)
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    manifest_path(run_dir).write_text(text)
    return run_dir


def test_a_manifest_written_before_the_record_loads(tmp_path):
    manifest = read_manifest(write_run(tmp_path, WRITTEN_BEFORE))

    model, generator = manifest.networks["model"], manifest.networks["generator"]
    assert model.kind is NetworkKind.CLASSIFIER
    assert model.tensor.shape == [None, 28, 28, 1]
    assert model.input == WRITTEN_BEFORE["networks"]["model"]["input"]
    assert model.class_names[3] == "3" and model.output is None
    assert set(model.formats) == {ExportFormat.ONNX, ExportFormat.SAVED_MODEL}
    assert model.formats[ExportFormat.ONNX] == ExportedFile(file="model.onnx", bytes=1234)
    assert generator.kind is NetworkKind.GENERATOR
    assert generator.output.preprocess.range == [-1.0, 1.0]
    assert generator.class_names is None


def test_write_then_read_gives_the_same_record(tmp_path):
    entry = NetworkExport(
        kind=NetworkKind.REGRESSOR,
        source_sha256="a" * 64,
        tensor=TensorSpec(shape=[None, 4], dtype="float32"),
        input={"kind": "table", "features": {"x": "numeric"}, "columns": []},
        formats={ExportFormat.LITERT: ExportedFile(file="model.tflite", bytes=10)},
    )
    manifest = ExportManifest(exported="2026-12-01T10:00:00Z", keras="3.15.0")
    manifest.networks["model"] = entry
    run_dir = tmp_path / "run"
    (run_dir / "export").mkdir(parents=True)

    write_manifest(manifest_path(run_dir), manifest)

    assert read_manifest(run_dir) == manifest
    written = json.loads(manifest_path(run_dir).read_text())
    assert written["version"] == 1
    assert written["networks"]["model"]["formats"] == {
        "litert": {"file": "model.tflite", "bytes": 10}
    }


def test_a_run_without_an_export_has_no_manifest(tmp_path):
    assert read_manifest(tmp_path) is None
    assert current_export(tmp_path) == (None, None)


def damaged(change) -> dict:
    manifest = copy.deepcopy(WRITTEN_BEFORE)
    change(manifest)
    return manifest


@pytest.mark.parametrize(
    "manifest, message",
    [
        ("{not json", "unreadable: Expecting property name enclosed in double quotes: line 1 "
         "column 2 (char 1) (export the run again)"),
        ([1, 2], "not an export manifest this kerascli writes (export the run again)"),
        ({**WRITTEN_BEFORE, "version": 2},
         "not an export manifest this kerascli writes (export the run again)"),
        (damaged(lambda m: m["networks"]["model"].update(kind="painter")),
         "damaged at networks.model.kind: Input should be 'classifier', 'regressor' or "
         "'generator' (export the run again)"),
        (damaged(lambda m: m["networks"]["model"]["formats"].update(torch={"file": "x"})),
         "damaged at networks.model.formats.torch.[key]: Input should be 'onnx', 'litert' or "
         "'saved_model' (export the run again)"),
        (damaged(lambda m: m["networks"]["model"].pop("tensor")),
         "damaged at networks.model.tensor: Field required (export the run again)"),
        (damaged(lambda m: m["networks"]["model"]["formats"]["onnx"].pop("file")),
         "damaged at networks.model.formats.onnx.file: Field required (export the run again)"),
    ],
)  # fmt: skip
def test_a_damaged_manifest_is_one_line(tmp_path, manifest, message):
    run_dir = write_run(tmp_path, manifest)
    where = f"{manifest_path(run_dir)}: "

    with pytest.raises(RunError) as raised:
        read_manifest(run_dir)

    assert raised.value.format() == where + message
    # predict, serve and sample do not stop on it: they say why, and use Keras.
    assert current_export(run_dir) == (None, where + message)


def test_only_an_export_of_the_current_model_is_current(tmp_path):
    run_dir = write_run(tmp_path, WRITTEN_BEFORE)

    entry, reason = current_export(run_dir)
    assert reason is None and entry.formats[ExportFormat.ONNX].file == "model.onnx"
    stale = f"the export in {run_dir / 'export'} is older than"
    assert current_export(run_dir, "generator") == (None, f"{stale} generator.keras")
    assert current_export(run_dir, "discriminator") == (None, None)

    (run_dir / "model.keras").write_bytes(MODEL_BYTES + b"trained again")
    assert current_export(run_dir) == (None, f"{stale} model.keras")
