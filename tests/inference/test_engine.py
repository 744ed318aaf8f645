"""The one "export or Keras" decision of predict, serve and sample, on a real (hand-built) ONNX
classifier: each reason to use Keras, in one line, and the export used when it can be."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kerascli.errors import RunError
from kerascli.inference import formats
from kerascli.inference.engine import choose_engine
from kerascli.inference.exported import exported_generator, exported_predictor
from kerascli.inference.formats import ExportFormat

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

MODEL_BYTES = b"the run's model.keras (only its digest matters here)"
IMAGE_INPUT = {
    "kind": "image",
    "height": 4,
    "width": 4,
    "channels": 1,
    "dark_background": False,
    "preprocess": {"reshape": None, "scale": 255.0, "range": None},
}


def onnx_classifier(path: Path) -> np.ndarray:
    """A 4x4 one-channel image classifier of 3 classes (a linear layer and a softmax), as ONNX;
    returns its weights."""
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["x", "flat_shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4, 4, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array([-1, 16], np.int64), "flat_shape"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return weights


def manifest(**formats_present) -> dict:
    return {
        "version": 1,
        "exported": "2026-12-01T10:00:00Z",
        "keras": "3.15.0",
        "networks": {
            "model": {
                "kind": "classifier",
                "source_sha256": hashlib.sha256(MODEL_BYTES).hexdigest(),
                "tensor": {"shape": [None, 4, 4, 1], "dtype": "float32"},
                "input": copy.deepcopy(IMAGE_INPUT),
                "class_names": ["a", "b", "c"],
                "formats": {
                    name: {"file": file, "bytes": 1} for name, file in formats_present.items()
                },
            }
        },
    }


@pytest.fixture
def run_dir(tmp_path) -> Path:
    run = tmp_path / "run"
    (run / "export").mkdir(parents=True)
    (run / "model.keras").write_bytes(MODEL_BYTES)
    onnx_classifier(run / "export" / "model.onnx")
    return run


def write_manifest(run: Path, data) -> None:
    (run / "export" / "manifest.json").write_text(json.dumps(data))


def without_runtimes(monkeypatch, *members: ExportFormat) -> None:
    """As if the runtimes of `members` were not installed."""
    for member in members:
        item = formats.FORMATS[member]
        monkeypatch.setitem(formats.FORMATS, member, replace(item, package=f"no_{member.value}"))


def test_a_current_onnx_export_is_used_and_answers_as_its_weights_say(run_dir):
    weights = onnx_classifier(run_dir / "export" / "model.onnx")
    write_manifest(run_dir, manifest(onnx="model.onnx", saved_model="model.savedmodel"))

    choice = choose_engine(run_dir)

    assert not choice.keras and choice.reason is None and choice.note("predicting") is None
    assert choice.exported.export_format is ExportFormat.ONNX
    assert choice.exported.runtime.engine == "onnx"
    classifier = exported_predictor(choice.exported)
    pixels = np.random.default_rng(1).integers(0, 256, (5, 4, 4, 1)).astype(np.uint8)
    logits = (pixels.reshape(5, 16) / 255.0) @ weights
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(classifier.outputs(pixels / 255.0), expected, atol=1e-5)
    ranked = classifier.rank([f"{i}.png" for i in range(5)], pixels, top_k=3, invert="no")
    assert [p.class_name for p in ranked] == [["a", "b", "c"][i] for i in expected.argmax(1)]


def stale(data: dict) -> dict:
    data = copy.deepcopy(data)
    data["networks"]["model"]["source_sha256"] = "0" * 64
    return data


@pytest.mark.parametrize(
    "data, hidden, reason",
    [
        (None, (), None),  # never exported: Keras, silently
        (manifest(saved_model="model.savedmodel"), (), None),  # needs TensorFlow anyway
        (stale(manifest(onnx="model.onnx")), (),
         "the export in {export} is older than model.keras"),
        ("{", (), "{export}/manifest.json: unreadable: Expecting property name enclosed in double "
         "quotes: line 1 column 2 (char 1) (export the run again)"),
        (manifest(onnx="model.onnx"), (ExportFormat.ONNX,),
         "no_onnx is not installed (pip install kerascli[onnx])"),
        (manifest(onnx="model.onnx", litert="model.tflite"),
         (ExportFormat.ONNX, ExportFormat.LITERT),
         "no_onnx or no_litert is not installed (pip install kerascli[onnx] or kerascli[litert])"),
    ],
)  # fmt: skip
def test_each_reason_to_use_keras_is_one_line(run_dir, monkeypatch, data, hidden, reason):
    if isinstance(data, str):
        (run_dir / "export" / "manifest.json").write_text(data)
    elif data is not None:
        write_manifest(run_dir, data)
    without_runtimes(monkeypatch, *hidden)

    choice = choose_engine(run_dir)

    assert choice.keras and choice.exported is None
    expected = reason.format(export=run_dir / "export") if reason else None
    assert choice.reason == expected
    assert choice.note("serving") == (f"serving with Keras: {expected}" if expected else None)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda entry: entry.update(input={"kind": "painting"}),
         "the export takes 'painting' inputs, which this kerascli cannot prepare "
         "(export the run again)"),
        (lambda entry: entry["input"].pop("height"),
         "the export's input description is damaged ('height') (export the run again)"),
    ],
)  # fmt: skip
def test_a_current_export_that_is_damaged_is_an_error(run_dir, change, message):
    data = manifest(onnx="model.onnx")
    change(data["networks"]["model"])
    write_manifest(run_dir, data)

    with pytest.raises(RunError) as raised:
        choose_engine(run_dir)

    assert raised.value.format() == f"{run_dir / 'export'}: {message}"


def test_an_exported_file_its_runtime_refuses_is_an_error(run_dir):
    (run_dir / "export" / "model.onnx").write_bytes(b"not an onnx model")
    write_manifest(run_dir, manifest(onnx="model.onnx"))

    with pytest.raises(RunError) as raised:
        choose_engine(run_dir)

    assert raised.value.format().startswith(
        f"{run_dir / 'export' / 'model.onnx'}: onnxruntime cannot load it: "
    )
    assert raised.value.format().endswith("(export the run again)")


def test_an_export_of_another_kind_is_refused_by_what_uses_it(run_dir):
    write_manifest(run_dir, manifest(onnx="model.onnx"))
    exported = choose_engine(run_dir).exported

    with pytest.raises(RunError) as raised:
        exported_generator(exported)

    assert raised.value.format() == (
        f"{run_dir / 'export'}: the export is not a generator's (export the run again)"
    )
