"""Calling one graded function and turning what it gives back into plain data.

This module runs on both sides of the sandbox: in the isolated child on the
student's functions, and in the grader on the reference solution, so both are
called and converted the same way. It is generic: it holds no expected values
and imports only the standard library, NumPy, and (lazily, when a call needs
them) TensorFlow and Keras, never `solutions` or other `autograder` modules.

*Plain data* is what may cross the sandbox boundary: NumPy arrays of a numeric,
bool or string dtype; Python ``int``, ``float``, ``bool``, ``str`` and ``None``;
lists, tuples and dicts with ``str`` keys of plain data. `to_plain` converts a
value to it: tensors and variables become arrays, NumPy scalars 0-d arrays, and
anything else (a generator, a function, an object with a custom ``__eq__``) the
marker ``{"__unsupported__": "<type name>", "repr": "<repr cut to 200 chars>"}``,
so no student object is ever trusted or compared as such.

*Adapters* say how a function is called and what is sent back (with
``options["variants"]``, a list of dicts, any adapter sends the list of its
outputs for the call as given and for one more call per variant, its keyword
arguments updated with the variant: to check that seeds reproduce; with
``options["fresh_random_state"]`` true, every one of those calls starts from
the same global random state, as a program run afresh would):

* ``"value"``: ``f(*args, **kwargs)``, its return value;
* ``"inplace"``: ``{"return": ..., "args": [final value of each argument]}``
  (and ``"kwargs"`` when there are keyword arguments), to check in-place updates;
* ``"iterate"``: the list of items of the returned iterable, at most
  ``options["max_items"]`` (default 100 000);
* ``"keras_model"``: a summary of the returned ``keras.Model`` and, with
  ``options["train"]``, its predictions after a short seeded training.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ADAPTERS = ("value", "inplace", "iterate", "keras_model")
DEFAULT_MAX_ITEMS = 100_000
REPR_LIMIT = 200
MAX_DEPTH = 100
#: NumPy dtype kinds that are plain data: bool, integers, floats, complex, strings.
PLAIN_DTYPE_KINDS = "biufcUS"
#: Layer configuration keys reported by the ``"keras_model"`` adapter.
LAYER_CONFIG_KEYS = (
    "units", "activation", "rate", "use_bias", "filters", "kernel_size", "strides",
)


@dataclass(frozen=True)
class Tensor:
    """Argument marker: becomes ``tf.constant(array)`` where the function runs."""

    array: np.ndarray


@dataclass(frozen=True)
class Variable:
    """Argument marker: becomes ``tf.Variable(array)`` where the function runs."""

    array: np.ndarray


@dataclass(frozen=True)
class Function:
    """Argument marker: becomes the Python function `name` that `source` defines.

    For graded functions that take a function, such as a Hessian of ``f``. The
    source comes from the check specification (trusted), never from a
    student; it runs with ``tf`` (TensorFlow) and ``np`` (NumPy) defined.
    """

    source: str
    name: str = "f"


@dataclass(frozen=True)
class Call:
    """One call of a graded function.

    Attributes:
        function: Name of the function in the submission's namespace.
        args: Positional arguments, plain data and `Tensor`/`Variable` markers.
        kwargs: Keyword arguments, the same kinds of values.
        adapter: How to call the function and what to send back (`ADAPTERS`).
        options: Adapter options: JSON-like data, NumPy arrays allowed.
        timeout: Seconds this call may take in the sandbox (default: the
            sandbox's ``case_timeout``), for the odd call that trains a model.
    """

    function: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    adapter: str = "value"
    options: dict = field(default_factory=dict)
    timeout: float | None = None


class AdapterError(ValueError):
    """A function's result does not fit its adapter (its message is shown as is)."""


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


def unsupported(value: Any) -> dict:
    """The marker sent instead of a value that is not plain data."""
    try:
        name = str(type(value).__qualname__)[:REPR_LIMIT]
    except Exception:  # a hostile metaclass
        name = "<unknown type>"
    try:
        text = repr(value)
        text = text[:REPR_LIMIT] if type(text) is str else "<repr is not a str>"
    except BaseException as error:  # noqa: BLE001 - repr is student code
        text = f"<repr failed: {type(error).__name__}>"
    return {"__unsupported__": name, "repr": text}


def _plain_array(array: np.ndarray) -> np.ndarray | dict:
    if array.dtype.kind not in PLAIN_DTYPE_KINDS or array.dtype.fields is not None:
        return unsupported(array)
    if array.dtype.itemsize == 0:
        return unsupported(array)
    return np.array(array, copy=True, subok=False)


def _is_tensor_like(value: Any) -> bool:
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    if not (module.startswith("tensorflow") or module.startswith("keras")):
        return False
    tf = _tf()
    if issubclass(kind, (tf.Tensor, tf.Variable)):
        return True
    return issubclass(kind, _keras().Variable)


def to_plain(value: Any, depth: int = 0) -> Any:
    """Converts a value to plain data (see the module docstring).

    Types are checked with ``type(value)``, not ``isinstance``, so an object
    that lies about its ``__class__`` is not mistaken for a list or an array;
    subclasses of the plain types are converted to the plain type itself.

    Args:
        value: Any value, typically a graded function's result.
        depth: Current nesting depth (callers leave it at 0).

    Returns:
        The plain-data version of `value`.

    Raises:
        ValueError: If `value` is nested more than `MAX_DEPTH` levels deep.
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"the value is nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    if issubclass(kind, np.ndarray):
        return _plain_array(value)
    if issubclass(kind, np.generic):
        return _plain_array(np.asarray(value))
    if issubclass(kind, bool):  # pragma: no cover - bool cannot be subclassed
        return bool(value)
    if issubclass(kind, int):
        return int.__index__(value)
    if issubclass(kind, float):
        return float.__float__(value)
    if issubclass(kind, str):
        return str.__str__(value)
    if issubclass(kind, (list, tuple)):
        iterator = list.__iter__(value) if issubclass(kind, list) else tuple.__iter__(value)
        items = [to_plain(item, depth + 1) for item in iterator]
        return items if issubclass(kind, list) else tuple(items)
    if issubclass(kind, dict):
        items = list(dict.items(value))
        if not all(type(key) is str for key, _ in items):
            return unsupported(value)
        return {key: to_plain(item, depth + 1) for key, item in items}
    if _is_tensor_like(value):
        try:
            array = np.asarray(value.numpy())
        except Exception:
            return unsupported(value)
        return _plain_array(array)
    return unsupported(value)


def materialize(value: Any) -> Any:
    """Turns call arguments into what the function receives.

    `Tensor` and `Variable` markers become ``tf.constant`` and ``tf.Variable``
    and `Function` markers the function they define (also inside lists,
    tuples and dicts), and NumPy arrays are copied so a
    function that changes its inputs cannot change the `Call`.

    Args:
        value: An argument as found in `Call.args` or `Call.kwargs`.

    Returns:
        A fresh structure of the same shape.
    """
    kind = type(value)
    if kind is Function:
        return _define_function(value)
    if kind is Tensor:
        return _tf().constant(value.array)
    if kind is Variable:
        return _tf().Variable(value.array)
    if kind is np.ndarray:
        return value.copy()
    if kind is list:
        return [materialize(item) for item in value]
    if kind is tuple:
        return tuple(materialize(item) for item in value)
    if kind is dict:
        return {key: materialize(item) for key, item in value.items()}
    return value


def _define_function(marker: Function) -> Callable:
    namespace = {"tf": _tf(), "np": np}
    exec(compile(marker.source, f"<function {marker.name}>", "exec"), namespace)  # noqa: S102
    function = namespace.get(marker.name)
    if not callable(function):
        raise ValueError(f"the source of Function {marker.name!r} does not define it")
    return function


def _a_type(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def type_name(value: Any) -> str:
    """The name of `value`'s type, as results report it ("float", "EagerTensor")."""
    try:
        name = type(value).__name__
    except Exception:  # noqa: BLE001 - a hostile metaclass
        return "<unknown type>"
    return name[:REPR_LIMIT] if type(name) is str else "<unknown type>"


def _call_value(function: Callable, call: Call) -> tuple[Any, str]:
    returned = function(*materialize(call.args), **materialize(call.kwargs))
    return to_plain(returned), type_name(returned)


def _call_inplace(function: Callable, call: Call) -> tuple[dict, str]:
    args = materialize(call.args)
    kwargs = materialize(call.kwargs)
    returned = function(*args, **kwargs)
    result = {"return": to_plain(returned), "args": [to_plain(arg) for arg in args]}
    if kwargs:
        result["kwargs"] = {key: to_plain(value) for key, value in kwargs.items()}
    return result, type_name(returned)


def _call_iterate(function: Callable, call: Call) -> tuple[list, str]:
    max_items = call.options.get("max_items", DEFAULT_MAX_ITEMS)
    if type(max_items) is not int or max_items < 0:
        raise ValueError(f"options['max_items'] must be an int >= 0, got {max_items!r}")
    returned = function(*materialize(call.args), **materialize(call.kwargs))
    try:
        iterator = iter(returned)
    except TypeError:
        raise AdapterError(
            f"{call.function} returned {_a_type(returned)}, expected an iterable"
        ) from None
    items = []
    for item in iterator:
        if len(items) >= max_items:
            raise AdapterError(f"{call.function} yielded more than {max_items} items")
        items.append(to_plain(item))
    return items, type_name(returned)


_NOT_JSON = object()


def _json_like(value: Any) -> Any:
    """`value` with tuples as lists, or `_NOT_JSON` (for layer configurations)."""
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else _NOT_JSON
    if type(value) in (list, tuple):
        items = [_json_like(item) for item in value]
        return _NOT_JSON if any(item is _NOT_JSON for item in items) else items
    return _NOT_JSON


def _layer_summary(layer: Any) -> dict:
    try:
        config = layer.get_config()
    except Exception:
        config = {}
    kept = {}
    for key in LAYER_CONFIG_KEYS:
        value = _json_like(config.get(key, _NOT_JSON))
        if value is not _NOT_JSON:
            kept[key] = value
    return {
        "class_name": type(layer).__name__,
        "name": str(layer.name),
        "params": int(layer.count_params()),
        "config": kept,
    }


TRAIN_KEYS = ("x", "y", "x_eval", "epochs", "batch_size", "optimizer", "loss", "seed")
MESSAGE_LIMIT = 2000


def _train_options(options: dict) -> dict:
    train = options["train"]
    if type(train) is not dict:
        raise ValueError("options['train'] must be a dict")
    missing = [key for key in TRAIN_KEYS if key not in train]
    if missing:
        raise ValueError(f"options['train'] lacks {', '.join(missing)}")
    for key in ("optimizer", "loss"):
        value = train[key]
        if type(value) is not dict or type(value.get("class_name")) is not str or type(
            value.get("config", {})
        ) is not dict:
            raise ValueError(
                f"options['train'][{key!r}] must be {{'class_name': str, 'config': dict}}"
            )
    return train


def _keras_object(kind: Any, identifier: dict) -> Any:
    """A Keras optimizer or loss from ``{"class_name": ..., "config": {...}}``."""
    return kind.get({"class_name": identifier["class_name"],
                     "config": dict(identifier.get("config", {}))})


def _train(keras: Any, model: Any, train: dict) -> dict:
    """Trains `model` as the recipe says; its predictions, or what training raised."""
    try:
        model.compile(optimizer=_keras_object(keras.optimizers, train["optimizer"]),
                      loss=_keras_object(keras.losses, train["loss"]))
    except (ValueError, TypeError) as error:  # the recipe itself is wrong: a grader error
        raise ValueError(f"the training recipe is invalid: {error}") from error
    try:
        model.fit(
            np.asarray(train["x"]), np.asarray(train["y"]),
            epochs=int(train["epochs"]), batch_size=int(train["batch_size"]),
            verbose=0, shuffle=True,
        )
        predictions = model.predict(np.asarray(train["x_eval"]), verbose=0)
    except Exception as error:  # noqa: BLE001 - the student's model failed to train
        return {"training_error": {"type": type(error).__name__,
                                   "message": _message_text(error)}}
    return {"predictions": to_plain(np.asarray(predictions))}


def _message_text(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "<message unavailable>"
    return text[:MESSAGE_LIMIT] if type(text) is str else "<message unavailable>"


def _call_keras_model(function: Callable, call: Call) -> tuple[dict, str]:
    keras = _keras()
    options = call.options
    train = _train_options(options) if options.get("train") is not None else None
    if train is not None:
        keras.utils.set_random_seed(int(train["seed"]))
    model = function(*materialize(call.args), **materialize(call.kwargs))
    if not isinstance(model, keras.Model):
        raise AdapterError(
            f"{call.function} returned {_a_type(model)}, expected a keras.Model"
        )
    input_shape = options.get("input_shape")
    output_shape = None
    compiled = bool(getattr(model, "compiled", False))  # as returned, before training
    if input_shape is not None:
        input_shape = [int(size) for size in input_shape]
        dtype = str(options.get("input_dtype", "float32"))
        output = model(np.zeros((2, *input_shape), dtype=dtype))
        output_shape = [int(size) for size in output.shape]
    elif not model.built:
        raise ValueError(
            f"{call.function} returned an unbuilt model and options['input_shape'] is not set"
        )
    summary = {
        "class": type(model).__name__,
        "layers": [_layer_summary(layer) for layer in model.layers],
        "param_count": int(model.count_params()),
        "output_shape": output_shape,
        "compiled": compiled,
    }
    if train is not None and not compiled:
        summary.update(_train(keras, model, train))
    return summary, type_name(model)


_ADAPTER_FUNCTIONS = {
    "value": _call_value,
    "inplace": _call_inplace,
    "iterate": _call_iterate,
    "keras_model": _call_keras_model,
}


def check_call(call: Call) -> None:
    """Checks the parts of a `Call` that do not depend on the function.

    Raises:
        ValueError: If the adapter is unknown or the arguments have the wrong type.
    """
    if type(call.function) is not str or not call.function:
        raise ValueError(f"Call.function must be a non-empty str, got {call.function!r}")
    if call.adapter not in _ADAPTER_FUNCTIONS:
        raise ValueError(
            f"Unknown adapter {call.adapter!r}; known adapters: {', '.join(ADAPTERS)}."
        )
    if type(call.args) not in (tuple, list):
        raise ValueError(f"Call.args must be a tuple, got {type(call.args).__name__}")
    if type(call.kwargs) is not dict or type(call.options) is not dict:
        raise ValueError("Call.kwargs and Call.options must be dicts")
    if call.timeout is not None and not (
        type(call.timeout) in (int, float) and 0 < call.timeout < math.inf
    ):
        raise ValueError(f"Call.timeout must be a positive number or None, got {call.timeout!r}")


def run_call(function: Callable, call: Call) -> Any:
    """Calls `function` as `call` says and returns the result as plain data.

    Args:
        function: The function object (the student's, or the reference's).
        call: What to call it with, and the adapter.

    Returns:
        Plain data, as described for each adapter in the module docstring.

    Raises:
        AdapterError: If the result does not fit the adapter.
        ValueError: If `call` itself is malformed.
        Exception: Whatever `function` raises.
    """
    return run_call_typed(function, call)[0]


def run_call_typed(function: Callable, call: Call) -> tuple[Any, str]:
    """Like `run_call`, also returning the name of the returned object's type.

    The type is that of what the function itself returned, before conversion
    to plain data: "float" for a Python float, "EagerTensor" for a tensor.
    """
    check_call(call)
    fresh = call.options.get("fresh_random_state", False)
    if type(fresh) is not bool:
        raise ValueError(f"options['fresh_random_state'] must be a bool, got {fresh!r}")
    chosen_adapter = _ADAPTER_FUNCTIONS[call.adapter]

    def adapter(function: Callable, call: Call) -> tuple[Any, str]:
        if fresh:
            reset_random_state()
        return chosen_adapter(function, call)

    variants = call.options.get("variants")
    if variants is None:
        return adapter(function, call)
    if type(variants) is not list or not all(type(item) is dict for item in variants):
        raise ValueError("options['variants'] must be a list of dicts of keyword arguments")
    output, returned_type = adapter(function, call)
    outputs = [output]
    for changes in variants:
        again = Call(call.function, call.args, {**call.kwargs, **changes}, call.adapter,
                     call.options, call.timeout)
        outputs.append(adapter(function, again)[0])
    return outputs, returned_type


#: The global seed `reset_random_state` sets.
FRESH_SEED = 0


def reset_random_state() -> None:
    """Puts the global random generators back where a program run afresh finds them.

    The same global seed for Python's `random`, NumPy's legacy generator and, if
    they are imported, TensorFlow's (which also resets the per-op counters of
    ops seeded with ``seed=``) and Keras's: so a function that draws from an op
    seed gives the same values each time, as it would in a new program, while
    a function that ignores its seed gives the same values for every seed.
    """
    if "keras" in sys.modules:  # seeds Python's, NumPy's and TensorFlow's too
        sys.modules["keras"].utils.set_random_seed(FRESH_SEED)
        return
    random.seed(FRESH_SEED)
    np.random.seed(FRESH_SEED)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(FRESH_SEED)
