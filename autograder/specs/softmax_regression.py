"""Checks of the softmax-regression assignment (`solutions/softmax_regression.py`).

The Keras model is graded by its structure (layers, output shape, parameter
count) and by training it briefly on `training_images`, a small seeded data set
of 28 × 28 "images" made of class-dependent blobs that a linear model separates:
the sandbox sends back the model's predictions on held-out images, and the
grader computes the accuracy from them with labels the student's code never sees.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from autograder.checks import (
    AssignmentSpec,
    Case,
    Comparison,
    FunctionCheck,
    Hint,
    Mismatch,
    argument_array,
    array_or_none,
    compare_values,
    describe,
    is_unsupported,
)
from autograder.sandbox import Tensor

IMAGE_SHAPE = (28, 28)
TRAINING_CLASSES = 10
MIN_ACCURACY = 0.8
"""Held-out accuracy after the short training: correct models reach 0.94 to 1.0 across seeds."""


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([20261123, 100 + seed])


# ---------------------------------------------------------------------------
# Shared helpers (also used by the MLP checks).
# ---------------------------------------------------------------------------
@functools.cache
def training_images() -> dict[str, np.ndarray]:
    """The seeded data set the Keras models are trained on.

    Each of the 10 classes has a random prototype image; an example is its
    class's prototype plus strong Gaussian noise, so single pixels say little
    but a linear model over all 784 pixels separates the classes.

    Returns:
        ``x`` (256, 28, 28) and ``y`` (256,) to train on, ``x_eval`` (128, 28,
        28) and ``y_eval`` (128,) to measure the accuracy; images are float32
        around 0.5, labels int64 in [0, 10).
    """
    rng = _rng(0)
    prototypes = rng.normal(size=(TRAINING_CLASSES, *IMAGE_SHAPE))

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.permutation(np.arange(count) % TRAINING_CLASSES)
        noise = rng.normal(0.0, 2.0, size=(count, *IMAGE_SHAPE))
        images = 0.5 + 0.25 * (prototypes[labels] + noise)
        return images.astype(np.float32), labels.astype(np.int64)

    x, y = draw(256)
    x_eval, y_eval = draw(128)
    return {"x": x, "y": y, "x_eval": x_eval, "y_eval": y_eval}


def keras_options() -> dict:
    """Options of the "keras_model" adapter: build on 28 × 28 inputs, train briefly."""
    data = training_images()
    return {
        "input_shape": list(IMAGE_SHAPE),
        "train": {
            "x": data["x"],
            "y": data["y"],
            "x_eval": data["x_eval"],
            "epochs": 2,
            "batch_size": 32,
            "learning_rate": 0.003,
            "loss": "sparse_categorical_crossentropy_from_logits",
            "seed": 0,
        },
    }


def close_for_dtype(
    float32: tuple[float, float], float64: tuple[float, float], *, scaled: bool = False
) -> Comparison:
    """A comparison whose (rtol, atol) depend on the expected output's dtype.

    Args:
        float32: (rtol, atol) when the expected output is float32 (or not float64).
        float64: (rtol, atol) when it is float64.
        scaled: Multiply atol by the largest expected magnitude (at least 1),
            for sums of many products whose rounding grows with their size.
    """

    def compare(got, expected, case: Case) -> Mismatch:
        del case
        wanted = np.asarray(expected)
        rtol, atol = float64 if wanted.dtype == np.float64 else float32
        if scaled and wanted.size and wanted.dtype.kind in "biuf":
            atol *= max(1.0, float(np.max(np.abs(wanted))))
        return compare_values(got, expected, rtol=rtol, atol=atol)

    return compare


def stable_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (for case inputs and hints)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def rows_sum_to_one(got) -> bool:
    """Whether a 2-D output is finite with rows of non-negative entries summing to 1."""
    got = array_or_none(got)
    return (
        got is not None
        and got.ndim == 2
        and bool(np.all(np.isfinite(got)))
        and bool(np.all(got >= 0))
        and np.allclose(got.sum(axis=1), 1.0, atol=1e-4)
    )


def flat_inputs(value) -> np.ndarray:
    """An argument as a float64 array of shape (n, d)."""
    array = argument_array(value).astype(np.float64)
    return array.reshape(len(array), -1)


def model_summary_problem(got) -> Mismatch:
    """Whether a "keras_model" output has the summary's shape, as a message."""
    if is_unsupported(got) or not isinstance(got, dict):
        return f"expected a summary of a keras.Model, got {describe(got)}"
    missing = [k for k in ("layers", "param_count", "output_shape", "predictions") if k not in got]
    if missing:
        return f"the model summary lacks {', '.join(missing)}"
    if got.get("compiled"):
        return ("the model is already compiled; return it uncompiled, the training code "
                "chooses the optimizer and loss")
    return None


