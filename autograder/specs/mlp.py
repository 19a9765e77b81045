"""Checks of the MLP and dropout assignment (`solutions/mlp.py`).

`dropout_layer` is random, so it is graded by properties of its output (the
fraction zeroed, the scale of the kept elements, a mask drawn per element,
seeds that reproduce) and by the `ValueError` it must raise for a rate outside
[0, 1].
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from autograder.cases import nonzero_values, rng_for, standard_cases
from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    argument_array,
    array_or_none,
    close_to,
    problem,
    seeded,
)
from autograder.feedback import describe
from autograder.models import FLATTEN_HINT, LOGITS_HINT, Layer, ModelExpectation, model_check
from autograder.sandbox import Tensor

# relu(X) -------------------------------------------------------------------------------------
RELU = FunctionCheck(
    "relu", points=1, description="element-wise max(x, 0), same shape and dtype",
    returns=("EagerTensor",),
    cases=standard_cases(
        lambda rng, n, scale: (rng.normal(size=(n, 5, 3)) * scale,), seed=201, batch=4, large=1e30,
        known=[Case("small known example", (np.array([[-1.0, 0, 2.5], [3, -0.5, 0]], "f4"),),
                    expected=np.array([[0.0, 0, 2.5], [3, 0, 0]], "f4"), public=True)]),
    compare=close_to(rtol=1e-6, atol=0.0),
    hints=(
        Hint("ReLU is max(x, 0): negative inputs become 0, not their absolute value "
             "(use tf.maximum(X, 0)).", like=tf.abs),
        Hint("Return the values max(x, 0), not a 0/1 mask of the positive entries.",
             like=lambda X: tf.cast(tf.convert_to_tensor(X) > 0, tf.convert_to_tensor(X).dtype)),
    ),
)


# mlp_forward(X, params) ----------------------------------------------------------------------
def _forward(X, params, hidden=tf.nn.relu, output=tf.identity, flatten=True):
    W1, b1, W2, b2 = (tf.convert_to_tensor(p) for p in params)
    X = tf.cast(tf.reshape(X, (len(X), -1)) if flatten else X, W1.dtype)
    return output(tf.matmul(hidden(tf.matmul(X, W1) + b1), W2) + b2)


def _mlp_inputs(rng, n, scale):
    stds, shapes = (scale / 28, 0.1, scale / 4, 0.1), ((784, 16), 16, (16, 10), 10)
    X = rng.uniform(0, 1, (n, 28, 28))
    return X, [rng.normal(0, std, shape) for std, shape in zip(stds, shapes, strict=True)]


MLP_FORWARD = FunctionCheck(
    "mlp_forward", points=2, description="logits relu(X W1 + b1) W2 + b2, X flattened to (n, d)",
    uses=("relu",), returns=("EagerTensor",),
    cases=standard_cases(_mlp_inputs, seed=202, batch=5, large=100.0, known=[Case(
        "small known example, 2 × 2 images", (
            np.array([[[1, 0], [0, 1]], [[0, 2], [1, 0]]], "f4"), [
            np.array([[1.0, 0, -1], [0, 1, 0], [0, 0, 1], [1, 1, 0]], "f4"),
            np.array([0.0, 0.5, -0.5], "f4"), np.array([[1.0, -1], [0, 2], [3, 1]], "f4"),
            np.array([0.5, -1.0], "f4")]), expected=np.array([[2.5, 0], [2, 4.5]], "f4"),
        public=True)]),
    compare=close_to(rtol=1e-4, atol=1e-5, float64=(1e-6, 1e-9), scaled=True),
    hints=(
        Hint("mlp_forward returns logits: leave out the softmax at the end (rows of your "
             "result sum to 1).", like=lambda X, params: _forward(X, params, output=tf.nn.softmax)),
        Hint("Apply relu to the hidden layer: relu(X W1 + b1), then multiply by W2 and add b2.",
             like=lambda X, params: _forward(X, params, hidden=tf.identity)),
        Hint("The hidden activation is the absolute value: relu is max(x, 0).",
             like=lambda X, params: _forward(X, params, hidden=tf.abs)),
        Hint("The output layer has no activation: do not apply relu to the logits.",
             like=lambda X, params: _forward(X, params, output=tf.nn.relu)),
        Hint("Flatten the images to (n, d) with tf.reshape(X, (tf.shape(X)[0], -1)) before "
             "multiplying by the weights: X arrives as (n, 28, 28) images.",
             like=lambda X, params: _forward(X, params, flatten=False)),
    ),
)


# dropout_layer(X, rate, seed=None): property checks ------------------------------------------
def _dropout_cases():
    rng = rng_for(203)
    small = nonzero_values(rng, (3, 4))
    return [
        Case("rate 0 returns X unchanged", (Tensor(small), 0.0), public=True),
        Case("rate 1 returns zeros", (Tensor(small), 1.0), public=True),
        Case("rate 1.5 raises ValueError", (Tensor(small), 1.5), raises="ValueError", public=True),
        Case("rate 0.25 on a (100, 100) float32 array, seed 1 (twice: the same mask), then seed 2",
             (nonzero_values(rng, (100, 100)), 0.25), {"seed": 1}, public=True,
             options={"variants": [{}, {"seed": 2}]}),
        Case("rate -0.1 raises ValueError", (small, -0.1), raises="ValueError"),
        Case("tf.Tensor float64 of shape (40, 50, 5), rate 0.8, no seed (twice: other masks)",
             (Tensor(nonzero_values(rng, (40, 50, 5), "f8")), 0.8), options={"variants": [{}]}),
        Case("numpy float32 (200, 50), rate 0.3, seed 7", (nonzero_values(rng, (200, 50)), 0.3),
             {"seed": 7}),
        Case("batch of one (1, 4000), rate 0.6", (Tensor(nonzero_values(rng, (1, 4000))), 0.6)),
        Case("large magnitudes (1e6), rate 0.4", (Tensor(nonzero_values(rng, (100, 60), "f4", 1e6)),
                                                  0.4)),
    ]


def zeroed_tolerance(rate: float, size: int) -> float:
    """How far the fraction zeroed may be from `rate`: 5 standard deviations, at least 0.02."""
    return max(0.02, 5.0 * math.sqrt(rate * (1.0 - rate) / size))


def _dropout_problem(out, X: np.ndarray, rate: float):
    if out is None or out.shape != X.shape:
        return problem("shape", path="the result", got=np.shape(out), expected=X.shape)
    if rate in (0.0, 1.0):
        right = np.allclose(out, X, rtol=1e-6, atol=0.0) if rate == 0 else not np.any(out != 0)
        return None if right else problem("dropout.rate_0" if rate == 0 else "dropout.rate_1")
    if not np.all(np.isfinite(out)):
        return problem("not_finite", path="the result", got=describe(out))
    kept = out != 0
    if np.any(kept) and not np.allclose(out[kept], X[kept] / (1 - rate), rtol=1e-5, atol=0):
        for factor, kind in ((1.0, "dropout.not_rescaled"), (1 - rate, "dropout.multiplied")):
            if np.allclose(out[kept], X[kept] * factor, rtol=1e-5, atol=0):
                return problem(kind)
        return problem("dropout.values")
    for axis, size in enumerate(X.shape):
        if size >= 8 and np.array_equal((~kept).all(axis=axis), (~kept).any(axis=axis)):
            return problem("dropout.shared_mask", axis=axis)
    fraction, tolerance = float(np.mean(~kept)), zeroed_tolerance(rate, X.size)
    if abs(fraction - rate) > tolerance:
        swapped = abs(fraction - (1.0 - rate)) <= tolerance
        return problem("dropout.swapped" if swapped else "dropout.fraction", fraction=fraction,
                       rate=rate, tolerance=tolerance)
    return None


def compare_dropout(got, expected, case: Case):
    dtype = argument_array(case.args[0]).dtype
    if isinstance(got, np.ndarray) and got.dtype != dtype:
        return problem("dtype", path="the result", got=str(got.dtype), expected=str(dtype))
    return _dropout_problem(array_or_none(got), argument_array(case.args[0]).astype(np.float64),
                            float(case.args[1]))


DROPOUT = FunctionCheck(
    "dropout_layer", points=3, needs_reference=False, cases=_dropout_cases,
    compare=seeded(compare_dropout, lambda out: np.asarray(out) != 0, "mask"),
    description="inverted dropout: zero with probability rate, scale the rest by 1/(1 - rate)",
    hints=(
        Hint("Check the rate first: raise ValueError when it is not in [0, 1] "
             "(`if not 0 <= rate <= 1: raise ValueError(...)`).", when="did_not_raise"),
        Hint("Divide the kept elements by 1 - rate (inverted dropout), so that the expected "
             "output equals X: mask * X / (1 - rate).", when="dropout.not_rescaled"),
        Hint("Divide by 1 - rate instead of multiplying by it.", when="dropout.multiplied"),
        Hint("rate is the probability of dropping: keep an element where a uniform draw is "
             ">= rate (kept with probability 1 - rate), not < rate.", when="dropout.swapped"),
        Hint("With rate 1 return tf.zeros_like(X): dividing by 1 - rate = 0 gives inf or nan.",
             when="dropout.rate_1"),
        Hint("With rate 0 return X itself: nothing is dropped.", when="dropout.rate_0"),
        Hint("Draw one uniform number per element: tf.random.uniform(tf.shape(X)), not one per "
             "column or row.", when="dropout.shared_mask"),
        Hint("With a seed, draw the mask statelessly so the same seed gives the same mask: "
             "tf.random.stateless_uniform(tf.shape(X), seed=[seed, 0]).",
             when="seed"),
    ),
)


# build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0): structure and training --------------
def _mlp_expectation(num_hiddens, num_outputs, dropout):
    hidden, output = Layer("Dense", units=num_hiddens, activation="relu"), Layer(
        "Dense", units=num_outputs)
    middle = (Layer("Dropout", rate=float(dropout)),) if dropout > 0 else ()
    return ModelExpectation(
        layers=(Layer("Flatten"), hidden, *middle, output), output_shape=(num_outputs,),
        param_count=784 * num_hiddens + num_hiddens + num_hiddens * num_outputs + num_outputs)


BUILD_MLP = model_check(
    "build_mlp", points=4, arguments={"num_hiddens": 256, "num_outputs": 10, "dropout": 0.0},
    expect=_mlp_expectation,
    description="uncompiled Keras MLP: Flatten, Dense(relu), optional Dropout, Dense logits",
    cases=[Case("default: 256 hidden units, no dropout, trained briefly", (), public=True),
           Case("64 hidden units, dropout 0.5, trained briefly", (64, 10, 0.5)),
           Case("32 hidden units, 12 outputs, no dropout, trained briefly", (32, 12))],
    hints=(
        FLATTEN_HINT,
        Hint("Use the num_hiddens and num_outputs arguments for the units of the two Dense "
             "layers instead of fixed numbers.", when="layers.config.units"),
        Hint("Add keras.layers.Dropout(dropout) after the hidden layer when dropout > 0, and no "
             "Dropout layer at all when it is 0.", when=(
                 "layers.missing.Dropout", "layers.extra.Dropout", "layers.config.rate",
                 "layers.order")),
        Hint("Give the hidden layer a ReLU: keras.layers.Dense(num_hiddens, activation='relu').",
             when="layers.config.activation"),
        LOGITS_HINT,
    ),
)


SPEC = AssignmentSpec("mlp", (RELU, MLP_FORWARD, DROPOUT, BUILD_MLP))
