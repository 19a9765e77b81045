"""Checks of the weight-decay assignment (solutions/weight_decay.py).

Each classic mistake is written out below as the function a student would
write (`no_factorial`, `penalty_without_half`, ...), for ``Hint(like=...)``.
The hints for inputs that must be rejected come first (``when="did_not_raise"``):
on such inputs a mistake may return what the student's code returns.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from autograder.cases import indexed_examples, linear_problem, rng_for
from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    Mismatch,
    array_or_none,
    close_to,
    compare_values,
    pair_w_b,
    problem,
    seeded_training,
)
from autograder.feedback import describe
from autograder.sandbox import Tensor, Variable


# ---------------------------------------------------------------------------
# polynomial_features(x, max_degree)
# ---------------------------------------------------------------------------
def _powers(x, max_degree, factorial=True, first=0):
    x = np.asarray(x)
    degrees = np.arange(first, first + max_degree)
    scale = np.array([math.factorial(i) if factorial else 1 for i in degrees], np.float64)
    return (x.reshape(-1, 1).astype(np.float64) ** degrees / scale).astype(x.dtype)


def no_factorial(x, max_degree):
    return _powers(x, max_degree, factorial=False)


def starts_at_degree_one(x, max_degree):
    return _powers(x, max_degree, first=1)


def polynomial_cases() -> list[Case]:
    rng = rng_for(1)
    return [
        Case("x = [0, 1, 2], max_degree 4 (float32)", (np.array([0.0, 1.0, 2.0], np.float32), 4),
             expected=np.array([[1, 0, 0, 0], [1, 1, 0.5, 1 / 6], [1, 2, 2, 4 / 3]], np.float32),
             public=True),
        Case("max_degree 0", (np.ones(3, np.float32), 0), raises="ValueError", public=True),
        Case("tf.Tensor float32 of shape (n, 1), max_degree 20",
             (Tensor(rng.normal(size=(50, 1)).astype(np.float32)), 20)),
        Case("NumPy float64 of shape (n,), max_degree 6", (rng.normal(size=30) * 2, 6)),
        Case("max_degree 1: the column of ones", (rng.normal(size=5).astype(np.float32), 1)),
        Case("max_degree -3", (np.ones(4), -3), raises="ValueError"),
    ]


POLYNOMIAL_FEATURES = FunctionCheck(
    function="polynomial_features",
    points=1,
    cases=polynomial_cases,
    compare=close_to(rtol=1e-5, atol=1e-6, dtype="exact"),
    description="columns x**i / i! for i < max_degree, in the dtype of x",
    hints=(
        Hint("Raise ValueError when max_degree < 1.", when="did_not_raise"),
        Hint("Divide column i by i! (math.factorial(i)): the features are x**i / i!.",
             like=no_factorial),
        Hint("Start at i = 0: column 0 is x**0 / 0! = 1 (all ones).",
             like=starts_at_degree_one),
    ),
)


# ---------------------------------------------------------------------------
# l2_penalty(w)
# ---------------------------------------------------------------------------
def penalty_without_half(w):
    return np.sum(np.asarray(w) ** 2)


def penalty_with_square_root(w):
    return np.sqrt(np.sum(np.asarray(w) ** 2))


def penalty_with_square_root_halved(w):
    return np.sqrt(np.sum(np.asarray(w) ** 2)) / 2


def penalty_cases() -> list[Case]:
    rng = rng_for(2)
    return [
        Case("w = [[1], [2]] (float32)", (np.array([[1.0], [2.0]], np.float32),),
             expected=np.float32(2.5), public=True),
        Case("tf.Tensor float32 (200, 1)", (Tensor(rng.normal(size=(200, 1)).astype(np.float32)),)),
        Case("NumPy float64 (3, 4)", (rng.normal(size=(3, 4)),)),
        Case("tf.Variable float32 (5,)", (Variable(rng.normal(size=5).astype(np.float32)),)),
    ]


L2_PENALTY = FunctionCheck(
    function="l2_penalty",
    points=1,
    cases=penalty_cases,
    compare=close_to(rtol=1e-5, atol=1e-6, dtype="exact"),
    description="sum(w**2) / 2 as a scalar",
    hints=(
        Hint("The penalty is sum(w**2) / 2: divide by 2, so that its gradient is w.",
             like=penalty_without_half),
        Hint("The penalty is the squared norm over 2, sum(w**2) / 2: take no square root.",
             like=penalty_with_square_root),
        Hint("The penalty is the squared norm over 2, sum(w**2) / 2: take no square root.",
             like=penalty_with_square_root_halved),
    ),
)


# ---------------------------------------------------------------------------
# k_fold_split(X, y, k, i)
# ---------------------------------------------------------------------------
def _split(X, y, valid, train):
    X, y = np.asarray(X), np.asarray(y)
    return X[train], y[train], X[valid], y[valid]


def fold_off_by_one(X, y, k, i):
    """The validation part one example too long, [i m, (i+1) m]."""
    m, n = len(X) // k, len(X)
    valid = np.arange(i * m, min((i + 1) * m + 1, n))
    return _split(X, y, valid, np.setdiff1d(np.arange(n), valid))


def fold_counted_from_one(X, y, k, i):
    """Fold i taken as the i-th counting from 1: [(i-1) m, i m)."""
    m, n = len(X) // k, len(X)
    valid = np.arange((i - 1) * m, i * m) % n
    return _split(X, y, valid, np.setdiff1d(np.arange(n), valid))


def remainder_dropped(X, y, k, i):
    """The training part built from the other k - 1 folds only (as in D2L's get_k_fold_data)."""
    m = len(X) // k
    valid = np.arange(i * m, (i + 1) * m)
    return _split(X, y, valid, np.setdiff1d(np.arange(k * m), valid))


def fold_cases() -> list[Case]:
    data = functools.partial(indexed_examples, column=False)  # y of shape (n,) by default
    X10, y10 = data(10)
    train = [0, 1, 2, 6, 7, 8, 9]
    return [
        Case("10 examples, k = 3, fold 1 (the remainder trains)", (X10, y10, 3, 1),
             expected=(X10[train], y10[train], X10[3:6], y10[3:6]), public=True),
        Case("k = 1", (X10, y10, 1, 0), raises="ValueError", public=True),
        Case("fold i = k", (X10, y10, 3, 3), raises="ValueError", public=True),
        Case("23 examples, k = 5, last fold", (*data(23, 3), 5, 4)),
        Case("tf.Tensor inputs, y of shape (n, 1), k = 4, fold 0",
             (*data(20, column=True, tensor=True), 4, 0)),
        Case("k = n (leave one out), fold 6", (*data(7, dtype=np.float64), 7, 6)),
        Case("12 examples, k = 5, fold 2", (*data(12, 1), 5, 2)),
        Case("k larger than n", (*data(4), 5, 0), raises="ValueError"),
        Case("negative fold", (X10, y10, 3, -1), raises="ValueError"),
    ]


def compare_fold(got, expected, case: Case) -> Mismatch:
    if not isinstance(got, tuple | list) or len(got) != 4:
        return problem("type", function="k_fold_split",
                       wanted="(X_train, y_train, X_valid, y_valid)", got=describe(got))
    names = ("X_train", "y_train", "X_valid", "y_valid")
    for name, got_part, expected_part in zip(names, got, expected, strict=True):
        found = compare_values(got_part, np.asarray(expected_part), rtol=0, atol=0,
                               dtype="exact", path=name)
        if found:
            return found
    return None


K_FOLD_SPLIT = FunctionCheck(
    function="k_fold_split",
    points=2,
    cases=fold_cases,
    compare=compare_fold,
    description="validation examples [i m, (i+1) m), every other example trains",
    hints=(
        Hint("Raise ValueError when k < 2, k > n, or i is not in [0, k).", when="did_not_raise"),
        Hint("The validation part of fold i is examples i*m up to (i+1)*m - 1: m of them, with "
             "m = n // k; X[i*m:(i+1)*m] has exactly those (the end of a slice is left out).",
             like=fold_off_by_one),
        Hint("Folds count from 0: fold i = 0 starts at example 0.",
             like=fold_counted_from_one),
        Hint("Keep the n - k*m examples left over at the end in the training part: train on "
             "everything before i*m and everything from (i+1)*m on.",
             like=remainder_dropped),
    ),
)


# ---------------------------------------------------------------------------
# ridge_regression(X, y, lambd)
# ---------------------------------------------------------------------------
def _ridge(X, y, lambd, *, penalise_bias=False, sums=False):
    """Ridge by lstsq on the design with a ones column and sqrt(n λ) rows (or sqrt(λ) for sums)."""
    dtype = np.asarray(X).dtype
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64).reshape(-1, 1)
    n, d = X.shape
    design = np.hstack([X, np.ones((n, 1))])
    scale = math.sqrt(lambd if sums else n * lambd)
    penalty = scale * np.eye(d + 1)
    if not penalise_bias:
        penalty = penalty[:d]
    solution, *_ = np.linalg.lstsq(np.vstack([design, penalty]),
                                   np.vstack([y, np.zeros((len(penalty), 1))]), rcond=None)
    return solution[:-1].astype(dtype), float(solution[-1, 0])


