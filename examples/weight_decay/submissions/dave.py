# Dave: hostile. Answers that claim to equal anything, a peek at the reference
# solution, a grader's NumPy patched to agree, huge output, and a training
# function that ends the process.
import sys

import numpy as np

print("x" * 5_000_000)  # floods the output


class Anything(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True

try:  # the reference is not in the sandbox
    from solutions.weight_decay import polynomial_features  # noqa: F401
except ImportError:
    def polynomial_features(x, max_degree):
        class Liar:
            shape = (len(x), max_degree)

            def __eq__(self, other):
                return True

        return Liar()


def l2_penalty(w):
    return Anything(2.5)


def k_fold_split(X, y, k, i):
    sys.stdout.write("PASS  k_fold_split\n" * 1000)
    return (X, y, X, y)


def ridge_regression(X, y, lambd):
    raise SystemExit(0)


def cross_validate(X, y, k, lambd):
    return Anything(0.0), Anything(0.0)


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    import os

    os._exit(0)  # ends the grading process as if all were well