def layers_of(got, class_name: str) -> list[dict]:
    """The summaries of the model's layers of one class, in order."""
    return [layer for layer in got["layers"] if layer.get("class_name") == class_name]


def activation_of(layer: dict) -> str:
    """A Dense layer's activation name ("linear" when it has none)."""
    activation = layer.get("config", {}).get("activation")
    return "linear" if activation in (None, "linear") else str(activation)


def output_activation_problem(got) -> Mismatch:
    """A message when the model ends in an activation instead of outputting logits."""
    layers = [layer for layer in got["layers"] if layer.get("class_name") != "InputLayer"]
    last = layers[-1] if layers else {}
    if last.get("class_name") == "Dense" and activation_of(last) != "linear":
        return (
            f"the last Dense layer has activation {activation_of(last)!r}; "
            "the model must output logits (no activation)"
        )
    kind = last.get("class_name")
    if kind in ("Softmax", "ReLU", "LeakyReLU") or (
        kind == "Activation" and activation_of(last) != "linear"
    ):
        return f"the model ends with a {kind} layer; it must output logits"
    return None


def trained_accuracy_problem(got, num_classes: int) -> Mismatch:
    """Checks the predictions after the short training, with the held-out labels."""
    data = training_images()
    predictions = array_or_none(got["predictions"])
    wanted = (len(data["y_eval"]), num_classes)
    if predictions is None or predictions.shape != wanted:
        return f"the predictions have shape {np.shape(predictions)}, expected {wanted}"
    if not np.all(np.isfinite(predictions)):
        return "after training, the model's outputs contain inf or nan"
    accuracy = float(np.mean(predictions.argmax(axis=1) == data["y_eval"]))
    if accuracy < MIN_ACCURACY:
        return (
            f"after a short training on an easy data set the model reaches an accuracy of "
            f"{accuracy:.2f} on held-out images; a correct model reaches at least {MIN_ACCURACY}"
        )
    return None


def model_not_flattened(case: Case, error: str, expected) -> bool:
    """An error hint: training failed because the model's output kept the images' rows."""
    return re.search(r"output\.shape=\(\d+, \d+, \d+\)", error) is not None


def images_not_flattened(case: Case, error: str, expected) -> bool:
    """An error hint: the call failed on images (not on flat inputs), as unflattened X does."""
    return argument_array(case.args[0]).ndim > 2 and (
        "incompatible" in error or "shape" in error.lower()
    )


FLATTEN_HINT = (
    "Flatten the images to (n, d) with tf.reshape(X, (tf.shape(X)[0], -1)) before "
    "multiplying by the weights: X arrives as (n, 28, 28) images."
)


def symptom(compare: Comparison, text: str):
    """A hint condition: the comparison's message mentions `text`."""

    def applies(case: Case, got, expected) -> bool:
        problem = compare(got, expected, case)
        return problem is not None and text in problem

    return applies


