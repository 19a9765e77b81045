"""Tolerances for float32 results that may be summed in another order.

Training under 1 and 2 replicas takes the same steps mathematically, but not
bit for bit: each replica sums its half of the batch, the all-reduce adds the
halves, and a matrix product may block its sums differently for another batch
shape. The difference that allows is not a constant to tune on one CPU (a test
with ``rtol=1e-4`` failed on an AMD EPYC where two weights of 200,704 differed
by 6e-4); it follows from the sizes of the sums involved:

* **One sum.** A float32 sum of ``n`` numbers, in any order, is within
  ``(n - 1) * u * sum(|x|)`` of the exact sum, where ``u = eps32 / 2`` is the
  unit roundoff (Higham, *Accuracy and Stability of Numerical Algorithms*,
  2nd ed., eq. 4.4, to first order in ``u``). Two orders therefore differ by
  at most ``(n - 1) * eps32 * sum(|x|)``: `sum_bound`.
* **Training steps.** Plain SGD adds ``-learning_rate * gradient`` each step,
  so to first order in the rounding the weights differ by at most the sum over
  the steps of ``learning_rate`` times the bound on each step's gradient:
  `sgd_bound`. The first-order assumption holds when a difference made at one
  step is not amplified by the later ones (``learning_rate`` times the
  curvature below 2, as in every run the tests compare).

* **Deeper models.** A value's difference is the rounding of its own sum
  plus its inputs' differences carried by the layer (``|W|`` times them, a
  smooth activation's slope); backward, each gradient is again a sum with its
  own rounding plus its terms' differences. The sizes of all these sums
  change as the weights move, so the tests replay the same steps in float64
  (the same batches, in order) and bound every step's gradients with the
  values of that step; the replay itself must end within the bound of the
  float32 run. Through a recurrence the Jacobians are multiplied before their
  absolute value is taken, so that differences the recurrence turns against
  each other are not counted as adding up; through a stack of layers the
  bound takes absolute values layer by layer, a worst case that is loose for
  the first layers of a deep network (their gradients are tiny sums of large
  terms) and tight for the last ones, where a replica-scaling mistake must
  still exceed it.

Adaptive optimizers such as Adam divide by the root of the squared gradients,
so a gradient that cancels to the rounding level can change an update by up
to the whole learning rate, and ReLU turns a rounding difference in a
pre-activation near 0 into an example counted or not: neither has a useful
bound. Tests that compare replica counts therefore train with plain SGD on a
model without kinks, which still exercises every piece that differs between
replica counts (sharding, per-replica sums, loss scaling, all-reduce).
"""

from __future__ import annotations

import numpy as np

EPS32 = float(np.finfo(np.float32).eps)
"""float32 machine epsilon, 2**-23 (twice the unit roundoff)."""
ELEMENTWISE = 4 * EPS32
"""Relative allowance for an elementwise function (exp, sigmoid, tanh, h * (1 - h)) of
the same input: a vectorized and a scalar code path may round it differently, by a
unit or two in the last place, depending on where the element falls in its batch."""


def sum_bound(abs_sum, terms: int):
    """How far apart two float32 sums of the same `terms` numbers can be, summed in two orders.

    Args:
        abs_sum: The sum of the absolute values of the numbers (or a bound on it).
        terms: How many numbers are added.

    Returns:
        ``(terms - 1) * EPS32 * abs_sum`` (an array if `abs_sum` is one).
    """
    return max(terms - 1, 0) * EPS32 * np.asarray(abs_sum, np.float64)


def sgd_bound(learning_rate: float, step_bounds):
    """How far apart weights trained by SGD can be when each step's gradient is rounded differently.

    Args:
        learning_rate: The constant step size.
        step_bounds: For each step, a bound on the difference of the gradients
            (e.g. from `sum_bound`), stacked on the first axis.

    Returns:
        ``learning_rate * sum(step_bounds)`` over the steps, first order in the rounding.
    """
    return learning_rate * np.sum(np.asarray(step_bounds, np.float64), axis=0)


def sgd_update_bound(learning_rate: float, gradient, new_weights):
    """The rounding of one SGD update ``w - learning_rate * g`` itself, beyond the gradients' difference.

    Two runs whose gradients differ by ``dg`` can end a step apart by
    ``learning_rate * dg`` plus a unit in the last place of the product and one
    of the new weight (two numbers a hair apart may round to neighbouring floats).

    Returns:
        ``EPS32 * (|new_weights| + learning_rate * |gradient|)``.
    """
    return EPS32 * (np.abs(np.asarray(new_weights, np.float64))
                    + learning_rate * np.abs(np.asarray(gradient, np.float64)))


def assert_within(actual, desired, bound, name: str = "values") -> None:
    """Asserts ``|actual - desired| <= bound`` elementwise, saying how close it came.

    Raises:
        AssertionError: With the worst element and its ratio to the bound.
    """
    actual, desired = np.asarray(actual, np.float64), np.asarray(desired, np.float64)
    bound = np.broadcast_to(np.asarray(bound, np.float64), actual.shape)
    difference = np.abs(actual - desired)
    ratio = np.divide(difference, bound, out=np.full(difference.shape, np.inf), where=bound > 0)
    ratio[difference == 0] = 0.0
    worst = np.unravel_index(np.argmax(ratio), ratio.shape) if ratio.size else ()
    assert not ratio.size or ratio[worst] <= 1.0, (
        f"{name}: {np.count_nonzero(ratio > 1)} of {ratio.size} differ by more than the float32 "
        f"rounding bound; worst at {worst}: {actual[worst]!r} vs {desired[worst]!r}, difference "
        f"{difference[worst]:.3g} > bound {bound[worst]:.3g}"
    )
