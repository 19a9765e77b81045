"""Checks of the softmax-regression assignment (`solutions/softmax_regression.py`)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from autograder.cases import rng_for, softmax_rows, standard_cases
from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    argument_array,
    close_to,
    compare_values,
)
from autograder.models import FLATTEN_HINT, LOGITS_HINT, Layer, ModelExpectation, model_check
from autograder.sandbox import Tensor


def compare_softmax(got, expected, case: Case):
    """Compares within the precision the logits carry: about eps * M for logits of size M."""
    float64 = np.asarray(expected).dtype == np.float64
    magnitude = max(1.0, float(np.max(np.abs(argument_array(case.args[0])))))
    eps = float(np.finfo("f8" if float64 else "f4").eps)
    rtol = (1e-6 if float64 else 2e-4) + 8 * eps * magnitude
    return compare_values(got, expected, rtol=rtol, atol=1e-9 if float64 else 1e-6)


# softmax(X) ----------------------------------------------------------------------------------
SOFTMAX = FunctionCheck(
    "softmax", points=2, description="row-wise softmax, stable for logits up to ±1e4",
    returns=("EagerTensor",),
    cases=standard_cases(
        lambda rng, n, scale: (rng.normal(0, 2, (n, 5)) * scale,), seed=101, large=2e3, known=[
            Case("small known example", (np.array([[1.0, 2, 3], [0, 0, 0]], "f4"),), public=True,
                 expected=np.array([[0.09003057, 0.24472848, 0.66524094], [1 / 3] * 3], "f4")),
            Case("logits of ±1e4 (float32)", (np.array([[1e4, 0, -1e4], [-1e4] * 3, [5e3, 5e3, 0]],
                                                        "f4"),), public=True,
                 expected=np.array([[1.0, 0, 0], [1 / 3] * 3, [0.5, 0.5, 0]], "f4"))]),
    compare=compare_softmax,
    hints=(
        Hint("The result contains inf or nan: tf.exp overflows for large logits and inf / inf is "
             "nan. Subtract each row's maximum first: X - tf.reduce_max(X, axis=1, keepdims=True).",
             when="not_finite"),
        Hint("The columns sum to 1 instead of the rows: reduce over axis=1 (each example's "
             "classes), with keepdims=True, not over axis 0.", like=lambda X: tf.nn.softmax(X, 0)),
        Hint("Each row must sum to 1: divide exp(X) by its row sums, "
             "tf.reduce_sum(X_exp, axis=1, keepdims=True).",
             like=lambda X: tf.exp(X) / tf.reduce_sum(tf.exp(X))),
        Hint("Keep the summed axis: tf.reduce_sum(X_exp, axis=1, keepdims=True) has shape (n, 1) "
             "and divides each row by its own sum; without keepdims the sums of shape (n,) "
             "broadcast along the wrong axis.",
             like=lambda X: tf.exp(X) / tf.reduce_sum(tf.exp(X), axis=1)),
    ),
)


# cross_entropy(y_hat, y) ---------------------------------------------------------------------
def _picked(y_hat, y):
    return tf.gather(y_hat, tf.reshape(tf.cast(y, tf.int32), (-1, 1)), axis=1, batch_dims=1)


CROSS_ENTROPY = FunctionCheck(
    "cross_entropy", points=2, description="per-example -log y_hat[i, y[i]], shape (n,)",
    returns=("EagerTensor",),
    cases=standard_cases(
        lambda rng, n, scale: (softmax_rows(rng.normal(0, 2, (n, 5))), rng.integers(0, 5, n)),
        seed=102, known=[Case(
            "small known example", (np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], "f4"),
                                    np.array([2, 0], "i4")),
            expected=np.array([0.5108256, 1.2039728], "f4"), public=True)],
        extra=[Case("tiny probabilities of the true class (float64)", (np.array(
            [[1e-30, 1 - 1e-30, 0], [0.25, 0.25, 0.5], [1e-12, 0.5, 0.5 - 1e-12]]),
            np.array([0, 2, 0])))]),
    compare=close_to(rtol=1e-5, atol=1e-6, float64=(1e-6, 1e-8)),
    hints=(
        Hint("You averaged the losses: return one loss per example, shape (n,); the training "
             "loop takes the mean (do not call tf.reduce_mean here).",
             like=lambda y_hat, y: tf.reduce_mean(-tf.math.log(_picked(y_hat, y)))),
        Hint("You summed the losses: return one loss per example, shape (n,).",
             like=lambda y_hat, y: tf.reduce_sum(-tf.math.log(_picked(y_hat, y)))),
        Hint("The result has shape (n, n): y_hat[:, y] picks every label's column for every "
             "example. Pick one entry per row: tf.gather(y_hat, y[:, None], axis=1, batch_dims=1) "
             "or tf.reduce_sum(y_hat * tf.one_hot(y, q), axis=1).",
             like=lambda y_hat, y: -tf.math.log(tf.gather(y_hat, tf.cast(y, tf.int32), axis=1))),
        Hint("Return one loss per example as a vector of shape (n,) (tf.reshape(..., (-1,))).",
             like=lambda y_hat, y: -tf.math.log(_picked(y_hat, y))),
        Hint("The loss is -log of the probability: you left out the minus.",
             like=lambda y_hat, y: tf.reshape(tf.math.log(_picked(y_hat, y)), (-1,))),
        Hint("The result contains nan: a probability of exactly 0 gives log(0) = -inf, and "
             "one_hot * -inf is 0 * -inf = nan. Pick each example's probability of its true "
             "class first, then take -log of it.", when="not_finite"),
    ),
)


# accuracy(y_hat, y) --------------------------------------------------------------------------
def _accuracy_cases():
    rng = rng_for(103)
    logits = rng.normal(size=(50, 10)).astype("f4")
    labels = logits.argmax(axis=1).astype("i4")
    labels[30:] = rng.integers(0, 10, 20)  # 30 right, and some of the rest by chance
    probabilities = softmax_rows(rng.normal(size=(20, 4)))
    column = rng.integers(0, 4, (20, 1))
    column[:12, 0] = probabilities[:12].argmax(axis=1)
    return [
        Case("small known example (3 of 4 right)", (np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7],
             [0.6, 0.4]], "f4"), np.array([1, 0, 0, 0], "i4")), expected=np.float64(0.75),
             public=True),
        Case("tf.Tensor float32 logits (50, 10), int32 labels", (Tensor(logits), Tensor(labels))),
        Case("float64 probabilities, labels of shape (n, 1)", (probabilities, column)),
        Case("batch of one, wrong prediction", (Tensor(np.array([[0.2, 0.5, 0.3]], "f4")),
                                                Tensor(np.array([2], "i4")))),
    ]


ACCURACY = FunctionCheck(
    "accuracy", points=1, description="fraction of rows whose argmax is the label, a Python float",
    cases=_accuracy_cases, returns=("float", "float64"),
    compare=close_to(rtol=1e-6, atol=1e-6, dtype="any"),
    hints=(
        Hint("You returned the number of correct predictions: divide it by the number of "
             "examples (or take tf.reduce_mean of the matches) to get a fraction.",
             like=lambda y_hat, y: float(np.sum(np.argmax(y_hat, 1) == np.ravel(y)))),
        Hint("Labels of shape (n, 1) compared with predictions of shape (n,) broadcast to (n, n): "
             "reshape y to (n,) first (tf.reshape(y, (-1,))).",
             like=lambda y_hat, y: float(np.mean(np.argmax(y_hat, 1) == np.asarray(y)))),
        Hint("Take the argmax over axis 1, the classes of each example, not over axis 0.",
             like=lambda y_hat, y: float(tf.reduce_mean(tf.cast(tf.argmax(y_hat, 0) == tf.cast(
                 tf.reshape(y, (-1,)), tf.int64), tf.float64)))),
        Hint("Return a single Python float: float(tf.reduce_mean(tf.cast(matches, tf.float64))).",
             when="returned_type"),
    ),
)


# softmax_regression(X, W, b) -----------------------------------------------------------------
def _flat_logits(X, W, b):
    return tf.reshape(tf.cast(X, W.dtype), (len(X), -1)) @ W + tf.cast(b, W.dtype)


SOFTMAX_REGRESSION = FunctionCheck(
    "softmax_regression", points=2, description="softmax(X W + b) with X flattened to (n, d)",
    uses=("softmax",), returns=("EagerTensor",),
    cases=standard_cases(
        lambda rng, n, scale: (rng.uniform(0, 1, (n, 28, 28)), rng.normal(0, 0.05 * scale,
                               (784, 10)), rng.normal(0, 0.1, 10)), seed=104, batch=6, large=2e3,
        known=[Case("small known example, 2 × 2 images", (
            np.array([[[1.0, 0], [0, 1]], [[0, 2], [1, 0]]], "f4"),
            np.array([[1.0, 0, -1], [0, 1, 0], [0, 0, 1], [1, 1, 0]], "f4"),
            np.array([0.0, 0.5, -0.5], "f4")), public=True, expected=np.array(
                [[0.610975, 0.3705751, 0.018449849], [0.067425355, 0.82140905, 0.11116562]],
                "f4"))]),
    compare=lambda got, expected, case: compare_softmax(got, expected, Case(
        case.name, (_flat_logits(*map(argument_array, case.args)).numpy(),))),
    hints=(
        Hint("You returned the logits X W + b: apply your softmax to them, the model outputs "
             "probabilities.", like=_flat_logits),
        Hint("The result contains inf or nan for large logits: use a softmax that subtracts "
             "each row's maximum.", when="not_finite"),
        Hint("Flatten the images to (n, d) with tf.reshape(X, (tf.shape(X)[0], -1)) before "
             "multiplying by the weights: X arrives as (n, 28, 28) images.",
             like=lambda X, W, b: tf.nn.softmax(tf.matmul(X, W) + b)),
    ),
)


# build_softmax_model(num_classes=10): structure and a brief training -------------------------
BUILD_SOFTMAX_MODEL = model_check(
    "build_softmax_model", points=3, arguments={"num_classes": 10},
    description="uncompiled Keras model: Flatten then Dense(num_classes), outputting logits",
    expect=lambda num_classes: ModelExpectation(
        layers=(Layer("Flatten"), Layer("Dense", units=num_classes)),
        output_shape=(num_classes,), param_count=784 * num_classes + num_classes),
    cases=[Case("default: 10 classes, trained briefly", (), public=True),
           Case("12 classes, trained briefly", (12,))],
    hints=(
        FLATTEN_HINT,
        LOGITS_HINT,
        Hint("Use the num_classes argument for the number of units instead of a fixed 10.",
             when="layers.config.units"),
    ),
)


SPEC = AssignmentSpec("softmax_regression",
                      (SOFTMAX, CROSS_ENTROPY, ACCURACY, SOFTMAX_REGRESSION, BUILD_SOFTMAX_MODEL))
