"""Building Keras objects from specs through Keras' own deserialization."""

from __future__ import annotations

import keras
import pytest

from kerascli.config.schema import CompileConfig, ModelConfig
from kerascli.errors import ConfigError
from kerascli.models.callbacks import build_callbacks
from kerascli.models.compiling import compile_model
from kerascli.models.layers import build_layer, build_model


def test_nested_objects_become_keras_objects():
    layer = build_layer(
        {
            "Dense": {
                "units": 4,
                "kernel_initializer": {"HeNormal": {"seed": 3}},
                "kernel_regularizer": {"L2": {"l2": 0.01}},
                "kernel_constraint": "non_neg",
            }
        },
        ("l",),
    )
    assert isinstance(layer, keras.layers.Dense)
    assert isinstance(layer.kernel_initializer, keras.initializers.HeNormal)
    assert isinstance(layer.kernel_regularizer, keras.regularizers.L2)


def test_wrappers_take_nested_layers():
    model = build_model(
        ModelConfig(
            input_shape=[5, 3],
            layers=[
                {"Bidirectional": {"layer": {"LSTM": {"units": 4, "return_sequences": True}}}},
                {"TimeDistributed": {"layer": {"Dense": {"units": 2}}}},
                "GlobalAveragePooling1D",
                {"Dense": {"units": 1, "activation": "sigmoid"}},
            ],
        )
    )
    assert model.output_shape == (None, 1)
    assert isinstance(model.layers[0], keras.layers.Bidirectional)


def test_rnn_cells_one_or_stacked():
    model = build_model(
        ModelConfig(
            input_shape=[5, 3],
            layers=[
                {
                    "RNN": {
                        "cell": [{"LSTMCell": {"units": 4}}, {"GRUCell": {"units": 6}}],
                        "return_sequences": True,
                    }
                },
                {"RNN": {"cell": {"SimpleRNNCell": {"units": 2}}}},
            ],
        )
    )
    assert model.output_shape == (None, 2)
    assert isinstance(model.layers[0].cell, keras.layers.StackedRNNCells)


def test_any_keras_layer_can_be_named():
    model = build_model(
        ModelConfig(
            input_shape=[8, 8, 3],
            layers=[
                {"Rescaling": {"scale": 0.5}},
                {"SeparableConv2D": {"filters": 4, "kernel_size": 3}},
                "LayerNormalization",
                "GlobalMaxPooling2D",
                {"Dense": {"units": 3}},
            ],
        )
    )
    assert model.output_shape == (None, 3)


def test_functional_model_with_two_inputs_and_outputs():
    model = build_model(
        ModelConfig(
            inputs={"a": [4], "b": [3]},
            layers=[
                {"Dense": {"units": 2, "name": "left", "inputs": "a"}},
                {"Concatenate": {"name": "joined", "inputs": ["left", "b"]}},
                {"Dense": {"units": 1, "name": "out1"}},
                {"Dense": {"units": 2, "name": "out2", "inputs": "joined"}},
            ],
            outputs=["out1", "out2"],
        )
    )
    assert [t.shape[-1] for t in model.outputs] == [1, 2]
    assert [t.name.split(":")[0] for t in model.inputs] == ["a", "b"]


@pytest.mark.parametrize(
    "layers, message",
    [
        ([{"Dense": {"units": 0}}], "model.layers[0].Dense: Received an invalid value for `units`"),
        (
            [{"Dense": {"units": 3, "activaton": "relu"}}],
            "unknown argument 'activaton' (did you mean 'activation'?)",
        ),
        ([{"Conv2D": {"filters": 2, "kernel_size": 3}}], "model.layers[0].Conv2D: does not fit"),
        ([{"Dropout": {"rate": "high"}}], "model.layers[0].Dropout"),
    ],
)
def test_bad_layer_arguments(layers, message):
    with pytest.raises(ConfigError) as caught:
        build_model(ModelConfig(input_shape=[4], layers=layers))
    assert message in caught.value.format()
    assert "\n" not in caught.value.format()


def test_lambda_is_refused_even_past_the_config_checks():
    with pytest.raises(ConfigError, match="Lambda is refused"):
        build_layer({"Lambda": {"function": "x"}}, ("model", "layers", 0))


def test_compile_with_schedule_losses_and_metrics():
    model = build_model(ModelConfig(input_shape=[4], layers=[{"Dense": {"units": 3}}]))
    compile_model(
        model,
        CompileConfig(
            optimizer={
                "SGD": {
                    "momentum": 0.9,
                    "learning_rate": {
                        "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 100}
                    },
                }
            },
            loss={"CategoricalCrossentropy": {"from_logits": True, "label_smoothing": 0.1}},
            metrics=["accuracy", {"TopKCategoricalAccuracy": {"k": 2}}],
        ),
    )
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert isinstance(model.optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)


def test_optimizer_names_are_case_insensitive():
    model = build_model(ModelConfig(input_shape=[4], layers=[{"Dense": {"units": 1}}]))
    compile_model(model, CompileConfig(optimizer="RMSprop", loss="mse"))
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)


def test_callbacks_resolve_files_inside_the_run(tmp_path):
    made = build_callbacks(
        [{"ModelCheckpoint": {"filepath": "best.keras"}}, {"ReduceLROnPlateau": {"factor": 0.5}}],
        tmp_path,
    )
    assert made[0].filepath == str(tmp_path / "best.keras")
    with pytest.raises(ConfigError, match="must stay inside the run directory"):
        build_callbacks([{"ModelCheckpoint": {"filepath": "/tmp/x.keras"}}], tmp_path)
