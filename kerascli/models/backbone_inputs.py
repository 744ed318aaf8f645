"""A backbone's own input scaling (`preprocess_input`) as a layer saved inside the model.

Each `keras.applications` family expects its own pixel scaling: `[-1, 1]` for MobileNet and
Inception, caffe-style BGR mean subtraction for ResNet50 and VGG, ImageNet mean and deviation for
DenseNet, none for EfficientNet and ConvNeXt (which rescale inside). Every one of them is a map
`out = x @ K + b` on the colour axis, so it is read from the family's own `preprocess_input`
(probed on the unit colours in float64) rather than from a table that could drift from Keras, and
built from Keras' own layers: `Rescaling` (per-channel scale and offset), or a frozen 3x3 `Dense`
on the colour axis where channels are also reordered (RGB to BGR). Built-in layers load in safe
mode and export to ONNX and LiteRT with the rest of the model, so predict, export and serve
apply the same scaling as training.
"""

from __future__ import annotations

import importlib

import numpy as np

PREPROCESS_SUFFIX = "_preprocess"


def family_map(name: str, channels: int = 3) -> tuple[np.ndarray, np.ndarray] | None:
    """The family's `preprocess_input` as `(K, b)` with `out = x @ K + b`, or `None` for none.

    Args:
        name: The `keras.applications` class, e.g. `MobileNetV2`.
        channels: The input's colour channels. Defaults to 3.

    Returns:
        `(kernel, bias)` in float64, or `None` when the family passes pixels through (or takes
        other than three channels, which ImageNet weights never do).
    """
    import keras

    module = importlib.import_module(getattr(keras.applications, name).__module__)
    preprocess = getattr(module, "preprocess_input", None)
    if preprocess is None or channels != 3:
        return None
    probe = np.concatenate([np.zeros((1, 3)), np.eye(3)]).reshape(4, 1, 1, 3)
    out = np.asarray(preprocess(probe.copy(), data_format="channels_last"), dtype=np.float64)
    out = out.reshape(4, 3)
    bias, kernel = out[0], out[1:] - out[0]
    if np.allclose(kernel, np.eye(3), atol=1e-12) and np.allclose(bias, 0, atol=1e-12):
        return None
    return kernel, bias


def preprocess_layer(name: str, backbone_name: str, channels: int):
    """The layer that applies family `name`'s `preprocess_input`, or `None` when it has none."""
    import keras

    found = family_map(name, channels)
    if found is None:
        return None
    kernel, bias = found
    layer_name = backbone_name + PREPROCESS_SUFFIX
    diagonal = np.diag(kernel)
    if np.allclose(kernel, np.diag(diagonal), atol=1e-12):
        same = np.allclose(diagonal, diagonal[0]) and np.allclose(bias, bias[0])
        scale = float(diagonal[0]) if same else [float(v) for v in diagonal]
        offset = float(bias[0]) if same else [float(v) for v in bias]
        return keras.layers.Rescaling(scale, offset, name=layer_name)
    dense = keras.layers.Dense(
        channels,
        kernel_initializer=keras.initializers.Constant(kernel.astype(np.float32)),
        bias_initializer=keras.initializers.Constant(bias.astype(np.float32)),
        trainable=False,
        name=layer_name,
    )
    return dense


def describe(layer) -> str:
    """What a preprocessing layer does to [0, 255] pixels, in words."""
    if layer is None:
        return "no scaling: it takes the pixels as they come"
    if hasattr(layer, "scale"):
        scale, offset = np.asarray(layer.scale, float), np.asarray(layer.offset, float)
        low, high = offset, 255 * scale + offset
        if low.size == 1:
            return f"scales [0, 255] pixels to [{float(low):.3g}, {float(high):.3g}]"
        return "scales each channel of [0, 255] pixels by the ImageNet mean and deviation"
    return "reorders RGB to BGR and subtracts the ImageNet mean pixel (caffe style)"


def scaling_lines(model, data_preprocess) -> list[str]:
    """One line per backbone of `model` saying what scaling it applies, and a warning when the
    data's preprocessing already rescaled pixels a backbone expects in [0, 255].

    Args:
        model: A built model.
        data_preprocess: The `data.preprocess` section.

    Returns:
        Lines for `kerascli validate`.
    """
    import keras

    lines = []
    layers = list(model.layers)
    rescaled = data_preprocess.scale is not None or data_preprocess.range is not None
    for index, layer in enumerate(layers):
        if not isinstance(layer, keras.Model):
            continue
        before = layers[index - 1] if index else None
        own = (
            before if before is not None and before.name == layer.name + PREPROCESS_SUFFIX else None
        )
        lines.append(f"backbone {layer.name}: {describe(own)}")
        if own is not None and rescaled:
            lines.append(
                f"warning: backbone {layer.name} expects pixels in [0, 255] but data.preprocess "
                "already rescales them (remove data.preprocess.scale/range, or give the "
                "backbone preprocess: none)"
            )
    return lines
