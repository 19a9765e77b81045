"""Checks of the linear-regression assignment (`solutions/linear_regression.py`)."""

from __future__ import annotations

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
    compare_values,
    describe,
)
from autograder.sandbox import Tensor, Variable


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([20261123, seed])


# ---------------------------------------------------------------------------
# linreg(X, w, b)
# ---------------------------------------------------------------------------
def linreg_cases() -> list[Case]:
    rng = _rng(1)
    X8 = rng.normal(size=(8, 3)).astype(np.float32)
    w3 = rng.normal(size=(3, 1)).astype(np.float32)
    X5 = rng.normal(size=(5, 2))
    w2 = rng.normal(size=(2, 1))
    return [
        Case(
            "small known example",
            (
                np.array([[1.0, 2.0], [3.0, 4.0]], np.float32),
                np.array([[1.0], [-1.0]], np.float32),
                0.5,
            ),
            expected=np.array([[-0.5], [-0.5]], np.float32),
            public=True,
        ),
        Case("tf.Tensor float32 inputs, scalar bias", (Tensor(X8), Tensor(w3), 0.7)),
        Case("numpy float64 inputs, bias of shape (1,)", (X5, w2, np.array([-1.5]))),
        Case("batch of one", (Tensor(X8[:1]), Tensor(w3), np.array([2.0], np.float32))),
        Case("large magnitudes", (Tensor(X8 * 1e4), Tensor(w3 * 1e3), 1e5)),
    ]


def _linreg_without_bias(case: Case, got, expected) -> bool:
    X, w = argument_array(case.args[0]), argument_array(case.args[1])
    bias = float(np.ravel(argument_array(case.args[2]))[0])
    got = array_or_none(got)
    return (
        bias != 0
        and got is not None
        and got.size == len(X)
        and np.allclose(got.ravel(), (X @ w).ravel(), rtol=1e-4)
    )


LINREG = FunctionCheck(
    function="linreg",
    points=1,
    cases=linreg_cases,
    compare=close_to(rtol=1e-5, atol=1e-4),
    description="the model X w + b, shape (n, 1)",
    hints=(
        Hint(
            "The result must keep the shape (n, 1): use tf.matmul(X, w) and add b, without "
            "flattening or reducing.",
            lambda case, got, expected: np.ndim(got) == 1,
        ),
        Hint("The bias b is missing: return tf.matmul(X, w) + b.", _linreg_without_bias),
    ),
)


# ---------------------------------------------------------------------------
# squared_loss(y_hat, y)
# ---------------------------------------------------------------------------
def squared_loss_cases() -> list[Case]:
    rng = _rng(2)
    y_hat = rng.normal(size=(6, 1)).astype(np.float32)
    y = rng.normal(size=(6,)).astype(np.float32)
    return [
        Case(
            "small known example, y of shape (n,)",
            (np.array([[1.0], [2.0], [3.0]], np.float32), np.array([0.0, 2.0, 5.0], np.float32)),
            expected=np.array([[0.5], [0.0], [2.0]], np.float32),
            public=True,
        ),
        Case("tf.Tensor y of shape (n,)", (Tensor(y_hat), Tensor(y))),
        Case("y of shape (n, 1)", (Tensor(y_hat), Tensor(y.reshape(-1, 1)))),
        Case("float64 numpy inputs", (y_hat.astype(np.float64), y.astype(np.float64))),
        Case("batch of one", (Tensor(y_hat[:1]), Tensor(y[:1]))),
        Case("large magnitudes", (Tensor(y_hat * 1e3), Tensor(y * 1e3))),
    ]


def _is_multiple(factor: float):
    def applies(case: Case, got, expected) -> bool:
        got, expected = array_or_none(got), array_or_none(expected)
        return (
            got is not None
            and got.shape == expected.shape
            and np.any(expected)
            and np.allclose(got, factor * expected, rtol=1e-4, atol=1e-6)
        )

    return applies


SQUARED_LOSS = FunctionCheck(
    function="squared_loss",
    points=1,
    cases=squared_loss_cases,
    compare=close_to(rtol=1e-5, atol=1e-5),
    description="element-wise (y_hat - y)² / 2 in the shape of y_hat",
    hints=(
        Hint(
            "The result has shape (n, n): subtracting y of shape (n,) from y_hat of shape (n, 1) "
            "broadcasts. Reshape y to y_hat's shape first: tf.reshape(y, tf.shape(y_hat)).",
            lambda case, got, expected: np.ndim(got) == 2 and np.shape(got)[1] > 1,
        ),
        Hint(
            "Return one loss per example, in the shape of y_hat; do not sum or average them.",
            lambda case, got, expected: np.size(got) == 1 and np.size(expected) > 1,
        ),
        Hint("The loss is (y_hat - y)² / 2: divide by 2.", _is_multiple(2.0)),
    ),
)


