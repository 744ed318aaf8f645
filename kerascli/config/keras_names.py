"""The names Keras exports, read without importing Keras.

Config errors must be reported before TensorFlow is imported (a `kerascli validate` of a misspelt
layer answers in well under a second), yet the valid names must come from Keras itself rather than
a hand-written table that drifts. Keras' public namespaces (`keras/layers/__init__.py`, ...) are
files generated from its `@keras_export` decorators; parsing them with `ast` gives exactly the public
names of the installed version at the cost of reading a few small files. Following those imports
to the classes' own source gives each layer's constructor arguments the same way (for the JSON
Schema editors use, `json_schema`), so there is one reader of Keras and nothing generated to drift.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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


@functools.lru_cache(maxsize=None)
def _module(module: str) -> ast.Module | None:
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


def _imports(namespace: str) -> dict[str, tuple[str, str]]:
    """The names `keras.<namespace>` exports, each with (module, name) where it is defined."""
    tree = _module(f"keras.{namespace}")
    found = {}
    for node in tree.body if tree is not None else []:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = (node.module, alias.name)
    return found


@functools.lru_cache(maxsize=None)
def _exports(namespace: str) -> frozenset[str]:
    """Returns the names exported by `keras.<namespace>`, e.g. `layers` or `optimizers.schedules`."""
    return frozenset(n for n in _imports(namespace) if not n.startswith("_"))


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
    return _classes("optimizers") - {"Optimizer", "LossScaleOptimizer", "MultiOptimizer",
                                     "OptimizerMap"}


def schedule_names() -> set[str]:
    """Learning-rate schedule classes (`keras.optimizers.schedules`)."""
    return _classes("optimizers.schedules") - {"LearningRateSchedule"}


def loss_names() -> set[str]:
    """Loss classes and functions, with the snake-case and short aliases Keras accepts."""
    names = _exports("losses") - {"Loss", "get", "serialize", "deserialize", "Reduction"}
    return names | {_snake_case(n) for n in names} | _SHORT_NAMES


def metric_names() -> set[str]:
    """Metric classes and functions, with the aliases `compile` accepts."""
    names = _exports("metrics") - {"Metric", "get", "serialize", "deserialize"}
    return names | {_snake_case(n) for n in names} | _SHORT_NAMES | _COMPILE_METRIC_ALIASES


def callback_names() -> set[str]:
    """Callback classes a config may name."""
    return _classes("callbacks") - set(REFUSED_CALLBACKS)


def activation_names() -> set[str]:
    """Activation functions (`relu`, `softmax`, ...)."""
    return set(_exports("activations")) - {"get", "serialize", "deserialize"}


def initializer_names() -> set[str]:
    """Initializer classes and their snake-case aliases."""
    names = _exports("initializers") - {"Initializer", "get", "serialize", "deserialize"}
    return names | {_snake_case(n) for n in names}


def regularizer_names() -> set[str]:
    """Regularizer classes and their aliases (`L2`, `l2`, `L1L2`, `l1_l2`, ...)."""
    return set(_exports("regularizers")) - {"Regularizer", "get", "serialize", "deserialize"}


def constraint_names() -> set[str]:
    """Weight-constraint classes and their aliases (`MaxNorm`, `max_norm`, ...)."""
    return set(_exports("constraints")) - {"Constraint", "get", "serialize", "deserialize"}


# ------------------------------------------------------------------------------------------------
# Layer constructor arguments, read from Keras' source the same way (for `kerascli schema`).

_NO_DEFAULT = object()  # a required argument
_UNREADABLE = object()  # a default that is an expression, not a literal


@dataclass(frozen=True)
class Argument:
    """One constructor argument of a Keras class.

    Args:
        default: Its literal default; `REQUIRED` when it has none, `UNREADABLE` when the default
            is an expression (such as `backend.floatx()`).
        doc: The first line of its description in the class docstring's `Args:` section.
    """

    default: Any
    doc: str = ""


REQUIRED, UNREADABLE = _NO_DEFAULT, _UNREADABLE


@dataclass(frozen=True)
class Signature:
    """The arguments a Keras class' constructor takes.

    Args:
        arguments: Each argument by name, in order.
        complete: Whether these are all it accepts (false when some `**kwargs` go to a class whose
            source could not be followed).
        summary: The first line of the class docstring.
    """

    arguments: dict[str, Argument]
    complete: bool
    summary: str = ""


def _docstring_arguments(doc: str | None) -> dict[str, str]:
    """`name: description` for each entry of a Keras docstring's `Args:` section."""
    found: dict[str, str] = {}
    lines = (doc or "").splitlines()
    stripped = [line.strip() for line in lines]
    if "Args:" not in stripped:
        return found
    indent, current = None, None
    for line in lines[stripped.index("Args:") + 1:]:
        if not line.strip():
            continue
        here = len(line) - len(line.lstrip())
        indent = here if indent is None else indent
        if here < indent:
            break
        entry = re.match(r"(\w+)\s*:\s*(.*)", line.strip())
        if here == indent and entry:
            current = entry.group(1)
            found[current] = entry.group(2)
        elif current is not None:  # a continuation line
            found[current] = f"{found[current]} {line.strip()}".strip()
    return {name: text[:400] for name, text in found.items()}


