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
    ### BEGIN SOLUTION
    if max_degree < 1:
        raise ValueError(f"max_degree must be at least 1, got {max_degree}.")
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    if x.shape.rank not in (1, 2) or (x.shape.rank == 2 and x.shape[1] != 1):
        raise ValueError(f"x must have shape (n,) or (n, 1), got {x.shape}.")
    x = tf.reshape(x, (-1,))
    # Column i is column i-1 times x / i: no factorial, no overflowing power.
    columns = [tf.ones_like(x)]
    for degree in range(1, max_degree):
        columns.append(columns[-1] * x / degree)
    return tf.stack(columns, axis=1)
    ### END SOLUTION


def l2_penalty(w):
    """The weight-decay penalty.

    Args:
        w: Weights of any shape.

    Returns:
        The scalar ``sum(w**2) / 2``.
    """
    ### BEGIN SOLUTION
    w = tf.convert_to_tensor(w)
    if not w.dtype.is_floating:
        w = tf.cast(w, tf.float32)
    return tf.reduce_sum(tf.square(w)) / 2
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    X, y = tf.convert_to_tensor(X), tf.convert_to_tensor(y)
    num_examples = int(X.shape[0])
    if int(y.shape[0]) != num_examples:
        raise ValueError(f"X has {num_examples} examples but y has {y.shape[0]}.")
    if not 2 <= k <= num_examples:
        raise ValueError(f"k must be between 2 and the {num_examples} examples, got {k}.")
    if not 0 <= i < k:
        raise ValueError(f"The fold i must be in [0, {k}), got {i}.")
    size = num_examples // k
    start, end = i * size, (i + 1) * size
    X_train = tf.concat([X[:start], X[end:]], axis=0)
    y_train = tf.concat([y[:start], y[end:]], axis=0)
    return X_train, y_train, X[start:end], y[start:end]
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if lambd < 0:
        raise ValueError(f"lambd must be at least 0, got {lambd}.")
    X = tf.convert_to_tensor(X)
    dtype = X.dtype if X.dtype.is_floating else tf.float32
    X = tf.cast(X, tf.float64)
    y = tf.reshape(tf.cast(tf.convert_to_tensor(y), tf.float64), (-1, 1))
    num_examples, num_inputs = int(X.shape[0]), int(X.shape[1])
    # Centering removes the unpenalised bias: b = mean(y) - mean(X) w.
    X_mean = tf.reduce_mean(X, axis=0, keepdims=True)
    y_mean = tf.reduce_mean(y)
    X_centered, y_centered = X - X_mean, y - y_mean
    # Setting the gradient to 0: (Xc^T Xc / n + lambd I) w = Xc^T yc / n.
    if lambd > 0:
        gram = tf.matmul(X_centered, X_centered, transpose_a=True) / num_examples
        w = tf.linalg.solve(
            gram + lambd * tf.eye(num_inputs, dtype=tf.float64),
            tf.matmul(X_centered, y_centered, transpose_a=True) / num_examples,
        )
    else:  # the system may be singular (n <= d): the pseudo-inverse gives a minimiser
        w = tf.matmul(tf.linalg.pinv(X_centered), y_centered)
    b = y_mean - tf.reduce_sum(tf.matmul(X_mean, w))
    return tf.cast(w, dtype), tf.cast(b, dtype)
    ### END SOLUTION


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
    ### BEGIN SOLUTION

    def loss(X, y, w, b):
        X = tf.cast(X, tf.float64)
        y = tf.reshape(tf.cast(y, tf.float64), (-1, 1))
        residual = tf.matmul(X, tf.cast(w, tf.float64)) + tf.cast(b, tf.float64) - y
        return float(tf.reduce_mean(tf.square(residual) / 2))

    train_losses, valid_losses = [], []
    for fold in range(k):
        X_train, y_train, X_valid, y_valid = k_fold_split(X, y, k, fold)
        w, b = ridge_regression(X_train, y_train, lambd)
        train_losses.append(loss(X_train, y_train, w, b))
        valid_losses.append(loss(X_valid, y_valid, w, b))
    return float(np.mean(train_losses)), float(np.mean(valid_losses))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if lambd < 0:
        raise ValueError(f"lambd must be at least 0, got {lambd}.")
    features = tf.convert_to_tensor(features)
    dtype = features.dtype if features.dtype.is_floating else tf.float32
    features = tf.cast(features, dtype)
    labels = tf.reshape(tf.cast(tf.convert_to_tensor(labels), dtype), (-1, 1))
    num_examples, num_inputs = int(features.shape[0]), int(features.shape[1])
    w = tf.Variable(
        tf.random.stateless_normal((num_inputs, 1), seed=[seed, 0], mean=1.0, dtype=dtype)
    )
    b = tf.Variable(tf.zeros((1,), dtype=dtype))
    rng = np.random.default_rng(seed)

    @tf.function
    def step(X, y):
        with tf.GradientTape() as tape:
            predictions = tf.matmul(X, w) + b
            loss = tf.reduce_mean(tf.square(predictions - y) / 2) + lambd * l2_penalty(w)
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_sub(lr * grad_w)
        b.assign_sub(lr * grad_b)

    for _ in range(num_epochs):
        order = rng.permutation(num_examples)
        for start in range(0, num_examples, batch_size):
            batch = tf.constant(order[start : start + batch_size])
            step(tf.gather(features, batch), tf.gather(labels, batch))
    return w.numpy(), b.numpy()[0]
    ### END SOLUTION