# ---------------------------------------------------------------------------
# sgd(params, grads, lr, batch_size), updating in place
# ---------------------------------------------------------------------------
def sgd_cases() -> list[Case]:
    rng = _rng(3)
    w = rng.normal(size=(4, 1)).astype(np.float32)
    b = rng.normal(size=(1,)).astype(np.float32)
    gw = rng.normal(size=(4, 1)).astype(np.float32)
    gb = rng.normal(size=(1,)).astype(np.float32)
    known_w, known_b = np.array([[1.0], [2.0]], np.float32), np.array([0.5], np.float32)
    return [
        Case(
            "small known example",
            (
                [Variable(known_w), Variable(known_b)],
                [np.array([[2.0], [4.0]], np.float32), np.array([1.0], np.float32)],
                0.1,
                2,
            ),
            expected={
                "return": None,
                "params": [np.array([[0.9], [1.8]], np.float32), np.array([0.45], np.float32)],
            },
            public=True,
        ),
        Case(
            "tf.Tensor gradients", ([Variable(w), Variable(b)], [Tensor(gw), Tensor(gb)], 0.03, 10)
        ),
        Case("batch of one", ([Variable(w), Variable(b)], [Tensor(gw), Tensor(gb)], 0.5, 1)),
        Case(
            "float64 parameters",
            ([Variable(w.astype(np.float64))], [Tensor(gw.astype(np.float64))], 0.01, 32),
        ),
    ]


def _updated_params(output):
    """The parameters after the call, from the "inplace" adapter's output."""
    if isinstance(output, dict) and "params" in output:  # a public expected value
        return output["params"]
    return output["args"][0]


def compare_sgd(got, expected, case: Case) -> Mismatch:
    if not isinstance(got, dict) or "args" not in got:
        return f"unexpected output {describe(got)}"
    if got["return"] is not None:
        returned = describe(got["return"])
        return f"sgd should update the parameters in place and return None; it returned {returned}"
    return compare_values(
        _updated_params(got),
        _updated_params(expected),
        rtol=1e-5,
        atol=1e-6,
        path="the updated parameters",
    )


def _sgd_update(case: Case, scale: float, sign: float = 1.0):
    params = [argument_array(p).astype(np.float64) for p in case.args[0]]
    grads = [argument_array(g).astype(np.float64) for g in case.args[1]]
    lr, batch = case.args[2], case.args[3]
    return [p - sign * lr * g * scale / batch for p, g in zip(params, grads, strict=True)]


def _sgd_matches(scale: float, sign: float = 1.0):
    def applies(case: Case, got, expected) -> bool:
        if case.args[3] == 1 and scale == case.args[3]:
            return False
        updated = [array_or_none(p) for p in got["args"][0]]
        wanted = _sgd_update(case, scale, sign)
        return all(
            u is not None and u.shape == w.shape and np.allclose(u, w, rtol=1e-4)
            for u, w in zip(updated, wanted, strict=True)
        )

    return applies


def _sgd_unchanged(case: Case, got, expected) -> bool:
    return _sgd_matches(0.0)(case, got, expected)


SGD = FunctionCheck(
    function="sgd",
    points=1,
    cases=sgd_cases,
    compare=compare_sgd,
    adapter="inplace",
    description="one in-place update param -= lr * grad / batch_size",
    hints=(
        Hint(
            "The parameters did not change. Update them in place with param.assign_sub(...): "
            "`param = param - ...` only rebinds a local name.",
            _sgd_unchanged,
        ),
        Hint(
            "Divide the gradient by batch_size: the gradients are those of the summed loss.",
            lambda case, got, expected: _sgd_matches(case.args[3])(case, got, expected),
        ),
        Hint(
            "Move against the gradient: subtract lr * grad / batch_size.", _sgd_matches(1.0, -1.0)
        ),
    ),
)


# ---------------------------------------------------------------------------
# data_iter(batch_size, features, labels, seed=None): property checks
# ---------------------------------------------------------------------------
def data_iter_cases() -> list[Case]:
    def data(n, d=2, tensor=False):
        features = np.arange(n * d, dtype=np.float32).reshape(n, d)
        labels = (np.arange(n, dtype=np.float32) * 10).reshape(n, 1)
        if tensor:
            return Tensor(features), Tensor(labels)
        return features, labels

    return [
        Case("20 examples in batches of 6", (6, *data(20)), {"seed": 0}, public=True),
        Case("1000 examples in batches of 10, tf.Tensor inputs", (10, *data(1000, tensor=True))),
        Case("23 examples in batches of 5 (smaller last batch)", (5, *data(23, d=3))),
        Case("batch of one", (1, *data(7, tensor=True))),
        Case("batch larger than the data", (10, *data(7))),
    ]


