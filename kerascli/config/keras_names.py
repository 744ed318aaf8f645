"""The names Keras exports, read without importing Keras.

Config errors must be reported before TensorFlow is imported (a `kerascli validate` of a misspelt
layer answers in well under a second), yet the valid names must come from Keras itself rather than
a hand-written table that drifts. Keras' public namespaces (`keras/layers/__init__.py`, ...) are
files generated from its `@keras_export` decorators; parsing them with `ast` gives exactly the
public names of the installed version at the cost of reading a few small files. Following those
imports to the classes' own source gives each layer's constructor arguments the same way
(`keras_signatures`, for the JSON Schema editors use), so there is one reader of Keras and nothing
generated to drift.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

# Classes that run code the config does not describe (Python callables, SavedModels, foreign
# framework modules): refused, because a config file must never be a way to run code.
REFUSED_LAYERS = {
    "Lambda": "Lambda runs arbitrary Python code",
    "TFSMLayer": "TFSMLayer loads and runs a SavedModel",
    "TorchModuleWrapper": "TorchModuleWrapper runs a PyTorch module",
    "JaxLayer": "JaxLayer runs a JAX function",
    "FlaxLayer": "FlaxLayer runs a Flax module",
}
REFUSED_CALLBACKS = {
    "LambdaCallback": "LambdaCallback runs arbitrary Python code",
    "RemoteMonitor": "RemoteMonitor sends training logs over the network",
    "Callback": "Callback is an abstract base class",
    "CallbackList": "CallbackList is not a callback to configure",
    "History": "kerascli records the history itself",
    "ProgbarLogger": "kerascli shows its own progress display",
    "BackupAndRestore": "kerascli checkpoints every epoch itself (see --resume)",
    "LearningRateScheduler": "it needs a Python function; give compile.optimizer a learning_rate "
    "schedule such as {ExponentialDecay: {...}} instead",
}
# Keras resolves these strings specially in `compile` (compile_utils) rather than by lookup.
_COMPILE_METRIC_ALIASES = {"accuracy", "acc", "crossentropy", "ce"}
# Short names Keras adds to its loss and metric lookup tables (keras/src/losses/__init__.py).
_SHORT_NAMES = {"bce", "mse", "mae", "mape", "msle", "kld", "logcosh", "huber"}


@functools.cache
def module_tree(module: str) -> ast.Module | None:
    """Parses an installed Keras module's source, e.g. `keras.src.layers.core.dense`."""
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(spec.submodule_search_locations[0], *module.split(".")[1:])
    for source in (base.with_suffix(".py"), base / "__init__.py"):
        try:
            return ast.parse(source.read_text(encoding="utf-8"))
        except OSError:
            continue
    return None


def namespace_imports(namespace: str) -> dict[str, tuple[str, str]]:
    """The names `keras.<namespace>` exports, each with (module, name) where it is defined."""
    tree = module_tree(f"keras.{namespace}")
    found = {}
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
    return found


@functools.cache
def _exports(namespace: str) -> frozenset[str]:
    """Returns the names exported by `keras.<namespace>`, e.g. `layers` or
    `optimizers.schedules`."""
    return frozenset(n for n in namespace_imports(namespace) if not n.startswith("_"))


def _classes(namespace: str) -> set[str]:
    return {n for n in _exports(namespace) if n[:1].isupper()}


def _snake_case(name: str) -> str:
    # The same conversion Keras' own `to_snake_case` applies to build its string aliases.
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def available() -> bool:
    """Returns whether Keras' namespaces could be read (if not, name checks are left to Keras)."""
    return bool(_exports("layers"))


def layer_names() -> set[str]:
    """Layer classes a config may name."""
    excluded = {"Layer", "InputSpec", "Input", "InputLayer", "Wrapper"}
    return _classes("layers") - excluded - set(REFUSED_LAYERS)


def application_names() -> set[str]:
    """Pretrained models (`keras.applications`) a layer stack may hold like a layer."""
    return _classes("applications")


def optimizer_names() -> set[str]:
    """Optimizer classes; Keras also accepts them in lower case (`adam`)."""
    return _classes("optimizers") - {
        "Optimizer",
        "LossScaleOptimizer",
        "MultiOptimizer",
        "OptimizerMap",
    }


def schedule_names() -> set[str]:
    """Learning-rate schedule classes (`keras.optimizers.schedules`)."""
    return _classes("optimizers.schedules") - {"LearningRateSchedule"}


def loss_names() -> set[str]:
    """Loss classes and functions, with the snake-case and short aliases Keras accepts."""
    names = set(_exports("losses")) - {"Loss", "get", "serialize", "deserialize", "Reduction"}
    return names | {_snake_case(n) for n in names} | _SHORT_NAMES


def metric_names() -> set[str]:
    """Metric classes and functions, with the aliases `compile` accepts."""
    names = set(_exports("metrics")) - {"Metric", "get", "serialize", "deserialize"}
    return names | {_snake_case(n) for n in names} | _SHORT_NAMES | _COMPILE_METRIC_ALIASES


def callback_names() -> set[str]:
    """Callback classes a config may name."""
    return _classes("callbacks") - set(REFUSED_CALLBACKS)


def activation_names() -> set[str]:
    """Activation functions (`relu`, `softmax`, ...)."""
    return set(_exports("activations")) - {"get", "serialize", "deserialize"}


def initializer_names() -> set[str]:
    """Initializer classes and their snake-case aliases."""
    names = set(_exports("initializers")) - {"Initializer", "get", "serialize", "deserialize"}
    return names | {_snake_case(n) for n in names}


def regularizer_names() -> set[str]:
    """Regularizer classes and their aliases (`L2`, `l2`, `L1L2`, `l1_l2`, ...)."""
    return set(_exports("regularizers")) - {"Regularizer", "get", "serialize", "deserialize"}


def constraint_names() -> set[str]:
    """Weight-constraint classes and their aliases (`MaxNorm`, `max_norm`, ...)."""
    return set(_exports("constraints")) - {"Constraint", "get", "serialize", "deserialize"}