def _find_class(module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
    """The module and `ClassDef` of `name` as seen from `module`, following imports."""
    tree = _module(module)
    if tree is None or depth > 5:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return module, node
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras"):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _find_class(node.module, alias.name, depth + 1)
    return None


def _forwarding_call(init: ast.FunctionDef) -> ast.Call | None:
    """The call in `__init__` that passes `**kwargs` on (to a base class' `__init__`)."""
    kwarg = init.args.kwarg.arg if init.args.kwarg else None
    for node in ast.walk(init):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr == "__init__") and any(
                keyword.arg is None and isinstance(keyword.value, ast.Name)
                and keyword.value.id == kwarg for keyword in node.keywords):
            return node
    return None


def _popped_keywords(init: ast.FunctionDef) -> set[str]:
    """Keyword arguments `__init__` takes out of `**kwargs` by hand (`kwargs.pop("input_shape")`)."""
    kwarg = init.args.kwarg.arg if init.args.kwarg else None
    return {node.args[0].value for node in ast.walk(init)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("pop", "get") and isinstance(node.func.value, ast.Name)
            and node.func.value.id == kwarg and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return _NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNREADABLE


def _signature(module: str, cls: ast.ClassDef, depth: int = 0) -> Signature:
    docs = _docstring_arguments(ast.get_docstring(cls))
    init = next((node for node in cls.body
                 if isinstance(node, ast.FunctionDef) and node.name == "__init__"), None)
    bases = [_find_class(module, base.id) for base in cls.bases if isinstance(base, ast.Name)]
    if init is None:  # inherited as it is
        base = next((found for found in bases if found), None)
        if base is None or depth > 10:
            return Signature({}, complete=False)
        inherited = _signature(*base, depth + 1)
        return Signature({name: Argument(arg.default, docs.get(name, arg.doc))
                          for name, arg in inherited.arguments.items()}, inherited.complete)
    positional = [*init.args.posonlyargs, *init.args.args][1:]  # without self
    defaults = [None] * (len(positional) - len(init.args.defaults)) + list(init.args.defaults)
    pairs = [*zip(positional, defaults), *zip(init.args.kwonlyargs, init.args.kw_defaults)]
    arguments = {arg.arg: Argument(_literal(default), docs.get(arg.arg, ""))
                 for arg, default in pairs}
    for name in sorted(_popped_keywords(init) - set(arguments)):
        arguments[name] = Argument(_UNREADABLE, docs.get(name, ""))
    if init.args.kwarg is None:
        return Signature(arguments, complete=True)
    call = _forwarding_call(init)
    if call is None:  # **kwargs not passed on: only what __init__ reads from them
        return Signature(arguments, complete=True)
    target = call.func.value
    if isinstance(target, ast.Name) and target.id != "super":
        base = _find_class(module, target.id)
    else:  # super().__init__(...)
        base = next((found for found in bases if found), None)
    if base is None or depth > 10:
        return Signature(arguments, complete=False)
    inherited = _signature(*base, depth + 1)
    given = {keyword.arg for keyword in call.keywords if keyword.arg}
    skipped = list(inherited.arguments)[:len(call.args)]  # filled positionally by the call
    for name, arg in inherited.arguments.items():
        if name not in arguments and name not in given and name not in skipped:
            arguments[name] = Argument(arg.default, docs.get(name, arg.doc))
    return Signature(arguments, inherited.complete)


@functools.lru_cache(maxsize=None)
def layer_signatures() -> dict[str, Signature]:
    """The constructor arguments of every layer a config may name, read from Keras' source.

    Returns:
        A `Signature` per layer name (`layer_names`); a layer whose class could not be found is
        left out.
    """
    imports = _imports("layers")
    found = {}
    for name in sorted(layer_names()):
        located = _find_class(*imports[name])
        if located is not None:
            summary = (ast.get_docstring(located[1]) or "").strip().split("\n")[0]
            found[name] = replace(_signature(*located), summary=summary)
    return found
