"""Preprocessing layers in a Sequential stack learn from the training inputs, in stack order."""

from __future__ import annotations

import numpy as np

from kerascli.config.schema import ModelConfig
from kerascli.models.adapting import adapt_preprocessing
from kerascli.models.layers import build_model


def test_normalization_learns_what_the_layers_before_it_produce():
    config = ModelConfig(
        input_shape=[3],
        layers=[{"Rescaling": {"scale": 0.5}}, "Normalization", {"Dense": {"units": 1}}],
    )
    model = build_model(config)
    x = np.random.RandomState(0).normal([10.0, 20.0, 30.0], 2.0, size=(500, 3)).astype("float32")
    assert adapt_preprocessing(model, x) == [model.layers[1].name]
    normalized = np.asarray(model.layers[1](model.layers[0](x)))
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(normalized.std(axis=0), 1.0, atol=1e-2)
    np.testing.assert_allclose(
        np.asarray(model.layers[1].mean).reshape(-1), x.mean(axis=0) * 0.5, rtol=1e-4
    )


def test_a_stack_without_preprocessing_layers_is_left_alone():
    model = build_model(ModelConfig(input_shape=[3], layers=[{"Dense": {"units": 1}}]))
    assert adapt_preprocessing(model, np.zeros((4, 3), "float32")) == []
