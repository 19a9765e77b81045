"""Checks of the MLP and dropout assignment (`solutions/mlp.py`).

`dropout_layer` is random, so it is graded by properties of its output (the
fraction zeroed, the scale of the kept elements, the edge rates) and by the
`ValueError` it must raise for a rate outside [0, 1]. `build_mlp` is graded like
the softmax-regression model: structure, then a short training on the same
seeded images (`autograder.specs.softmax_regression.training_images`).
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    Mismatch,
    argument_array,
    array_or_none,
    close_to,
    describe,
)
from autograder.sandbox import Tensor
from autograder.specs.softmax_regression import (
    FLATTEN_HINT,
    activation_of,
    close_for_dtype,
    flat_inputs,
    images_not_flattened,
    keras_options,
    layers_of,
    model_not_flattened,
    model_summary_problem,
    output_activation_problem,
    rows_sum_to_one,
    symptom,
    trained_accuracy_problem,
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([20261123, 200 + seed])


# ---------------------------------------------------------------------------
# relu(X)
# ---------------------------------------------------------------------------
def relu_cases() -> list[Case]:
    rng = _rng(1)
    return [
        Case(
            "small known example",
            (np.array([[-1.0, 0.0, 2.5], [3.0, -0.5, 0.0]], np.float32),),
            expected=np.array([[0.0, 0.0, 2.5], [3.0, 0.0, 0.0]], np.float32),
            public=True,
        ),
        Case(
            "tf.Tensor float32 of shape (4, 5, 3)",
            (Tensor(rng.normal(size=(4, 5, 3)).astype("f4")),),
        ),
        Case("numpy float64 vector", (rng.normal(size=7),)),
        Case("batch of one", (Tensor(rng.normal(size=(1, 8)).astype("f4")),)),
        Case("large magnitudes (1e30)", (Tensor((rng.normal(size=(3, 4)) * 1e30).astype("f4")),)),
    ]


def _relu_is_abs(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    X = argument_array(case.args[0]).astype(np.float64)
    return got is not None and got.shape == X.shape and np.allclose(got, np.abs(X))


def _relu_is_mask(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    X = argument_array(case.args[0]).astype(np.float64)
    return got is not None and got.shape == X.shape and np.array_equal(got, (X > 0) * 1.0)


RELU = FunctionCheck(
    function="relu",
    points=1,
    cases=relu_cases,
    compare=close_to(rtol=1e-6, atol=0.0),
    description="element-wise max(x, 0), same shape and dtype",
    hints=(
        Hint(
            "ReLU is max(x, 0): negative inputs become 0, not their absolute value "
            "(use tf.maximum(X, 0)).",
            _relu_is_abs,
        ),
        Hint("Return the values max(x, 0), not a 0/1 mask of the positive entries.", _relu_is_mask),
    ),
)


# ---------------------------------------------------------------------------
# mlp_forward(X, params)
# ---------------------------------------------------------------------------
def mlp_forward_cases() -> list[Case]:
    rng = _rng(2)

    def params(d, h, q, scale=1.0, dtype=np.float32, tensor=True):
        arrays = [
            rng.normal(0, scale / math.sqrt(d), (d, h)),
            rng.normal(0, 0.1, h),
            rng.normal(0, scale / math.sqrt(h), (h, q)),
            rng.normal(0, 0.1, q),
        ]
        arrays = [array.astype(dtype) for array in arrays]
        return [Tensor(array) for array in arrays] if tensor else arrays

    images = rng.uniform(0, 1, (5, 28, 28)).astype(np.float32)
    big = (rng.normal(size=(4, 30)) * 100).astype(np.float32)
    return [
        Case(
            "small known example, 2 × 2 images",
            (
                np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 2.0], [1.0, 0.0]]], np.float32),
                [
                    np.array(
                        [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]],
                        np.float32,
                    ),
                    np.array([0.0, 0.5, -0.5], np.float32),
                    np.array([[1.0, -1.0], [0.0, 2.0], [3.0, 1.0]], np.float32),
                    np.array([0.5, -1.0], np.float32),
                ],
            ),
            expected=np.array([[2.5, 0.0], [2.0, 4.5]], np.float32),
            public=True,
        ),
        Case(
            "tf.Tensor float32 28 × 28 images, 16 hidden units",
            (Tensor(images), params(784, 16, 10)),
        ),
        Case(
            "numpy float64, already flat",
            (rng.normal(size=(4, 6)), params(6, 5, 3, dtype=np.float64, tensor=False)),
        ),
        Case("batch of one image", (Tensor(images[:1]), params(784, 8, 10))),
        Case("large magnitudes (logits in the thousands)", (Tensor(big), params(30, 20, 4, 10.0))),
    ]


def _forward(case: Case, *, hidden=lambda H: np.maximum(H, 0), output=lambda logits: logits):
    X = flat_inputs(case.args[0])
    W1, b1, W2, b2 = (argument_array(p).astype(np.float64) for p in case.args[1])
    return output(hidden(X @ W1 + b1) @ W2 + b2)


def _forward_matches(**variant):
    def applies(case: Case, got, expected) -> bool:
        got = array_or_none(got)
        wanted = _forward(case, **variant)
        scale = max(1.0, float(np.max(np.abs(wanted))))
        return (
            got is not None
            and got.shape == wanted.shape
            and np.allclose(got, wanted, rtol=1e-3, atol=1e-4 * scale)
        )

    return applies


MLP_FORWARD = FunctionCheck(
    function="mlp_forward",
    points=2,
    cases=mlp_forward_cases,
    compare=close_for_dtype((1e-4, 1e-5), (1e-6, 1e-9), scaled=True),
    description="logits relu(X W1 + b1) W2 + b2 with X flattened to (n, d)",
    hints=(
        Hint(
            "mlp_forward returns logits: leave out the softmax at the end (rows of your "
            "result sum to 1).",
            lambda case, got, expected: rows_sum_to_one(got) and not rows_sum_to_one(expected),
        ),
        Hint(
            "Apply relu to the hidden layer: relu(X W1 + b1), then multiply by W2 and add b2.",
            _forward_matches(hidden=lambda H: H),
        ),
        Hint(
            "The hidden activation is the absolute value: relu is max(x, 0).",
            _forward_matches(hidden=np.abs),
        ),
        Hint(
            "The output layer has no activation: do not apply relu to the logits.",
            _forward_matches(output=lambda logits: np.maximum(logits, 0)),
        ),
        Hint(FLATTEN_HINT, lambda case, got, expected: np.ndim(got) != 2),
        Hint(FLATTEN_HINT, images_not_flattened, on_error=True),
    ),
)


# ---------------------------------------------------------------------------
# dropout_layer(X, rate, seed=None): property checks
# ---------------------------------------------------------------------------
def _nonzero_inputs(rng: np.random.Generator, shape, dtype, scale=1.0) -> np.ndarray:
    """Values of magnitude in [1, 2) times `scale`, random signs: none is zero."""
    magnitudes = rng.uniform(1.0, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return (magnitudes * scale).astype(dtype)


def dropout_cases() -> list[Case]:
    rng = _rng(3)
    small = _nonzero_inputs(rng, (3, 4), np.float32)
    return [
        Case(
            "rate 0.25 on a (100, 100) float32 array, seed 1",
            (_nonzero_inputs(rng, (100, 100), np.float32), 0.25),
            {"seed": 1},
            public=True,
        ),
        Case("rate 0 returns X unchanged", (Tensor(small), 0.0), public=True),
        Case("rate 1 returns zeros", (Tensor(small), 1.0), public=True),
        Case("rate 1.5 raises ValueError", (Tensor(small), 1.5), raises="ValueError", public=True),
        Case("rate -0.1 raises ValueError", (small, -0.1), raises="ValueError"),
        Case(
            "tf.Tensor float64 of shape (40, 50, 5), rate 0.8, no seed",
            (Tensor(_nonzero_inputs(rng, (40, 50, 5), np.float64)), 0.8),
        ),
        Case(
            "numpy float32 (200, 50), rate 0.3, seed 7",
            (_nonzero_inputs(rng, (200, 50), np.float32), 0.3),
            {"seed": 7},
        ),
        Case(
            "batch of one (1, 4000), rate 0.6", (Tensor(_nonzero_inputs(rng, (1, 4000), "f4")), 0.6)
        ),
        Case(
            "large magnitudes (1e6), rate 0.4",
            (Tensor(_nonzero_inputs(rng, (100, 60), np.float32, 1e6)), 0.4),
        ),
    ]


def _dropout_parts(got, case: Case):
    """(X, rate, output) as float64 arrays, or a message when the output is unusable."""
    X = argument_array(case.args[0]).astype(np.float64)
    rate = float(case.args[1])
    array = array_or_none(got)
    if array is None:
        return None, f"dropout_layer should return an array or tensor, got {describe(got)}"
    if array.shape != X.shape:
        return None, f"the result has shape {array.shape}, expected X's shape {X.shape}"
    if np.asarray(got).dtype.kind != "f":
        return None, f"the result has dtype {np.asarray(got).dtype}, expected a float dtype"
    if not np.all(np.isfinite(array)):
        return None, f"the result contains inf or nan (rate {rate:g})"
    return (X, rate, array), None


def zeroed_tolerance(rate: float, size: int) -> float:
    """How far the fraction zeroed may be from `rate`: 5 standard deviations, at least 0.02."""
    return max(0.02, 5.0 * math.sqrt(rate * (1.0 - rate) / size))


def compare_dropout(got, expected, case: Case) -> Mismatch:
    parts, problem = _dropout_parts(got, case)
    if problem:
        return problem
    X, rate, out = parts
    if rate == 0.0:
        if not np.allclose(out, X, rtol=1e-6, atol=0.0):
            return "with rate 0 the result must equal X (nothing is dropped)"
        return None
    if rate == 1.0:
        if np.any(out != 0):
            return "with rate 1 every element must be zeroed"
        return None
    zeroed = out == 0
    kept = ~zeroed
    if np.any(kept) and not np.allclose(out[kept], X[kept] / (1.0 - rate), rtol=1e-5, atol=0.0):
        if np.allclose(out[kept], X[kept], rtol=1e-5, atol=0.0):
            return "the kept elements equal X; they should be X / (1 - rate) (not rescaled)"
        if np.allclose(out[kept], X[kept] * (1.0 - rate), rtol=1e-5, atol=0.0):
            return "the kept elements are X * (1 - rate); they should be X / (1 - rate)"
        return "the kept (non-zero) elements should equal X / (1 - rate)"
    fraction = float(np.mean(zeroed))
    tolerance = zeroed_tolerance(rate, X.size)
    if abs(fraction - rate) > tolerance:
        swapped = abs(fraction - (1.0 - rate)) <= tolerance
        return (
            f"{fraction:.3f} of the elements were zeroed with rate {rate:g}; expected "
            f"{rate:g} ± {tolerance:.3f}" + (" (you keep with probability rate)" if swapped else "")
        )
    return None


DROPOUT = FunctionCheck(
    function="dropout_layer",
    points=3,
    cases=dropout_cases,
    compare=compare_dropout,
    needs_reference=False,
    description="inverted dropout: zero with probability rate, scale the rest by 1/(1 - rate)",
    hints=(
        Hint(
            "Check the rate first: raise ValueError when it is not in [0, 1] "
            "(`if not 0 <= rate <= 1: raise ValueError(...)`).",
            lambda case, got, expected: case.raises == "ValueError",
        ),
        Hint(
            "Divide the kept elements by 1 - rate (inverted dropout), so that the expected "
            "output equals X: mask * X / (1 - rate).",
            symptom(compare_dropout, "not rescaled"),
        ),
        Hint(
            "Divide by 1 - rate instead of multiplying by it.",
            symptom(compare_dropout, "X * (1 - rate)"),
        ),
        Hint(
            "rate is the probability of dropping: keep an element where a uniform draw is "
            ">= rate (kept with probability 1 - rate), not < rate.",
            symptom(compare_dropout, "keep with probability rate"),
        ),
        Hint(
            "With rate 1 return tf.zeros_like(X): dividing by 1 - rate = 0 gives inf or nan.",
            lambda case, got, expected: case.args[1] == 1.0,
        ),
        Hint(
            "With rate 0 return X itself: nothing is dropped.",
            lambda case, got, expected: case.args[1] == 0.0,
        ),
    ),
)


# ---------------------------------------------------------------------------
# build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0): structure and training
# ---------------------------------------------------------------------------
def build_mlp_cases() -> list[Case]:
    return [
        Case("default: 256 hidden units, no dropout, trained briefly", (), public=True),
        Case("64 hidden units, dropout 0.5, trained briefly", (64, 10, 0.5)),
        Case("32 hidden units, 12 outputs, no dropout, trained briefly", (32, 12)),
    ]


def _mlp_arguments(case: Case) -> tuple[int, int, float]:
    names, defaults = ("num_hiddens", "num_outputs", "dropout"), [256, 10, 0.0]
    values = list(case.args) + defaults[len(case.args) :]
    for index, name in enumerate(names):
        values[index] = case.kwargs.get(name, values[index])
    return int(values[0]), int(values[1]), float(values[2])


def _hidden_is_relu(got, dense: dict) -> bool:
    """Whether the hidden Dense layer is followed by a ReLU (its own or a separate layer)."""
    if activation_of(dense) == "relu":
        return True
    layers = got["layers"]
    after = layers[layers.index(dense) + 1 :]
    following = next((layer for layer in after if layer.get("class_name") != "Dropout"), {})
    kind = following.get("class_name")
    return kind == "ReLU" or (
        kind == "Activation" and following.get("config", {}).get("activation") == "relu"
    )


def compare_mlp(got, expected, case: Case) -> Mismatch:
    hiddens, outputs, rate = _mlp_arguments(case)
    problem = model_summary_problem(got)
    if problem:
        return problem
    dense = layers_of(got, "Dense")
    units = [layer.get("config", {}).get("units") for layer in dense]
    if units != [hiddens, outputs]:
        return (
            f"the Dense layers have {units} units, expected [num_hiddens, num_outputs] = "
            f"[{hiddens}, {outputs}]"
        )
    if got["output_shape"] != [2, outputs]:
        return (
            f"on a batch of 2 images of 28 × 28 the model outputs shape {got['output_shape']}, "
            f"expected [2, {outputs}]"
        )
    if not _hidden_is_relu(got, dense[0]):
        return f"the hidden layer has activation {activation_of(dense[0])!r}, expected 'relu'"
    problem = output_activation_problem(got)
    if problem:
        return problem
    dropouts = layers_of(got, "Dropout")
    if rate == 0.0 and dropouts:
        return "with dropout=0 the model should have no Dropout layer"
    if rate > 0.0:
        if len(dropouts) != 1:
            return (
                f"with dropout={rate:g} the model should have 1 Dropout layer, not {len(dropouts)}"
            )
        found = dropouts[0].get("config", {}).get("rate")
        if not isinstance(found, float | int) or not math.isclose(found, rate):
            return f"the Dropout layer has rate {found!r}, expected dropout = {rate:g}"
        layers = got["layers"]
        if not layers.index(dense[0]) < layers.index(dropouts[0]) < layers.index(dense[1]):
            return "the Dropout layer should come between the hidden and the output Dense layer"
    params = 784 * hiddens + hiddens + hiddens * outputs + outputs
    if got["param_count"] != params:
        return f"the model has {got['param_count']:,} parameters, expected {params:,}"
    return trained_accuracy_problem(got, outputs)


BUILD_MLP = FunctionCheck(
    function="build_mlp",
    points=4,
    cases=build_mlp_cases,
    compare=compare_mlp,
    adapter="keras_model",
    options=keras_options(),
    needs_reference=False,
    description="uncompiled Keras MLP: Flatten, Dense(relu), optional Dropout, Dense logits",
    hints=(
        Hint(
            "Add keras.layers.Flatten() before the first Dense layer: without it Dense acts on "
            "the last axis of each 28 × 28 image and the output keeps an extra axis.",
            model_not_flattened,
            on_error=True,
        ),
        Hint(
            "Use the num_hiddens and num_outputs arguments for the units of the two Dense "
            "layers instead of fixed numbers.",
            symptom(compare_mlp, "expected [num_hiddens, num_outputs]"),
        ),
        Hint(
            "Add keras.layers.Dropout(dropout) after the hidden layer when dropout > 0, and no "
            "Dropout layer at all when it is 0.",
            symptom(compare_mlp, "Dropout layer"),
        ),
        Hint(
            "Give the hidden layer a ReLU: keras.layers.Dense(num_hiddens, activation='relu').",
            symptom(compare_mlp, "expected 'relu'"),
        ),
        Hint(
            "Leave the output layer without activation: the model outputs logits, and the loss "
            "(from_logits=True) applies the softmax.",
            symptom(compare_mlp, "logits"),
        ),
    ),
)


SPEC = AssignmentSpec(name="mlp", checks=(RELU, MLP_FORWARD, DROPOUT, BUILD_MLP))
