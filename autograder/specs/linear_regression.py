"""Checks of the linear-regression assignment (`solutions/linear_regression.py`)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from autograder.cases import (
    indexed_examples,
    linear_problem,
    recovery_case,
    rng_for,
    standard_cases,
)
from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    batch_order,
    close_to,
    pair_w_b,
    parameters_recovered,
    seeded,
    seeded_training,
    shuffled_batches,
)
from autograder.sandbox import Tensor, Variable

# linreg(X, w, b) ----------------------------------------------------------------------------
LINREG = FunctionCheck(
    "linreg", points=1, description="the model X w + b, shape (n, 1)",
    cases=standard_cases(
        lambda rng, n, scale: (rng.normal(size=(n, 3)) * scale, rng.normal(size=(3, 1)) * scale,
                               np.array([0.7 * scale])),
        seed=1, large=1e3, known=[Case(
            "small known example", (np.array([[1.0, 2], [3, 4]], "f4"),
                                    np.array([[1.0], [-1]], "f4"), 0.5),
            expected=np.array([[-0.5], [-0.5]], "f4"), public=True)]),
    compare=close_to(rtol=1e-5, atol=1e-6, scaled=True),
    hints=(
        Hint("The result must keep the shape (n, 1): use tf.matmul(X, w) and add b, without "
             "flattening or reducing.", like=lambda X, w, b: tf.reshape(X @ w + b, [-1])),
        Hint("The bias b is missing: the model is X w + b, so add b after the product.",
             like=lambda X, w, b: X @ w),
    ),
)


# squared_loss(y_hat, y) ---------------------------------------------------------------------
def _error(y_hat, y):
    return y_hat - tf.reshape(y, tf.shape(y_hat))


SQUARED_LOSS = FunctionCheck(
    "squared_loss", points=1, description="element-wise (y_hat - y)² / 2 in the shape of y_hat",
    cases=standard_cases(
        lambda rng, n, scale: (rng.normal(size=(n, 1)) * scale, rng.normal(size=(n,)) * scale),
        seed=2, large=1e3, known=[Case(
            "small known example, y of shape (n,)",
            (np.array([[1.0], [2], [3]], "f4"), np.array([0.0, 2, 5], "f4")),
            expected=np.array([[0.5], [0.0], [2.0]], "f4"), public=True)],
        extra=[Case("y of shape (n, 1)", (Tensor(rng_for(2).normal(size=(6, 1)).astype("f4")),
                                          Tensor(rng_for(3).normal(size=(6, 1)).astype("f4"))))]),
    compare=close_to(rtol=1e-5, atol=1e-5),
    hints=(
        Hint("The result has shape (n, n): subtracting y of shape (n,) from y_hat of shape (n, 1) "
             "broadcasts. Reshape y to y_hat's shape first: tf.reshape(y, tf.shape(y_hat)).",
             like=lambda y_hat, y: (y_hat - y) ** 2 / 2),
        Hint("Return one loss per example, in the shape of y_hat; do not sum or average them.",
             like=(lambda y_hat, y: tf.reduce_sum(_error(y_hat, y) ** 2 / 2),
                   lambda y_hat, y: tf.reduce_mean(_error(y_hat, y) ** 2 / 2))),
        Hint("The loss is (y_hat - y)² / 2: divide by 2.",
             like=lambda y_hat, y: _error(y_hat, y) ** 2),
    ),
)


# sgd(params, grads, lr, batch_size), updating in place -----------------------------------------
def sgd_mistake(step):
    """An sgd applying ``step(param, lr * grad, batch_size)`` to each parameter."""
    def sgd(params, grads, lr, batch_size):
        for param, grad in zip(params, grads, strict=True):
            step(param, lr * grad, batch_size)
    return sgd


SGD = FunctionCheck(
    "sgd", points=1, description="one in-place update param -= lr * grad / batch_size",
    adapter="inplace", view=lambda output: output["args"][0], returns=("NoneType",),
    cases=standard_cases(
        lambda rng, n, scale: ([Variable(rng.normal(size=(4, 1))), Variable(rng.normal(size=1))],
                               [rng.normal(size=(4, 1)), rng.normal(size=1)], 0.5 / n, n),
        seed=3, known=[Case(
            "small known example", ([Variable(np.array([[1.0], [2]], "f4")),
                                     Variable(np.array([0.5], "f4"))],
                                    [np.array([[2.0], [4]], "f4"), np.array([1.0], "f4")], 0.1, 2),
            expected=[np.array([[0.9], [1.8]], "f4"), np.array([0.45], "f4")], public=True)]),
    compare=close_to(rtol=1e-5, atol=1e-6),
    hints=(
        Hint("The parameters did not change. Update them in place with param.assign_sub(...): "
             "`param = param - ...` only rebinds a local name.",
             like=sgd_mistake(lambda param, step, batch_size: param - step / batch_size)),
        Hint("Divide the gradient by batch_size: the gradients are those of the summed loss.",
             like=sgd_mistake(lambda param, step, batch_size: param.assign_sub(step))),
        Hint("Move against the gradient: subtract lr * grad / batch_size.",
             like=sgd_mistake(lambda param, step, batch_size: param.assign_add(step / batch_size))),
    ),
)


# data_iter(batch_size, features, labels, seed=None): property checks ---------------------------
DATA_ITER = FunctionCheck(
    "data_iter", points=2, description="shuffled minibatches covering every example once per pass",
    adapter="iterate", needs_reference=False,
    compare=seeded(shuffled_batches, batch_order, "batch order"),
    cases=[
        Case("20 examples in batches of 6, seed 0 twice (the same order), then seed 1",
             (6, *indexed_examples(20)), {"seed": 0}, public=True,
             options={"variants": [{}, {"seed": 1}]}),
        Case("1000 examples in batches of 10, tf.Tensor inputs",
             (10, *indexed_examples(1000, tensor=True))),
        Case("23 examples in batches of 5 (smaller last batch)", (5, *indexed_examples(23, 3))),
        Case("batch of one", (1, *indexed_examples(7, tensor=True))),
        Case("batch larger than the data", (10, *indexed_examples(7))),
    ],
    hints=(
        Hint("Don't drop the last, smaller batch: step through the shuffled indices with "
             "range(0, n, batch_size) and slice to the end.", when="batches.missing"),
        Hint("Shuffle a permutation of the indices (np.random.default_rng(seed).permutation(n)) "
             "and take the batches from it in order.", when="batches.unshuffled"),
        Hint("Index features and labels with the same batch of indices (tf.gather(features, i), "
             "tf.gather(labels, i)).", when="batches.unpaired"),
        Hint("Draw the order from the seed: np.random.default_rng(seed).permutation(n), so the "
             "same seed gives the same batches.", when="seed"),
    ),
)


# normal_equation(X, y) -----------------------------------------------------------------------
def normal_equation_without_intercept(X, y):
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64).reshape(-1, 1)
    return np.linalg.lstsq(X, y, rcond=None)[0], 0.0


def normal_equation_flat_w(X, y):
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64).reshape(-1, 1)
    solution = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    return solution[:-1, 0], float(solution[-1, 0])


NORMAL_EQUATION = FunctionCheck(
    "normal_equation", points=2, description="closed-form least squares (w of shape (d, 1), b)",
    cases=standard_cases(
        lambda rng, n, scale: linear_problem(rng, 40, 3, b=1.3, noise=0.1, scale=scale,
                                             dtype="f8"), seed=5, large=100.0, one=False,
        known=[Case("points on the line y = 2x + 1",
                    (np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0])),
                    expected=(np.array([[2.0]]), 1.0), public=True)],
        extra=[Case("tf.Tensor inputs, one feature, y of shape (n,)", tuple(
            Tensor(a.ravel() if i else a)
            for i, a in enumerate(linear_problem(rng_for(6), 30, 1, b=1.3, noise=0.1))))]),
    compare=pair_w_b(rtol=1e-3, atol=1e-3, dtype="float"),
    hints=(
        Hint("Fit the intercept too: append a column of ones to X, solve, and split the last "
             "coefficient off as b.", like=normal_equation_without_intercept),
        Hint("Return w with shape (d, 1).", like=normal_equation_flat_w),
    ),
)


# train_linear_regression(...): the parameters must be recovered ------------------------------
TRAIN = FunctionCheck(
    "train_linear_regression", points=3, description="minibatch SGD recovering the true parameters",
    needs_reference=False, compare=seeded_training(parameters_recovered(5e-3)),
    cases=[recovery_case("Dive into Deep Learning's data (w = [2, -3.4], b = 4.2), default "
                         "settings", 6, [2.0, -3.4], 4.2, public=True),
           recovery_case("three features, 5 epochs, batch 20, lr 0.05, seed 1 twice, then seed 2, "
                         "each as in a new program", 7, [0.5, 1.0, -2.0], -1.0, n=600,
                         num_epochs=5, lr=0.05, batch_size=20, seed=1, options={
                             "variants": [{}, {"seed": 2}], "fresh_random_state": True})],
    hints=(
        Hint("Training diverged. Sum the minibatch loss and let sgd divide by the batch size, "
             "with the learning rate given.", when="train.diverged"),
        Hint("The parameters barely moved from their start: every step, take the gradients of "
             "the minibatch loss with respect to both w and b, and pass both to sgd.",
             when="train.not_moving"),
    ),
)


SPEC = AssignmentSpec("linear_regression",
                      (LINREG, SQUARED_LOSS, SGD, DATA_ITER, NORMAL_EQUATION, TRAIN))