def _batches(got):
    """The (X, y) batches as float arrays, or a message saying why they are not."""
    if not isinstance(got, list):
        return None, f"data_iter should yield batches; got {describe(got)}"
    batches = []
    for index, item in enumerate(got):
        if not isinstance(item, tuple | list) or len(item) != 2:
            return None, f"batch {index} should be a pair (X, y), got {describe(item)}"
        X, y = array_or_none(item[0]), array_or_none(item[1])
        if X is None or y is None or X.ndim != 2:
            return None, f"batch {index} should hold a 2-D X and its y, got {describe(item)}"
        if len(X) != len(y):
            return None, f"batch {index} has {len(X)} feature rows but {len(y)} labels"
        batches.append((X, y.reshape(len(y), -1)))
    return batches, None


def _example_ids(case: Case, X: np.ndarray) -> np.ndarray:
    """Which example each row is (features are arange rows, so row // d)."""
    return (X[:, 0] // X.shape[1]).astype(int) if X.size else np.zeros(0, int)


def compare_data_iter(got, expected, case: Case) -> Mismatch:
    batch_size, features, labels = (
        case.args[0],
        argument_array(case.args[1]),
        argument_array(case.args[2]),
    )
    num_examples = len(features)
    batches, problem = _batches(got)
    if problem:
        return problem
    if not batches:
        return "data_iter yielded nothing"
    sizes = [len(X) for X, _ in batches]
    if any(size > batch_size for size in sizes):
        return f"a batch has {max(sizes)} examples; batch_size is {batch_size}"
    if any(size != batch_size for size in sizes[:-1]):
        return f"only the last batch may be smaller than batch_size; batch sizes were {sizes[:12]}"
    X = np.concatenate([X for X, _ in batches])
    y = np.concatenate([y for _, y in batches])
    if X.shape[1] != features.shape[1]:
        return f"batches have {X.shape[1]} features per example, expected {features.shape[1]}"
    ids = _example_ids(case, X)
    if len(ids) != num_examples or sorted(ids) != list(range(num_examples)):
        missing = num_examples - len(set(ids.tolist()))
        return (
            f"one pass should cover each of the {num_examples} examples exactly once; "
            f"got {len(ids)} examples, {missing} missing"
        )
    if not np.allclose(X, features[ids]) or not np.allclose(
        y.ravel(), labels.reshape(num_examples, -1)[ids].ravel()
    ):
        return (
            "features and labels are no longer paired: "
            "a label was yielded with another example's features"
        )
    if num_examples >= 20 and np.array_equal(ids, np.arange(num_examples)):
        return "the examples come in their original order; data_iter should shuffle them"
    return None


def _data_iter_symptom(text: str):
    def applies(case: Case, got, expected) -> bool:
        problem = compare_data_iter(got, expected, case)
        return problem is not None and text in problem

    return applies


DATA_ITER = FunctionCheck(
    function="data_iter",
    points=2,
    cases=data_iter_cases,
    compare=compare_data_iter,
    adapter="iterate",
    needs_reference=False,
    description="shuffled minibatches covering every example once per pass",
    hints=(
        Hint(
            "Don't drop the last, smaller batch: step through the shuffled indices with "
            "range(0, n, batch_size) and slice to the end.",
            _data_iter_symptom("missing"),
        ),
        Hint(
            "Shuffle a permutation of the indices (np.random.default_rng(seed).permutation(n)) "
            "and take the batches from it in order.",
            _data_iter_symptom("original order"),
        ),
        Hint(
            "Index features and labels with the same batch of indices (tf.gather(features, i), "
            "tf.gather(labels, i)).",
            _data_iter_symptom("paired"),
        ),
    ),
)


# ---------------------------------------------------------------------------
# normal_equation(X, y)
# ---------------------------------------------------------------------------
def normal_equation_cases() -> list[Case]:
    rng = _rng(5)

    def problem(n, d, scale=1.0, dtype=np.float32):
        X = (rng.normal(size=(n, d)) * scale).astype(dtype)
        w = rng.normal(size=(d, 1))
        y = (X @ w + 1.3 + rng.normal(0, 0.1, size=(n, 1))).astype(dtype)
        return X, y

    X1, y1 = problem(40, 3)
    X2, y2 = problem(200, 5, dtype=np.float64)
    X3, y3 = problem(30, 1)
    X4, y4 = problem(60, 2, scale=100.0, dtype=np.float64)
    return [
        Case(
            "points on the line y = 2x + 1",
            (np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0])),
            expected=(np.array([[2.0]]), 1.0),
            public=True,
        ),
        Case("float32 numpy inputs", (X1, y1)),
        Case("float64 inputs, y of shape (n,)", (X2, y2.ravel())),
        Case("tf.Tensor inputs, one feature", (Tensor(X3), Tensor(y3))),
        Case("features of magnitude 100", (X4, y4)),
    ]