def penalised_bias(X, y, lambd):
    return _ridge(X, y, lambd, penalise_bias=True)


def summed_loss(X, y, lambd):
    return _ridge(X, y, lambd, sums=True)


def penalty_without_half_in_ridge(X, y, lambd):
    return _ridge(X, y, 2 * lambd)


def ridge_cases() -> list[Case]:
    rng = rng_for(4)

    def problem(n, d, dtype="float32", scale=1.0):
        return linear_problem(rng, n, d, b=0.7, noise=0.1, scale=scale, dtype=dtype)

    line = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([1.0, 3.0, 5.0, 7.0])
    X1, y1 = problem(30, 5)
    X2, y2 = problem(20, 200, np.float64)
    X3, y3 = problem(40, 3, np.float64, scale=100.0)
    X4, y4 = problem(25, 4)
    return [
        Case("points on y = 2x + 1, lambd = 0", (*line, 0.0),
             expected=(np.array([[2.0]]), 1.0), public=True),
        Case("two points, lambd = 1", (np.array([[-1.0], [1.0]]), np.array([1.0, 3.0]), 1.0),
             expected=(np.array([[0.5]]), 2.0), public=True),
        Case("lambd = -1", (*line, -1.0), raises="ValueError", public=True),
        Case("float32, 30 examples, 5 inputs, lambd = 0.5", (X1, y1, 0.5)),
        Case("tf.Tensor float64, 200 inputs, 20 examples, lambd = 3",
             (Tensor(X2), Tensor(y2), 3.0)),
        Case("inputs of magnitude 100, y of shape (n,), lambd = 10", (X3, y3.ravel(), 10.0)),
        Case("float32, lambd = 0 (least squares)", (X4, y4, 0.0)),
    ]


