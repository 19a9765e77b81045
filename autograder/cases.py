"""The standard cases of a graded function, generated from one input drawer.

Almost every array function is checked on the same kinds of input: a small
known example (public), tf.Tensor float32 inputs, NumPy float64 inputs, a
batch of one, and large magnitudes. `standard_cases` makes them from a
function that draws the arguments::

    def inputs(rng, n, scale):
        return (rng.normal(size=(n, 5)) * scale,)

    cases = standard_cases(inputs, seed=201, known=[Case(...)], large=1e4)

Case builders several specs share: `linear_problem` (data of a linear
model), `recovery_case` (a training case expecting the true parameters back),
`indexed_examples` (features and labels that say which example they are, for
batches and folds), `softmax_rows` and `nonzero_values`.

The drawer returns the arguments with float64 NumPy arrays for real numbers
and integer arrays for labels; each case converts them: float arrays to the
case's float dtype, integer arrays to int32 (tensors) or int64 (NumPy), and
wraps them as `Tensor` markers where the case is about tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.checks import Case
from autograder.sandbox import Tensor, Variable

Drawer = Callable[[np.random.Generator, int, float], tuple]
"""``inputs(rng, n, scale) -> args``: n examples of magnitude about `scale`."""

SEED_BASE = 20261123


def rng_for(seed: int) -> np.random.Generator:
    """The seeded generator of one function's cases."""
    return np.random.default_rng([SEED_BASE, seed])


def convert(value: Any, dtype: str, tensor: bool) -> Any:
    """An argument with float arrays cast to `dtype`, optionally as `Tensor` markers."""
    if isinstance(value, list | tuple):
        items = [convert(item, dtype, tensor) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Tensor):
        return value
    if isinstance(value, Variable):
        return Variable(convert(value.array, dtype, False))
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            array = value.astype(dtype)
        elif value.dtype.kind in "iu":
            array = value.astype(np.int32 if tensor else np.int64)
        else:
            array = value
        return Tensor(array) if tensor else array
    return value


def standard_cases(
    inputs: Drawer,
    *,
    seed: int,
    known: Sequence[Case] = (),
    batch: int = 8,
    large: float | None = None,
    one: bool = True,
    kwargs: dict | None = None,
    extra: Sequence[Case] = (),
) -> Callable[[], list[Case]]:
    """The cases of one function: `known`, then the generated ones, then `extra`.

    Generated, with inputs drawn by `inputs` from a generator seeded by `seed`:

    * "tf.Tensor float32 inputs, batch of `batch`";
    * "NumPy float64 inputs, batch of `batch`";
    * "batch of one" (tf.Tensor float32);
    * "large magnitudes (`large`)" (tf.Tensor float32), when `large` is given.

    Args:
        inputs: Draws the arguments (see `Drawer`).
        seed: Seed of this function's cases (unique within the assignment).
        known: Hand-written cases, usually public with a literal `expected`.
        batch: The number of examples of the generated cases.
        large: The magnitude of the large-magnitude case; None leaves it out.
        one: Whether to include the batch-of-one case.
        kwargs: Keyword arguments of every generated case.
        extra: More hand-written cases, after the generated ones.

    Returns:
        A function returning the cases (what `FunctionCheck.cases` takes).
    """

    def cases() -> list[Case]:
        rng = rng_for(seed)
        drawn = [
            ("tf.Tensor float32 inputs", "float32", True, batch, 1.0),
            ("NumPy float64 inputs", "float64", False, batch, 1.0),
        ]
        if one:
            drawn.append(("batch of one, tf.Tensor float32", "float32", True, 1, 1.0))
        if large is not None:
            drawn.append((f"large magnitudes (about {large:g}), tf.Tensor float32", "float32",
                          True, batch, float(large)))
        generated = [
            Case(name, convert(tuple(inputs(rng, n, scale)), dtype, tensor), dict(kwargs or {}))
            for name, dtype, tensor, n, scale in drawn
        ]
        return [*known, *generated, *extra]

    return cases


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64: probabilities to draw inputs from (rows sum to 1)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def nonzero_values(rng: np.random.Generator, shape, dtype: str = "float32",
                   scale: float = 1.0) -> np.ndarray:
    """Values of magnitude in [1, 2) times `scale`, random signs: none is zero.

    For property checks that tell zeroed elements from kept ones (dropout).
    """
    return (rng.uniform(1.0, 2.0, shape) * rng.choice([-1.0, 1.0], shape) * scale).astype(dtype)


def linear_problem(rng: np.random.Generator, n: int, d: int, *, b: float, noise: float,
                   w: np.ndarray | None = None, scale: float = 1.0,
                   dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a linear regression problem ``y = X w + b + noise``, y of shape (n, 1).

    X is drawn N(0, scale²) with shape (n, d), then w (when not given) N(0, 1)
    with shape (d, 1), then the noise N(0, noise²); X and y are in `dtype`.
    """
    X = (rng.normal(size=(n, d)) * scale).astype(dtype)
    w = rng.normal(size=(d, 1)) if w is None else w
    return X, (X @ w + b + rng.normal(0, noise, (n, 1))).astype(dtype)


def recovery_case(name: str, data_seed: int, w, b: float, /, *, n: int = 1000,
                  public: bool = False, options: dict | None = None, **kwargs) -> Case:
    """A training case on float32 data made from true parameters, expecting them back.

    The data is `linear_problem` drawn from ``rng_for(data_seed)`` with the
    given `w` (reshaped to (d, 1)), `b` and noise 0.01; the expected output is
    the true ``(w, b)``, for `autograder.checks.parameters_recovered`.
    `kwargs` are the call's keyword arguments (epochs, learning rate, seed...);
    `options` the case's (`Case.options`, e.g. the seed variants of `seeded`).
    """
    w = np.asarray(w, "float32").reshape(-1, 1)
    X, y = linear_problem(rng_for(data_seed), n, len(w), w=w, b=b, noise=0.01)
    return Case(name, (X, y), kwargs, expected=(w, b), public=public, options=options or {})


def indexed_examples(n: int, d: int = 2, *, column: bool = True, tensor: bool = False,
                     dtype: str = "float32") -> tuple:
    """Features and labels whose values say which example they are.

    Row i of the features is ``i*d, ..., i*d + d - 1`` (so ``X[:, 0] // d == i``)
    and label i is ``10 * i``, of shape (n, 1) (`column`) or (n,): a property
    check sees which examples a batch or a fold holds, and whether features and
    labels still go together. As `Tensor` markers when `tensor`.
    """
    features = np.arange(n * d, dtype=dtype).reshape(n, d)
    labels = (np.arange(n, dtype=dtype) * 10).reshape((n, 1) if column else (n,))
    return (Tensor(features), Tensor(labels)) if tensor else (features, labels)
