"""Checks of the optimization assignment (`solutions/optimization.py`).

`hessian` takes a function: its cases pass `Function` markers, small
TensorFlow functions the sandbox defines where the student's code runs. The
two optimizer steps update variables in place and are graded by the
``"inplace"`` adapter: the parameters, the velocities and Adam's moments after
the call. Most hints are the classic mistakes written as a student would
(``Hint(like=...)``); the eigenvector's length and sign are properties.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from autograder.checks import (
    AssignmentSpec,
    Case,
    FunctionCheck,
    Hint,
    array_or_none,
    close_to,
)
from autograder.sandbox import Function, Tensor, Variable


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([20261201, 500 + seed])


def symmetric(eigenvalues, seed: int, dtype=np.float64) -> np.ndarray:
    """A symmetric matrix with the given eigenvalues in a seeded random basis."""
    basis, _ = np.linalg.qr(_rng(seed).normal(size=(len(eigenvalues),) * 2))
    return (basis @ np.diag(eigenvalues) @ basis.T).astype(dtype)


# ---------------------------------------------------------------------------
# hessian(f, x)
# ---------------------------------------------------------------------------
SADDLE = Function("def f(w):\n    return (w[0] * w[1] - 1.0) ** 2")
ROSENBROCK = Function("def f(x):\n    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2")
MIXED = Function("def f(x):\n    return tf.sin(x[0]) * tf.exp(0.5 * x[1]) + x[0] * x[1] * x[2]")
LINEAR = Function("def f(x):\n    return tf.reduce_sum(x * tf.constant([1.0, -2.0, 3.0], x.dtype))")


def quadratic_form(A: np.ndarray) -> Function:
    """``0.5 xᵀ A x``, whose Hessian is the symmetric A."""
    rows = ", ".join("[" + ", ".join(f"{value!r}" for value in row) + "]" for row in A)
    return Function(
        f"def f(x):\n    A = tf.constant([{rows}], x.dtype)\n"
        "    return 0.5 * tf.tensordot(x, tf.linalg.matvec(A, x), 1)"
    )


def hessian_cases() -> list[Case]:
    A = np.round(symmetric([3.0, 1.0, -0.5, 2.0], seed=1), 6)
    return [
        Case(
            "the saddle (w1 w2 - 1)² at (0, 0), float32",
            (SADDLE, Tensor(np.zeros(2, np.float32))),
            expected=np.array([[0.0, -2.0], [-2.0, 0.0]], np.float32),
            public=True,
        ),
        Case("Rosenbrock at (-1.2, 1), float64", (ROSENBROCK, Tensor(np.array([-1.2, 1.0])))),
        Case("sin, exp and a product in 3-D, float32",
             (MIXED, Tensor(np.array([0.3, -0.7, 1.1], np.float32)))),
        Case("a quadratic form 0.5 xᵀAx in 4-D, float64",
             (quadratic_form(A), Tensor(_rng(2).normal(size=4)))),
        Case("a linear function: the Hessian is zero, float64",
             (LINEAR, Tensor(np.array([1.0, 2.0, 3.0])))),
        Case("x of shape (2, 2) is rejected", (SADDLE, Tensor(np.zeros((2, 2), np.float32))),
             raises="ValueError"),
    ]


def hessian_single_tape(f, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    gradient = tape.gradient(y, x)
    return tape.jacobian(gradient, x)  # a non-persistent tape, used twice: RuntimeError


def hessian_unrecorded_gradient(f, x):
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    gradient = tape.gradient(y, x)  # after the block: not recorded
    return tape.jacobian(gradient, x)  # None


def hessian_none_when_linear(f, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        gradient = inner.gradient(y, x)
    return outer.jacobian(gradient, x)  # None where the gradient does not depend on x


SINGLE_TAPE_HINT = (
    "Nest two tapes: the gradient must be computed *inside* an outer tape's `with` block "
    "(inner.gradient(f(x), x) under `with tf.GradientTape() as outer:`), then "
    "outer.jacobian(gradient, x). With one tape the gradient is not recorded, so its "
    "derivative is None (or an error on a second use of the tape)."
)

HESSIAN = FunctionCheck(
    function="hessian",
    points=2,
    cases=hessian_cases,
    compare=close_to(rtol=1e-5, atol=1e-5, dtype="exact"),
    returns=("EagerTensor",),
    description="the (n, n) matrix of second derivatives, with nested tapes, in x's dtype",
    hints=(
        Hint(
            "Where f is linear in x its gradient does not depend on x, and tape.jacobian "
            "returns None: pass unconnected_gradients=tf.UnconnectedGradients.ZERO to get zeros.",
            like=hessian_none_when_linear,
        ),
        Hint(SINGLE_TAPE_HINT, like=(hessian_single_tape, hessian_unrecorded_gradient)),
    ),
)


# ---------------------------------------------------------------------------
# classify_critical_point(H, tol=1e-6)
# ---------------------------------------------------------------------------
def classify_cases() -> list[Case]:
    return [
        Case("diag(1, 2)", (np.diag([1.0, 2.0]),), expected="minimum", public=True),
        Case("the saddle's Hessian [[0, -2], [-2, 0]]",
             (np.array([[0.0, -2.0], [-2.0, 0.0]]),), expected="saddle", public=True),
        Case("eigenvalues -1, -0.5 (tf.Tensor float32)",
             (Tensor(symmetric([-1.0, -0.5], 3, np.float32)),)),
        Case("eigenvalues 0.5, 3, 7 in 3-D", (symmetric([0.5, 3.0, 7.0], 4),)),
        Case("eigenvalues -3, -2, -1e-3 in 3-D", (symmetric([-3.0, -2.0, -1e-3], 5),)),
        Case("eigenvalues 0, 1", (np.diag([0.0, 1.0]),)),
        Case("eigenvalues -1e-3, 5, 7 (a small negative one)", (symmetric([-1e-3, 5.0, 7.0], 6),)),
        Case("eigenvalues -1e-3, 5, 7 with tol=1e-2", (symmetric([-1e-3, 5.0, 7.0], 6),),
             {"tol": 1e-2}),
        Case("a non-square matrix is rejected", (np.ones((2, 3)),), raises="ValueError"),
    ]


def classify_swapped(H, tol=1e-6):
    H = np.asarray(H, np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values = np.linalg.eigvalsh(H)
    if np.all(values > tol):
        return "maximum"
    if np.all(values < -tol):
        return "minimum"
    return "saddle" if np.any(values > tol) and np.any(values < -tol) else "degenerate"


CLASSIFY = FunctionCheck(
    function="classify_critical_point",
    points=2,
    cases=classify_cases,
    compare=close_to(),
    returns=("str",),
    description='"minimum", "maximum", "saddle" or "degenerate" from the eigenvalues',
    hints=(
        Hint(
            "Minimum and maximum are swapped: at a minimum f curves *up* in every direction, "
            "so every eigenvalue of the Hessian is positive (above tol).",
            like=classify_swapped,
        ),
    ),
)


# ---------------------------------------------------------------------------
# escape_direction(H)
# ---------------------------------------------------------------------------
def escape_cases() -> list[Case]:
    return [
        Case(
            "the saddle's Hessian [[0, -2], [-2, 0]]",
            (np.array([[0.0, -2.0], [-2.0, 0.0]]),),
            expected=np.array([2**-0.5, 2**-0.5]),
            public=True,
        ),
        Case("eigenvalues -2, 1, 3 in 3-D", (symmetric([-2.0, 1.0, 3.0], 7),)),
        Case("eigenvalues -4, -1, 2, 5 (tf.Tensor float32)",
             (Tensor(symmetric([-4.0, -1.0, 2.0, 5.0], 8, np.float32)),)),
        Case("the eigenvector's first component is 0",
             (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),)),
        Case("eigenvalues -0.5, 0.1 in 2-D", (symmetric([-0.5, 0.1], 9),)),
        Case("no negative eigenvalue is rejected", (np.diag([1.0, 2.0]),), raises="ValueError"),
    ]


def _signed(u):
    return u if u[np.flatnonzero(np.abs(u) > 1e-8)[0]] > 0 else -u


def escape_largest(H):
    values, vectors = np.linalg.eigh(np.asarray(H, np.float64))
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    return tf.constant(_signed(vectors[:, -1]), tf.as_dtype(np.asarray(H).dtype))


def escape_row(H):
    values, vectors = np.linalg.eigh(np.asarray(H, np.float64))
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    return tf.constant(_signed(vectors[0]), tf.as_dtype(np.asarray(H).dtype))


def _close(got, wanted, rtol=1e-4, atol=1e-6) -> bool:
    got = array_or_none(got)
    return got is not None and got.shape == np.shape(wanted) and np.allclose(
        got, wanted, rtol=rtol, atol=atol)


def _unnormalised(case: Case, got, expected) -> bool:
    """Parallel to the answer but not of length 1 (however it was scaled)."""
    got, wanted = array_or_none(got), array_or_none(expected)
    if got is None or wanted is None or got.shape != wanted.shape or not np.any(got):
        return False
    norm = np.linalg.norm(got)
    return abs(norm - 1.0) > 1e-3 and _close(np.abs(got) / norm, np.abs(wanted))


def _opposite_sign(case: Case, got, expected) -> bool:
    return expected is not None and bool(np.any(expected)) and _close(got, -np.asarray(expected))


ESCAPE = FunctionCheck(
    function="escape_direction",
    points=2,
    cases=escape_cases,
    compare=close_to(rtol=1e-5, atol=1e-6),
    returns=("EagerTensor",),
    description="unit eigenvector of the most negative eigenvalue, first non-zero component > 0",
    hints=(
        Hint(
            "That is an eigenvector of another eigenvalue. np.linalg.eigh (and tf.linalg.eigh) "
            "return the eigenvalues in ascending order, the most negative first, and the "
            "eigenvectors as the *columns* of the matrix: take vectors[:, 0], not vectors[0] "
            "or vectors[:, -1].",
            like=(escape_largest, escape_row),
        ),
        Hint(
            "Your vector points the right way but does not have length 1: divide it by its "
            "norm (and fix the sign by multiplying with -1, not by dividing by a component).",
            applies=_unnormalised,
        ),
        Hint(
            "Flip the sign: the first component that is not zero must be positive.",
            applies=_opposite_sign,
        ),
    ),
)


# ---------------------------------------------------------------------------
# momentum_step(params, grads, velocities, lr, momentum), in place
# ---------------------------------------------------------------------------
def momentum_cases() -> list[Case]:
    rng = _rng(10)
    W = rng.normal(size=(3, 2)).astype(np.float32)
    b = rng.normal(size=2).astype(np.float32)
    gW, gb = (rng.normal(size=s).astype(np.float32) for s in ((3, 2), (2,)))
    vW, vb = (rng.normal(scale=0.1, size=s).astype(np.float32) for s in ((3, 2), (2,)))
    p64, g64, v64 = rng.normal(size=(3, 4, 5))
    return [
        Case(
            "small known example",
            ([Variable(np.array([1.0, -2.0], np.float32))], [np.array([2.0, 4.0], np.float32)],
             [Variable(np.array([0.5, 0.5], np.float32))], 0.1, 0.5),
            expected={
                "params": [np.array([1.05, -2.15], np.float32)],
                "velocities": [np.array([0.05, -0.15], np.float32)],
            },
            public=True,
        ),
        Case("two parameters, tf.Tensor gradients, velocities not zero",
             ([Variable(W), Variable(b)], [Tensor(gW), Tensor(gb)], [Variable(vW), Variable(vb)],
              0.05, 0.9)),
        Case("first step: velocities zero",
             ([Variable(W)], [Tensor(gW)], [Variable(np.zeros_like(W))], 0.1, 0.9)),
        Case("momentum 0 is gradient descent",
             ([Variable(b)], [Tensor(gb)], [Variable(vb)], 0.2, 0.0)),
        Case("float64 parameter, momentum 0.99",
             ([Variable(p64)], [Tensor(g64)], [Variable(v64 * 0.1)], 0.01, 0.99)),
    ]


def _view(**paths):
    """What an in-place check compares: named parts of the arguments after the call."""

    def view(output):
        try:
            args = output["args"]
            return {name: path(args) for name, path in paths.items()}
        except (KeyError, IndexError, TypeError):
            return output  # malformed: compared (and rejected) as it is

    return view


def momentum_flipped(params, grads, velocities, lr, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v.assign(momentum * v + lr * tf.cast(g, v.dtype))
        p.assign_sub(v)


MOMENTUM = FunctionCheck(
    function="momentum_step",
    points=2,
    cases=momentum_cases,
    compare=close_to(),
    adapter="inplace",
    view=_view(params=lambda args: args[0], velocities=lambda args: args[2]),
    returns=("NoneType",),
    description="v <- momentum * v - lr * g, then p <- p + v, in place",
    hints=(
        Hint(
            "The velocity has the wrong sign. In this convention (the material's and Keras's "
            "SGD(momentum=...)) the velocity is the step itself: v <- momentum * v - lr * g, "
            "then p <- p + v. (PyTorch keeps v <- momentum * v + g and subtracts lr * v: "
            "another convention, whose velocity is not this one.)",
            like=momentum_flipped,
        ),
    ),
)


# ---------------------------------------------------------------------------
# adam_step(params, grads, state, lr, step, beta_1, beta_2, epsilon), in place
# ---------------------------------------------------------------------------
def _adam_numpy(params, grads, m, v, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam step in float64, as Keras computes it (for the public case's literal)."""
    out = []
    for p, g, m0, v0 in zip(params, grads, m, v, strict=True):
        m1 = beta_1 * m0 + (1 - beta_1) * g
        v1 = beta_2 * v0 + (1 - beta_2) * g * g
        alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        out.append((p - alpha * m1 / (np.sqrt(v1) + epsilon), m1, v1))
    return out