# ---------------------------------------------------------------------------
# softmax(X)
# ---------------------------------------------------------------------------
def softmax_cases() -> list[Case]:
    rng = _rng(1)
    return [
        Case(
            "small known example",
            (np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], np.float32),),
            expected=np.array(
                [[0.09003057, 0.24472848, 0.66524094], [1 / 3, 1 / 3, 1 / 3]], np.float32
            ),
            public=True,
        ),
        Case(
            "logits of ±1e4 (float32)",
            (np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [5e3, 5e3, 0.0]], np.float32),),
            expected=np.array(
                [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]], np.float32
            ),
            public=True,
        ),
        Case("tf.Tensor float32 logits (8, 5)", (Tensor(rng.normal(0, 2, (8, 5)).astype("f4")),)),
        Case("numpy float64 logits (4, 7)", (rng.normal(0, 3, (4, 7)),)),
        Case("batch of one, 10 classes", (Tensor(rng.normal(size=(1, 10)).astype("f4")),)),
        Case("large float64 logits (thousands)", (Tensor(rng.normal(0, 3e3, (5, 4))),)),
    ]


def compare_softmax(got, expected, case: Case) -> Mismatch:
    """Compares within the precision the logits themselves carry.

    A stable softmax is exact for logits perturbed by a few units in the last
    place of the largest logit, so for logits of magnitude M the relative error
    may reach about eps * M (float32 logits of ±1e4 are only known to ±5e-4):
    computing ``exp(X - logsumexp(X))`` is as right as subtracting the maximum.
    """
    wanted = np.asarray(expected)
    float64 = wanted.dtype == np.float64
    magnitude = max(1.0, float(np.max(np.abs(argument_array(case.args[0])))))
    eps = float(np.finfo(np.float64 if float64 else np.float32).eps)
    rtol = (1e-6 if float64 else 2e-4) + 8 * eps * magnitude
    return compare_values(got, expected, rtol=rtol, atol=1e-9 if float64 else 1e-6)