RIDGE_REGRESSION = FunctionCheck(
    function="ridge_regression",
    points=2,
    cases=ridge_cases,
    compare=pair_w_b(rtol=1e-3, atol=1e-4, dtype="exact"),
    description="closed-form minimiser of mean((X w + b - y)**2 / 2) + lambd * ||w||² / 2",
    hints=(
        Hint("Raise ValueError when lambd < 0.", when="did_not_raise"),
        Hint("Do not penalise the bias: only w is in the penalty. Center X and y (then "
             "b = mean(y) - mean(X) w), or leave the bias's row out of the penalty.",
             like=penalised_bias),
        Hint("The loss is the mean over the examples, not the sum: with the mean, the normal "
             "equations read (Xc^T Xc / n + lambd I) w = Xc^T yc / n.",
             like=summed_loss),
        Hint("The penalty is lambd * ||w||² / 2, whose gradient is lambd * w: do not double it.",
             like=penalty_without_half_in_ridge),
    ),
)


# ---------------------------------------------------------------------------
# cross_validate(X, y, k, lambd)
# ---------------------------------------------------------------------------
def _cross_validate(X, y, k, lambd, *, fold_sum=False, no_half=False):
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64).reshape(-1, 1)
    m, n = len(X) // k, len(X)
    losses = []
    for i in range(k):
        valid = np.arange(i * m, (i + 1) * m)
        train = np.setdiff1d(np.arange(n), valid)
        w, b = _ridge(X[train], y[train], lambd)
        factor = 1.0 if no_half else 0.5
        losses.append([factor * np.mean((X[part] @ w + b - y[part]) ** 2)
                       for part in (train, valid)])
    losses = np.array(losses)
    totals = losses.sum(axis=0) if fold_sum else losses.mean(axis=0)
    return float(totals[0]), float(totals[1])


