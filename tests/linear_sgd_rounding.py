"""How far apart two float32 SGD runs of a linear model can end, from the rounding of their sums.

The polynomial-regression and weight-decay lectures train linear models
``X w (+ b)`` by plain SGD on the objective::

    mean over the batch of (x w + b - y)² / 2   +   λ ||w||² / 2

and their tests compare two float32 runs that take the same steps in exact
arithmetic (1 against 2 replicas; scratch against concise). This module
replays those steps in float64 and bounds the difference of the two runs'
parameters with `float32_rounding.sum_bound` and `float32_rounding.sgd_bound`
(read that module's docstring first):

* **One step's gradient.** Each residual ``r_i = x_i w + b - y_i`` is a sum of
  ``d + 2`` terms whose absolute values add up to ``R_i``; two orders differ
  by at most ``sum_bound(R_i, d + 2)``. The gradient of ``w_j`` is
  ``(1/B) Σ_i r_i x_ij + λ w_j``: the residuals' differences, times ``|x_ij|/B``,
  plus the rounding of that sum. The scratch loop adds the penalty to every
  example's loss, so its gradient sums ``2B`` terms; two more count the
  multiplications by ``1/B``, ``x_ij`` and ``λ``: ``sum_bound(..., 2B + 2)``.
* **One update.** ``w - learning_rate * g`` rounds once more, by at most
  ``sum_bound(|w| + learning_rate |g|, 2)``.
* **Many steps.** For this quadratic objective the gradient is affine in the
  parameters, so a difference ``δ`` made earlier becomes ``(I - lr H_t) δ``
  at step t, with ``H_t`` the batch objective's Hessian. When
  ``lr λ_max(H_t) <= 2`` that map does not lengthen any vector, so the
  Euclidean norm of the final difference is at most the sum over the steps of
  ``lr ||gradient bound||`` plus ``||update bound||``: `sgd_bound` applied to the
  norms. This module checks that premise on every batch instead of assuming it.
  (Element by element no such statement holds: ``I - lr H_t`` mixes the
  coordinates.)

The bound is first order in the rounding: the parameters and residuals of the
float64 replay stand for those of both float32 runs, which differ from them by
about the bound itself, far less than the worst-case factor ``n - 1`` of
`sum_bound` overestimates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from float32_rounding import sgd_bound, sum_bound


@dataclasses.dataclass(frozen=True)
class Replay:
    """The float64 replay of an SGD run and the rounding bound of its float32 versions.

    Attributes:
        w: Final weights, shape (d, 1).
        b: Final bias (0.0 for a model without bias).
        bound: Bound on the Euclidean norm of the difference of the parameters
            ``(w, b)`` of two float32 runs of the same steps.
        largest_step: The largest ``lr λ_max(H_t)`` met (at most 2).
    """

    w: np.ndarray
    b: float
    bound: float
    largest_step: float


def replay_linear_sgd(
    features,
    labels,
    initial_w,
    *,
    learning_rate: float,
    batch_size: int,
    epochs: int,
    lambd: float = 0.0,
    bias: bool = True,
    loss_factor: float = 1.0,
) -> Replay:
    """Replays SGD in float64 on consecutive batches (no shuffle) and bounds its rounding.

    Args:
        features: (n, d) inputs, in the order the runs take them.
        labels: (n, 1) targets.
        initial_w: (d, 1) initial weights; the bias starts at 0.
        learning_rate: SGD's constant step size.
        batch_size: Global batch size; batches are consecutive examples and
            the last one may be smaller.
        epochs: Passes over the data.
        lambd: Weight-decay strength λ (the bias is not penalised).
        bias: Whether the model has a bias.
        loss_factor: Multiplies the squared error's gradient (2 replays the
            mistake of Keras's MSE, which has no ½, in place of the halved error).

    Returns:
        The `Replay`.

    Raises:
        ValueError: If a step could lengthen an earlier difference
            (``lr λ_max(H_t) > 2``), where the bound does not hold.
    """
    X = np.asarray(features, np.float64)
    y = np.asarray(labels, np.float64).reshape(-1, 1)
    w = np.asarray(initial_w, np.float64).reshape(-1, 1).copy()
    b = 0.0
    num_examples, num_inputs = X.shape
    gradient_bounds, update_bounds, largest_steps = [], [], {}
    for _ in range(epochs):
        for start in range(0, num_examples, batch_size):
            x_batch, y_batch = X[start : start + batch_size], y[start : start + batch_size]
            size = len(x_batch)
            residuals = x_batch @ w + b - y_batch
            residual_bounds = sum_bound(np.abs(x_batch) @ np.abs(w) + abs(b) + np.abs(y_batch),
                                        num_inputs + 2)
            grad_w = loss_factor * x_batch.T @ residuals / size + lambd * w
            grad_b = loss_factor * float(np.mean(residuals)) if bias else 0.0
            bound_w = np.abs(x_batch).T @ residual_bounds / size + sum_bound(
                np.abs(x_batch).T @ np.abs(residuals) / size + lambd * np.abs(w), 2 * size + 2
            )
            parameters_bound = [bound_w.ravel()]
            updates = [sum_bound(np.abs(w) + learning_rate * np.abs(grad_w), 2).ravel()]
            if bias:
                bound_b = np.sum(residual_bounds) / size + sum_bound(
                    np.sum(np.abs(residuals)) / size, size + 1
                )
                parameters_bound.append(np.atleast_1d(bound_b))
                updates.append(np.atleast_1d(sum_bound(abs(b) + learning_rate * abs(grad_b), 2)))
            if start not in largest_steps:  # the same batches come back every epoch
                largest_steps[start] = learning_rate * largest_curvature(
                    x_batch, lambd, bias, loss_factor
                )
                if largest_steps[start] > 2:
                    raise ValueError(
                        f"learning_rate * λ_max(H) = {largest_steps[start]:.3g} > 2 at the batch "
                        f"starting at example {start}: a step can lengthen an earlier "
                        "difference, the bound does not hold."
                    )
            gradient_bounds.append(np.linalg.norm(np.concatenate(parameters_bound)))
            update_bounds.append(np.linalg.norm(np.concatenate(updates)))
            w = w - learning_rate * grad_w
            b = b - learning_rate * grad_b
    bound = float(sgd_bound(learning_rate, gradient_bounds) + np.sum(update_bounds))
    return Replay(w=w, b=b, bound=bound, largest_step=max(largest_steps.values()))


def largest_curvature(x_batch, lambd: float, bias: bool, loss_factor: float = 1.0) -> float:
    """λ_max of the Hessian of one batch's objective in the parameters ``(w, b)``."""
    size, num_inputs = x_batch.shape
    if bias:
        x_batch = np.hstack([x_batch, np.ones((size, 1))])
    hessian = loss_factor * x_batch.T @ x_batch / size
    hessian[np.arange(num_inputs), np.arange(num_inputs)] += lambd  # the bias is not penalised
    return float(np.linalg.eigvalsh(hessian).max())


def mean_half_squared_error_bound(features, labels, w, b: float = 0.0) -> float:
    """How far a float32 mean of ``(x w + b - y)² / 2`` over a data set can be from the exact one.

    Each residual rounds by at most `sum_bound` of its ``d + 2`` terms (the
    bound on two orders also bounds one order against the exact sum); its
    square moves by ``2 |r| δr / 2``, plus a few roundings of the square and
    the halving; the mean adds up ``n`` such terms in some batched order.

    Args:
        features: (n, d) inputs.
        labels: (n, 1) targets.
        w: (d, 1) weights the loss is evaluated at.
        b: The bias.

    Returns:
        The bound, a float.
    """
    X = np.asarray(features, np.float64)
    y = np.asarray(labels, np.float64).reshape(-1, 1)
    w = np.asarray(w, np.float64).reshape(-1, 1)
    residuals = X @ w + b - y
    residual_bounds = sum_bound(np.abs(X) @ np.abs(w) + abs(b) + np.abs(y), X.shape[1] + 2)
    halves = residuals**2 / 2
    per_example = np.abs(residuals) * residual_bounds + sum_bound(halves, 4)
    return float((np.sum(per_example) + sum_bound(np.sum(halves), len(X) + 2)) / len(X))