def _softmax_not_finite(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    return got is not None and not np.all(np.isfinite(got))


def _columns_sum_to_one(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    return (
        got is not None
        and got.ndim == 2
        and np.allclose(got.sum(axis=0), 1.0, atol=1e-4)
        and not np.allclose(got.sum(axis=1), 1.0, atol=1e-4)
    )


def _rows_do_not_sum_to_one(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    return (
        got is not None
        and got.shape == np.shape(expected)
        and bool(np.all(np.isfinite(got)))
        and not np.allclose(got.sum(axis=-1), 1.0, atol=1e-4)
    )


SOFTMAX = FunctionCheck(
    function="softmax",
    points=2,
    cases=softmax_cases,
    compare=compare_softmax,
    description="row-wise softmax, stable for logits up to ±1e4",
    hints=(
        Hint(
            "The result contains inf or nan: tf.exp overflows for large logits and inf / inf is "
            "nan. Subtract each row's maximum first: "
            "X - tf.reduce_max(X, axis=1, keepdims=True).",
            _softmax_not_finite,
        ),
        Hint(
            "The columns sum to 1 instead of the rows: reduce over axis=1 (each example's "
            "classes), with keepdims=True, not over axis 0.",
            _columns_sum_to_one,
        ),
        Hint(
            "Each row must sum to 1: divide exp(X) by its row sums, "
            "tf.reduce_sum(X_exp, axis=1, keepdims=True).",
            _rows_do_not_sum_to_one,
        ),
    ),
)


# ---------------------------------------------------------------------------
# cross_entropy(y_hat, y)
# ---------------------------------------------------------------------------
def cross_entropy_cases() -> list[Case]:
    rng = _rng(2)

    def problem(n, q, dtype, label_dtype):
        probabilities = stable_softmax(rng.normal(0, 2, (n, q))).astype(dtype)
        labels = rng.integers(0, q, n).astype(label_dtype)
        return probabilities, labels

    p8, y8 = problem(8, 5, np.float32, np.int32)
    p6, y6 = problem(6, 4, np.float64, np.int64)
    p1, y1 = problem(1, 10, np.float32, np.int32)
    tiny = np.array([[1e-30, 1.0 - 1e-30, 0.0], [0.25, 0.25, 0.5], [1e-12, 0.5, 0.5 - 1e-12]])
    return [
        Case(
            "small known example",
            (
                np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], np.float32),
                np.array([2, 0], np.int32),
            ),
            expected=np.array([0.5108256, 1.2039728], np.float32),
            public=True,
        ),
        Case("tf.Tensor float32 probabilities, int32 labels", (Tensor(p8), Tensor(y8))),
        Case("numpy float64 probabilities, int64 labels", (p6, y6)),
        Case("batch of one, 10 classes", (Tensor(p1), Tensor(y1))),
        Case("tiny probabilities of the true class (float64)", (tiny, np.array([0, 2, 0]))),
    ]


def _case_losses(case: Case) -> np.ndarray:
    probabilities = argument_array(case.args[0]).astype(np.float64)
    labels = argument_array(case.args[1]).astype(int).ravel()
    return -np.log(probabilities[np.arange(len(labels)), labels])


def _reduced_loss(reduce):
    def applies(case: Case, got, expected) -> bool:
        got = array_or_none(got)
        losses = _case_losses(case)
        return (
            got is not None
            and got.size == 1
            and len(losses) > 1
            and np.allclose(got.ravel()[0], reduce(losses), rtol=1e-4)
        )

    return applies


def _loss_matrix(case: Case, got, expected) -> bool:
    n = len(argument_array(case.args[1]).ravel())
    return n > 1 and np.shape(got) == (n, n)


def _loss_sign_flipped(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    losses = _case_losses(case)
    return got is not None and got.size == losses.size and np.allclose(-got.ravel(), losses)


CROSS_ENTROPY = FunctionCheck(
    function="cross_entropy",
    points=2,
    cases=cross_entropy_cases,
    compare=close_for_dtype((1e-5, 1e-6), (1e-6, 1e-8)),
    description="per-example -log y_hat[i, y[i]], shape (n,)",
    hints=(
        Hint(
            "You averaged the losses: return one loss per example, shape (n,); the training "
            "loop takes the mean (do not call tf.reduce_mean here).",
            _reduced_loss(np.mean),
        ),
        Hint(
            "You summed the losses: return one loss per example, shape (n,).",
            _reduced_loss(np.sum),
        ),
        Hint(
            "The result has shape (n, n): y_hat[:, y] picks every label's column for every "
            "example. Pick one entry per row: tf.gather(y_hat, y[:, None], axis=1, batch_dims=1) "
            "or tf.reduce_sum(y_hat * tf.one_hot(y, q), axis=1).",
            _loss_matrix,
        ),
        Hint(
            "Return one loss per example as a vector of shape (n,) (tf.reshape(..., (-1,))).",
            lambda case, got, expected: np.ndim(got) != 1 and np.size(got) == np.size(expected),
        ),
        Hint("The loss is -log of the probability: you left out the minus.", _loss_sign_flipped),
        Hint(
            "The result contains nan: a probability of exactly 0 gives log(0) = -inf, and "
            "one_hot * -inf is 0 * -inf = nan. Pick each example's probability of its true "
            "class first, then take -log of it.",
            lambda case, got, expected: not np.all(np.isfinite(np.asarray(got, np.float64))),
        ),
    ),
)


# ---------------------------------------------------------------------------
# accuracy(y_hat, y)
# ---------------------------------------------------------------------------
def accuracy_cases() -> list[Case]:
    rng = _rng(3)
    logits = rng.normal(size=(50, 10)).astype(np.float32)
    labels = logits.argmax(axis=1).astype(np.int32)
    labels[30:] = rng.integers(0, 10, 20)  # 30 right, and some of the rest by chance
    probabilities = stable_softmax(rng.normal(size=(20, 4)))
    column = rng.integers(0, 4, (20, 1))
    column[:12, 0] = probabilities[:12].argmax(axis=1)
    one = np.array([[0.2, 0.5, 0.3]], np.float32)
    return [
        Case(
            "small known example (3 of 4 right)",
            (
                np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], np.float32),
                np.array([1, 0, 0, 0], np.int32),
            ),
            expected=0.75,
            public=True,
        ),
        Case("tf.Tensor float32 logits (50, 10), int32 labels", (Tensor(logits), Tensor(labels))),
        Case("float64 probabilities, labels of shape (n, 1)", (probabilities, column)),
        Case("batch of one, wrong prediction", (Tensor(one), Tensor(np.array([2], np.int32)))),
    ]