def compare_normal_equation(got, expected, case: Case) -> Mismatch:
    if not isinstance(got, tuple | list) or len(got) != 2:
        return f"normal_equation should return a pair (w, b), got {describe(got)}"
    problem = compare_values(got[0], np.asarray(expected[0]), rtol=1e-3, atol=1e-3, path="w")
    if problem:
        return problem
    b = array_or_none(got[1])
    if b is None or b.size != 1:
        return f"b should be a single number, got {describe(got[1])}"
    return compare_values(
        b.reshape(()), np.asarray(float(np.ravel(expected[1])[0])), rtol=1e-3, atol=1e-3, path="b"
    )


def _without_intercept(case: Case, got, expected) -> bool:
    X = argument_array(case.args[0]).astype(np.float64)
    y = argument_array(case.args[1]).astype(np.float64).reshape(-1, 1)
    w_no_intercept = np.linalg.lstsq(X, y, rcond=None)[0]
    return np.allclose(np.ravel(got[0]), w_no_intercept.ravel(), rtol=1e-3, atol=1e-3)


NORMAL_EQUATION = FunctionCheck(
    function="normal_equation",
    points=2,
    cases=normal_equation_cases,
    compare=compare_normal_equation,
    description="closed-form least squares (w of shape (d, 1), b)",
    hints=(
        Hint(
            "Fit the intercept too: append a column of ones to X, solve, and split the last "
            "coefficient off as b.",
            _without_intercept,
        ),
        Hint("Return w with shape (d, 1).", lambda case, got, expected: np.ndim(got[0]) == 1),
    ),
)


# ---------------------------------------------------------------------------
# train_linear_regression(...): the parameters must be recovered
# ---------------------------------------------------------------------------
def train_cases() -> list[Case]:
    def problem(seed, w, b, n=1000):
        rng = _rng(seed)
        w = np.asarray(w, np.float32).reshape(-1, 1)
        X = rng.normal(size=(n, len(w))).astype(np.float32)
        y = (X @ w + b + rng.normal(0, 0.01, size=(n, 1))).astype(np.float32)
        return X, y, (w, b)

    X1, y1, truth1 = problem(6, [2.0, -3.4], 4.2)
    X2, y2, truth2 = problem(7, [0.5, 1.0, -2.0], -1.0, n=600)
    return [
        Case(
            "Dive into Deep Learning's data (w = [2, -3.4], b = 4.2), default settings",
            (X1, y1),
            expected=truth1,
            public=True,
        ),
        Case(
            "three features, 5 epochs, batch 20, lr 0.05",
            (X2, y2),
            {"num_epochs": 5, "lr": 0.05, "batch_size": 20, "seed": 1},
            expected=truth2,
        ),
    ]


def compare_training(got, expected, case: Case) -> Mismatch:
    if not isinstance(got, tuple | list) or len(got) != 2:
        return f"train_linear_regression should return (w, b), got {describe(got)}"
    w, b = array_or_none(got[0]), array_or_none(got[1])
    if w is None or b is None:
        return f"w and b should be numbers, got {describe(got)}"
    true_w, true_b = np.asarray(expected[0], np.float64), float(expected[1])
    if w.size != true_w.size or b.size != 1:
        return f"w should have {true_w.size} values and b one, got shapes {w.shape} and {b.shape}"
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
        return "training diverged: the parameters are inf or nan"
    error = max(np.max(np.abs(w.ravel() - true_w.ravel())), abs(float(b.ravel()[0]) - true_b))
    if error > 5e-3:
        return (
            f"the learned parameters are {error:.3g} away from the true ones "
            f"(w = {np.round(w.ravel(), 4).tolist()}, b = {float(b.ravel()[0]):.4f}); "
            "expected within 0.005"
        )
    return None


TRAIN = FunctionCheck(
    function="train_linear_regression",
    points=3,
    cases=train_cases,
    compare=compare_training,
    needs_reference=False,
    description="minibatch SGD recovering the true parameters",
    hints=(
        Hint(
            "Training diverged. Sum the minibatch loss and let sgd divide by the batch size, "
            "with the learning rate given.",
            lambda case, got, expected: not np.all(np.isfinite(np.ravel(got[0]))),
        ),
        Hint(
            "The parameters barely moved from their start: update both w and b every step "
            "(sgd([w, b], tape.gradient(loss, [w, b]), lr, batch_size)).",
            lambda case, got, expected: np.max(np.abs(np.ravel(got[0]))) < 0.1,
        ),
    ),
)


SPEC = AssignmentSpec(
    name="linear_regression",
    checks=(LINREG, SQUARED_LOSS, SGD, DATA_ITER, NORMAL_EQUATION, TRAIN),
)
