# Generated from solutions/weight_decay.py by `autograder release`.
# Fill in the places marked YOUR CODE HERE; do not rename the functions.
"""Assignment: generalization, weight decay and K-fold model selection.

A model that fits its training data is not done: what matters is how well it
predicts data it has not seen. You will implement, with TensorFlow tensors:

1. `polynomial_features`, the features ``x**i / i!`` of a polynomial fit;
2. `l2_penalty`, the weight-decay penalty ``||w||² / 2``;
3. `k_fold_split`, one fold of K-fold cross-validation;
4. `ridge_regression`, the closed-form minimiser of the squared loss plus
   weight decay (the bias is not penalised);
5. `cross_validate`, the K-fold training and validation losses of ridge
   regression for one λ;
6. `train_weight_decay`, minibatch SGD on the squared loss plus weight decay.

Throughout, the squared loss of a prediction ``y_hat`` for a target ``y`` is
``(y_hat - y)**2 / 2`` and a loss over a data set is its mean over the
examples. Array arguments may be NumPy arrays or `tf.Tensor`s; float results
keep the dtype of the float inputs (float32 stays float32, float64 stays
float64).

Your file is graded on its own, so it must not import from `solutions`;
TensorFlow (and NumPy, if you like) are all you need.

Check your work with ``autograder check weight_decay.py --assignment weight_decay``.
"""

import numpy as np
import tensorflow as tf


def polynomial_features(x, max_degree):
    """Polynomial features scaled by factorials.

    Args:
        x: Inputs, shape (n,) or (n, 1).
        max_degree: Number of features, at least 1.

    Returns:
        A (n, max_degree) tensor or array whose column i is ``x**i / i!`` for
        i = 0, ..., max_degree - 1 (column 0 is all ones), in the dtype of `x`.

    Raises:
        ValueError: If `max_degree` is less than 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def l2_penalty(w):
    """The weight-decay penalty.

    Args:
        w: Weights of any shape.

    Returns:
        The scalar ``sum(w**2) / 2``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def k_fold_split(X, y, k, i):
    """Fold `i` of K-fold cross-validation.

    With n examples and ``m = n // k``, the validation part is examples
    ``i*m`` to ``(i+1)*m - 1`` in order; the training part is every other
    example in its original order, including the ``n - k*m`` examples left
    over at the end.

    Args:
        X: Features, shape (n, d).
        y: Targets, n of them (shape (n,) or (n, 1)).
        k: Number of folds, from 2 to n.
        i: The fold, from 0 to k - 1.

    Returns:
        ``(X_train, y_train, X_valid, y_valid)``.

    Raises:
        ValueError: If k < 2, k > n, or i is not in [0, k).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def ridge_regression(X, y, lambd):
    """Closed-form linear regression with weight decay.

    Minimises ``mean((X w + b - y)**2 / 2) + lambd * l2_penalty(w)`` over w and
    b; the bias b is not penalised, and ``lambd = 0`` is ordinary least squares.

    Args:
        X: Features, shape (n, d).
        y: Targets, n of them (shape (n,) or (n, 1)).
        lambd: The weight-decay strength λ, at least 0.

    Returns:
        ``(w, b)``: w of shape (d, 1) and the scalar b.

    Raises:
        ValueError: If `lambd` is negative.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def cross_validate(X, y, k, lambd):
    """K-fold cross-validation of `ridge_regression`.

    For each fold i of `k_fold_split`, fits `ridge_regression` on the training
    part and measures its loss, ``mean((X w + b - y)**2 / 2)``, on the training
    part and on the validation part.

    Args:
        X: Features, shape (n, d).
        y: Targets, n of them (shape (n,) or (n, 1)).
        k: Number of folds, from 2 to n.
        lambd: The weight-decay strength λ, at least 0.

    Returns:
        ``(train_loss, valid_loss)``: the means over the k folds, Python floats.

    Raises:
        ValueError: If `k` is out of range (see `k_fold_split`).
    """
    # YOUR CODE HERE
    raise NotImplementedError


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    """Trains linear regression with weight decay by minibatch SGD.

    The weights start from N(1, 1) and the bias from 0 (seeded with `seed`).
    Each step takes a minibatch of the examples, shuffled every epoch, and
    moves w and b against the gradient of the minibatch's mean squared loss
    plus ``lambd * l2_penalty(w)``.

    Args:
        features: Features, shape (n, d).
        labels: Targets, shape (n, 1) or (n,).
        lambd: The weight-decay strength λ, at least 0.
        num_epochs: Passes over the data.
        lr: Learning rate.
        batch_size: Examples per minibatch; the last one may be smaller.
        seed: Seed of the initial weights and of the shuffle order: run again
            with the same seed, the program gives the same (w, b); another
            seed gives other values.

    Returns:
        ``(w, b)``: the weights, shape (d, 1), and the bias.
    """
    # YOUR CODE HERE
    raise NotImplementedError