def adam_cases() -> list[Case]:
    rng = _rng(20)

    def parameters(shapes, dtype=np.float32, scale=1.0):
        return [(rng.normal(size=s) * scale).astype(dtype) for s in shapes]

    p1 = [np.array([1.0, -1.0], np.float32)]
    g1 = [np.array([0.5, -2.0], np.float32)]
    zeros = [np.zeros(2, np.float32)]
    ((known, m_known, v_known),) = _adam_numpy(p1, g1, zeros, zeros, 0.1, 1)
    W, b = parameters([(3, 4), (4,)])
    gW, gb = parameters([(3, 4), (4,)])
    mW, mb = parameters([(3, 4), (4,)], scale=0.1)
    vW, vb = (np.abs(x) for x in parameters([(3, 4), (4,)], scale=0.01))
    small = parameters([(5,)], scale=1e-3)[0]
    p64, g64 = rng.normal(size=(2, 6))

    def state(m, v):
        return {"m": [Variable(x) for x in m], "v": [Variable(x) for x in v]}

    return [
        Case(
            "first step, one parameter",
            ([Variable(p1[0])], g1, state(zeros, zeros), 0.1, 1),
            expected={
                "params": [known.astype(np.float32)],
                "m": [m_known.astype(np.float32)],
                "v": [v_known.astype(np.float32)],
            },
            public=True,
        ),
        Case("first step, two parameters, tf.Tensor gradients",
             ([Variable(W), Variable(b)], [Tensor(gW), Tensor(gb)],
              state([np.zeros_like(W), np.zeros_like(b)], [np.zeros_like(W), np.zeros_like(b)]),
              0.01, 1)),
        Case("step 5 with moments already accumulated",
             ([Variable(W), Variable(b)], [Tensor(gW), Tensor(gb)], state([mW, mb], [vW, vb]),
              0.01, 5)),
        Case("step 3, beta_1=0.5, beta_2=0.9",
             ([Variable(b)], [Tensor(gb)], state([mb], [vb]), 0.05, 3),
             {"beta_1": 0.5, "beta_2": 0.9}),
        Case("small gradients with epsilon=1e-4",
             ([Variable(small)], [Tensor(small)], state([np.zeros(5, np.float32)],
                                                          [np.zeros(5, np.float32)]), 0.01, 2),
             {"epsilon": 1e-4}),
        Case("step 100, float64",
             ([Variable(p64)], [Tensor(g64)], state([g64 * 0.1], [g64**2 * 0.01]), 0.001, 100)),
    ]