def compare_accuracy(got, expected, case: Case) -> Mismatch:
    array = array_or_none(got)
    if array is not None and array.ndim != 0:
        return f"accuracy should return one number (a Python float), got {describe(got)}"
    return compare_values(got, expected, rtol=1e-6, atol=1e-6)


def _accuracy_is_count(case: Case, got, expected) -> bool:
    count = float(expected) * len(argument_array(case.args[1]))
    return count != float(expected) and np.allclose(np.ravel(got), count)


def _accuracy_broadcast(case: Case, got, expected) -> bool:
    labels = argument_array(case.args[1])
    predictions = argument_array(case.args[0]).argmax(axis=1)
    if labels.ndim != 2:
        return False
    return np.allclose(np.ravel(got), np.mean(predictions == labels))


ACCURACY = FunctionCheck(
    function="accuracy",
    points=1,
    cases=accuracy_cases,
    compare=compare_accuracy,
    description="fraction of rows whose argmax is the label, a Python float",
    hints=(
        Hint(
            "You returned the number of correct predictions: divide it by the number of "
            "examples (or take tf.reduce_mean of the matches) to get a fraction.",
            _accuracy_is_count,
        ),
        Hint(
            "Labels of shape (n, 1) compared with predictions of shape (n,) broadcast to (n, n): "
            "reshape y to (n,) first (tf.reshape(y, (-1,))).",
            _accuracy_broadcast,
        ),
        Hint(
            "Return a single Python float: float(tf.reduce_mean(tf.cast(matches, tf.float64))).",
            lambda case, got, expected: np.ndim(got) != 0,
        ),
    ),
)


# ---------------------------------------------------------------------------
# softmax_regression(X, W, b)
# ---------------------------------------------------------------------------
def softmax_regression_cases() -> list[Case]:
    rng = _rng(4)
    images = rng.uniform(0, 1, (6, 28, 28)).astype(np.float32)
    W = rng.normal(0, 0.05, (784, 10)).astype(np.float32)
    b = rng.normal(0, 0.1, 10).astype(np.float32)
    X5, W5, b5 = rng.normal(size=(5, 12)), rng.normal(size=(12, 3)), rng.normal(size=3)
    X4 = (rng.normal(size=(4, 6)) * 100).astype(np.float32)
    W4 = (rng.normal(size=(6, 5)) * 100).astype(np.float32)
    return [
        Case(
            "small known example, 2 × 2 images",
            (
                np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 2.0], [1.0, 0.0]]], np.float32),
                np.array(
                    [[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]],
                    np.float32,
                ),
                np.array([0.0, 0.5, -0.5], np.float32),
            ),
            expected=np.array(
                [[0.610975, 0.3705751, 0.018449849], [0.067425355, 0.82140905, 0.11116562]],
                np.float32,
            ),
            public=True,
        ),
        Case("tf.Tensor float32 28 × 28 images", (Tensor(images), Tensor(W), Tensor(b))),
        Case("numpy float64, already flat", (X5, W5, b5)),
        Case("batch of one image", (Tensor(images[:1]), Tensor(W), Tensor(b))),
        Case(
            "large logits (tens of thousands), float32", (Tensor(X4), Tensor(W4), np.zeros(5, "f4"))
        ),
    ]