def summed_over_folds(X, y, k, lambd):
    return _cross_validate(X, y, k, lambd, fold_sum=True)


def loss_without_half(X, y, k, lambd):
    return _cross_validate(X, y, k, lambd, no_half=True)


def cross_validate_cases() -> list[Case]:
    rng = rng_for(5)

    def problem(n, d, dtype="float64"):
        return linear_problem(rng, n, d, b=-0.3, noise=0.2, dtype=dtype)

    X0, y0 = problem(12, 2)
    X4, y4 = problem(20, 6)
    return [
        Case("12 examples, 2 inputs, k = 3, lambd = 0.1", (X0, y0, 3, 0.1),
             expected=_cross_validate(X0, y0, 3, 0.1), public=True),
        Case("k = 1", (X0, y0, 1, 0.1), raises="ValueError", public=True),
        Case("tf.Tensor float32, 23 examples, k = 5, lambd = 1",
             tuple(Tensor(a) for a in problem(23, 3, np.float32)) + (5, 1.0)),
        Case("leave one out, lambd = 0", (*problem(10, 2), 10, 0.0)),
        Case("y of shape (n,), k = 4, lambd = 3", (X4, y4.ravel(), 4, 3.0)),
    ]


def compare_cross_validate(got, expected, case: Case) -> Mismatch:
    if not isinstance(got, tuple | list) or len(got) != 2:
        return problem("type", function="cross_validate", wanted="(train_loss, valid_loss)",
                       got=describe(got))
    for name, value in zip(("train_loss", "valid_loss"), got, strict=True):
        if type(value) is not float:
            return problem("cross_validate.not_float", path=name, got=describe(value))
    return compare_values(tuple(got), tuple(float(v) for v in expected), rtol=1e-3, atol=1e-6,
                          path="(train_loss, valid_loss)")


CROSS_VALIDATE = FunctionCheck(
    function="cross_validate",
    points=2,
    cases=cross_validate_cases,
    compare=compare_cross_validate,
    description="mean training and validation loss of ridge_regression over the k folds",
    hints=(
        Hint("Raise ValueError when k is out of range: k_fold_split does.", when="did_not_raise"),
        Hint("Average the k folds' losses (divide their sum by k).",
             like=summed_over_folds),
        Hint("Each loss is mean((X w + b - y)**2 / 2): halve the squared error.",
             like=loss_without_half),
        Hint("Return Python floats: float(train_loss), float(valid_loss).",
             when="cross_validate.not_float"),
    ),
)


# ---------------------------------------------------------------------------
# train_weight_decay(...): properties on the lecture's data
# ---------------------------------------------------------------------------
def lecture_data(seed: int = 0):
    """The weight-decay lecture's problem: 200 inputs, 20 training and 100 test examples."""
    rng = np.random.default_rng([seed, 11])
    X = rng.normal(size=(120, 200)).astype(np.float32)
    y = (X @ np.full((200, 1), 0.01) + 0.05 + rng.normal(0, 0.01, (120, 1))).astype(np.float32)
    return (X[:20], y[:20]), (X[20:], y[20:])