def _adam_mistake(update):
    """An Adam step whose last line is `update(alpha, lr, m, v, epsilon)`."""

    def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
            g = tf.cast(g, p.dtype)
            m.assign(beta_1 * m + (1 - beta_1) * g)
            v.assign(beta_2 * v + (1 - beta_2) * g * g)
            alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
            p.assign_sub(update(alpha, lr, m, v, epsilon))

    return adam_step


adam_without_bias_correction = _adam_mistake(
    lambda alpha, lr, m, v, epsilon: lr * m / (tf.sqrt(v) + epsilon))
adam_epsilon_inside = _adam_mistake(
    lambda alpha, lr, m, v, epsilon: alpha * m / tf.sqrt(v + epsilon))


ADAM = FunctionCheck(
    function="adam_step",
    points=2,
    cases=adam_cases,
    compare=close_to(),
    adapter="inplace",
    view=_view(params=lambda args: args[0], m=lambda args: args[2]["m"],
               v=lambda args: args[2]["v"]),
    returns=("NoneType",),
    description="one Adam update in place, as keras.optimizers.Adam computes it",
    hints=(
        Hint(
            "The bias correction is missing: m and v start at 0, so early steps are far too "
            "small. Multiply the learning rate by sqrt(1 - beta_2**step) / (1 - beta_1**step).",
            like=adam_without_bias_correction,
        ),
        Hint(
            "Epsilon goes outside the square root: m / (sqrt(v) + epsilon), not "
            "m / sqrt(v + epsilon).",
            like=adam_epsilon_inside,
        ),
    ),
)


SPEC = AssignmentSpec(name="optimization", checks=(HESSIAN, CLASSIFY, ESCAPE, MOMENTUM, ADAM))