def _case_logits(case: Case) -> np.ndarray:
    X = flat_inputs(case.args[0])
    W = argument_array(case.args[1]).astype(np.float64)
    return X @ W + argument_array(case.args[2]).astype(np.float64)


def _returns_logits(case: Case, got, expected) -> bool:
    got = array_or_none(got)
    logits = _case_logits(case)
    return (
        got is not None
        and got.shape == logits.shape
        and np.allclose(got, logits, rtol=1e-3, atol=1e-3)
    )


SOFTMAX_REGRESSION = FunctionCheck(
    function="softmax_regression",
    points=2,
    cases=softmax_regression_cases,
    compare=close_for_dtype((2e-4, 1e-5), (1e-6, 1e-9)),
    description="softmax(X W + b) with X flattened to (n, d)",
    hints=(
        Hint(
            "You returned the logits X W + b: apply your softmax to them, the model outputs "
            "probabilities.",
            _returns_logits,
        ),
        Hint(
            "The result contains inf or nan for large logits: use a softmax that subtracts "
            "each row's maximum.",
            _softmax_not_finite,
        ),
        Hint(FLATTEN_HINT, lambda case, got, expected: np.ndim(got) != 2),
        Hint(FLATTEN_HINT, images_not_flattened, on_error=True),
    ),
)


# ---------------------------------------------------------------------------
# build_softmax_model(num_classes=10): structure and a short training
# ---------------------------------------------------------------------------
def build_softmax_model_cases() -> list[Case]:
    return [
        Case("default: 10 classes, trained briefly", (), public=True),
        Case("12 classes, trained briefly", (12,)),
    ]


def compare_softmax_model(got, expected, case: Case) -> Mismatch:
    num_classes = case.args[0] if case.args else case.kwargs.get("num_classes", 10)
    problem = model_summary_problem(got)
    if problem:
        return problem
    dense = layers_of(got, "Dense")
    if len(dense) != 1:
        return f"the model has {len(dense)} Dense layers; softmax regression has exactly 1"
    units = dense[0].get("config", {}).get("units")
    if units != num_classes:
        return f"the Dense layer has {units} units, expected num_classes = {num_classes}"
    if got["output_shape"] != [2, num_classes]:
        return (
            f"on a batch of 2 images of 28 × 28 the model outputs shape {got['output_shape']}, "
            f"expected [2, {num_classes}]"
        )
    problem = output_activation_problem(got)
    if problem:
        return problem
    params = 784 * num_classes + num_classes
    if got["param_count"] != params:
        return f"the model has {got['param_count']:,} parameters, expected {params:,}"
    return trained_accuracy_problem(got, num_classes)


BUILD_SOFTMAX_MODEL = FunctionCheck(
    function="build_softmax_model",
    points=3,
    cases=build_softmax_model_cases,
    compare=compare_softmax_model,
    adapter="keras_model",
    options=keras_options(),
    needs_reference=False,
    description="uncompiled Keras model: Flatten then Dense(num_classes), outputting logits",
    hints=(
        Hint(
            "Add keras.layers.Flatten() before the Dense layer: without it Dense acts on the "
            "last axis of each 28 × 28 image and the output keeps an extra axis.",
            model_not_flattened,
            on_error=True,
        ),
        Hint(
            "Leave the Dense layer without activation: the model outputs logits, and the loss "
            "(from_logits=True) applies the softmax.",
            symptom(compare_softmax_model, "logits"),
        ),
        Hint(
            "Use the num_classes argument for the number of units instead of a fixed 10.",
            symptom(compare_softmax_model, "expected num_classes"),
        ),
    ),
)


SPEC = AssignmentSpec(
    name="softmax_regression",
    checks=(SOFTMAX, CROSS_ENTROPY, ACCURACY, SOFTMAX_REGRESSION, BUILD_SOFTMAX_MODEL),
)
