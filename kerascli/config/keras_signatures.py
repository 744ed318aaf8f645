"""Layer constructor arguments, read from Keras' source without importing Keras.

Follows the imports `keras_names` reads to each class's own source and takes the arguments, their
literal defaults and their docstring lines from its `__init__` (for `kerascli schema`).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, replace
from typing import Any

from kerascli.config.keras_names import layer_names, module_tree, namespace_imports

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
    for line in lines[stripped.index("Args:") + 1 :]:
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
    tree = module_tree(module)
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
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (node.func.attr == "__init__")
            and any(
                keyword.arg is None
                and isinstance(keyword.value, ast.Name)
                and keyword.value.id == kwarg
                for keyword in node.keywords
            )
        ):
            return node
    return None


def _popped_keywords(init: ast.FunctionDef) -> set[str]:
    """Keyword arguments `__init__` takes out of `**kwargs` by hand
    (`kwargs.pop("input_shape")`)."""
    kwarg = init.args.kwarg.arg if init.args.kwarg else None
    return {
        node.args[0].value
        for node in ast.walk(init)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("pop", "get")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == kwarg
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return _NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNREADABLE


def _signature(module: str, cls: ast.ClassDef, depth: int = 0) -> Signature:
    docs = _docstring_arguments(ast.get_docstring(cls))
    init = next(
        (
            node
            for node in cls.body
            if isinstance(node, ast.FunctionDef) and node.name == "__init__"
        ),
        None,
    )
    bases = [_find_class(module, base.id) for base in cls.bases if isinstance(base, ast.Name)]
    if init is None:  # inherited as it is
        base = next((found for found in bases if found), None)
        if base is None or depth > 10:
            return Signature({}, complete=False)
        inherited = _signature(*base, depth + 1)
        return Signature(
            {
                name: Argument(arg.default, docs.get(name, arg.doc))
                for name, arg in inherited.arguments.items()
            },
            inherited.complete,
        )
    positional = [*init.args.posonlyargs, *init.args.args][1:]  # without self
    defaults = [None] * (len(positional) - len(init.args.defaults)) + list(init.args.defaults)
    pairs = [*zip(positional, defaults), *zip(init.args.kwonlyargs, init.args.kw_defaults)]
    arguments = {
        arg.arg: Argument(_literal(default), docs.get(arg.arg, "")) for arg, default in pairs
    }
    for name in sorted(_popped_keywords(init) - set(arguments)):
        arguments[name] = Argument(_UNREADABLE, docs.get(name, ""))
    if init.args.kwarg is None:
        return Signature(arguments, complete=True)
    call = _forwarding_call(init)
    if call is None:  # **kwargs not passed on: only what __init__ reads from them
        return Signature(arguments, complete=True)
    # `_forwarding_call` only returns calls of an attribute (`<target>.__init__(...)`).
    assert isinstance(call.func, ast.Attribute)
    target = call.func.value
    if isinstance(target, ast.Name) and target.id != "super":
        base = _find_class(module, target.id)
    else:  # super().__init__(...)
        base = next((found for found in bases if found), None)
    if base is None or depth > 10:
        return Signature(arguments, complete=False)
    inherited = _signature(*base, depth + 1)
    given = {keyword.arg for keyword in call.keywords if keyword.arg}
    skipped = list(inherited.arguments)[: len(call.args)]  # filled positionally by the call
    for name, arg in inherited.arguments.items():
        if name not in arguments and name not in given and name not in skipped:
            arguments[name] = Argument(arg.default, docs.get(name, arg.doc))
    return Signature(arguments, inherited.complete)


@functools.cache
def layer_signature(name: str) -> Signature | None:
    """The constructor arguments of one layer a config may name, or `None` when unknown."""
    imports = namespace_imports("layers")
    if name not in layer_names() or name not in imports:
        return None
    located = _find_class(*imports[name])
    return None if located is None else _signature(*located)


@functools.cache
def layer_signatures() -> dict[str, Signature]:
    """The constructor arguments of every layer a config may name, read from Keras' source.

    Returns:
        A `Signature` per layer name (`layer_names`); a layer whose class could not be found is
        left out.
    """
    imports = namespace_imports("layers")
    found = {}
    for name in sorted(layer_names()):
        located = _find_class(*imports[name])
        if located is not None:
            summary = (ast.get_docstring(located[1]) or "").strip().split("\n")[0]
            found[name] = replace(_signature(*located), summary=summary)
    return found