def train_cases() -> list[Case]:
    (X, y), _ = lecture_data()
    return [
        Case("lecture's data, lambd = 3, defaults", (X, y, 3.0), public=True, expected=None),
        Case("lecture's data, no weight decay", (X, y, 0.0), expected=None),
        Case("lecture's data, float64 tf.Tensors, lambd = 10, 60 epochs, seed 1 twice, then 2, "
             "each as in a new program",
             (Tensor(X.astype(np.float64)), Tensor(y.astype(np.float64)), 10.0),
             {"num_epochs": 60, "seed": 1}, expected=None,
             options={"variants": [{}, {"seed": 2}], "fresh_random_state": True}),
    ]


NORM_BOUNDS = {0.0: (8.0, np.inf), 3.0: (0.0, 2.0), 10.0: (0.0, 0.5)}
"""The L2 norm of w each λ must give: about 18 without decay (w starts from
N(1, 1) in 200 dimensions), about 0.5 with λ = 3, under 0.1 with λ = 10."""
TEST_LOSS_BOUNDS = {0.0: (10.0, np.inf), 3.0: (0.0, 1.0), 10.0: (0.0, 0.1)}
"""The test loss (mean squared error / 2): about 180 without decay, 0.1 with λ = 3."""


def _trained(got):
    if not isinstance(got, tuple | list) or len(got) != 2:
        return None, None
    return array_or_none(got[0]), array_or_none(got[1])


def compare_training(got, expected, case: Case) -> Mismatch:
    w, b = _trained(got)
    if w is None or b is None:
        return problem("type", function="train_weight_decay", wanted="(w, b)", got=describe(got))
    if w.shape != (200, 1):
        return problem("shape", path="w", got=w.shape, expected=(200, 1))
    if b.size != 1:
        return problem("shape", path="b", got=b.shape, expected="one value")
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))) or np.abs(w).max() > 1e4:
        return problem("training.diverged", magnitude=float(np.abs(w).max()))
    lambd = float(case.args[2])
    _, (X_test, y_test) = lecture_data()
    norm = float(np.linalg.norm(w))
    test_loss = float(np.mean((X_test @ w + float(b.ravel()[0]) - y_test) ** 2 / 2))
    for measure, value, bounds in (("norm", norm, NORM_BOUNDS),
                                   ("test_loss", test_loss, TEST_LOSS_BOUNDS)):
        low, high = bounds[lambd]
        if not low <= value <= high:
            kind = "training.not_decayed" if value > high else "training.small_start"
            if measure == "test_loss":
                kind = "training.test_loss"
            return problem(kind, measure=measure, lambd=lambd, value=value, low=low, high=high)
    return None


TRAIN_WEIGHT_DECAY = FunctionCheck(
    function="train_weight_decay",
    points=2,
    cases=train_cases,
    compare=seeded_training(compare_training),
    needs_reference=False,
    timeout=120,
    description="minibatch SGD on the squared loss + lambd * l2_penalty(w), from w ~ N(1, 1)",
    hints=(
        Hint("Training diverged (w blew up): step against the gradient (w -= lr * grad), "
             "average the squared loss over the minibatch, and use the learning rate given.",
             when="training.diverged"),
        Hint("The weights did not decay: add lambd * l2_penalty(w) to the minibatch's loss "
             "before taking the gradient.", when="training.not_decayed"),
        Hint("Start w from N(1, 1) (mean 1, standard deviation 1), as the assignment says: "
             "small initial weights hide the effect of weight decay.",
             when="training.small_start"),
    ),
)


SPEC = AssignmentSpec(
    name="weight_decay",
    checks=(POLYNOMIAL_FEATURES, L2_PENALTY, K_FOLD_SPLIT, RIDGE_REGRESSION, CROSS_VALIDATE,
            TRAIN_WEIGHT_DECAY),
)
