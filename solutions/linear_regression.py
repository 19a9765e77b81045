"""Assignment: linear regression from scratch.

You will implement, with TensorFlow tensors and no Keras layers, the pieces of
minibatch stochastic gradient descent for linear regression, then put them
together into a training function:

1. `linreg`, the model ``X w + b``;
2. `squared_loss`, the per-example loss;
3. `sgd`, one in-place update of the parameters;
4. `data_iter`, shuffled minibatches that cover the data once per pass;
5. `normal_equation`, the closed-form least-squares solution to compare with;
6. `train_linear_regression`, the training loop using 1 to 4.

The lecture ``coursework/linear_regression.py`` (notebook
``coursework/notebooks/linear_regression.ipynb``) trains the same model with
the same ``squared_loss(y_hat, y)``, its ½ included, and shows the
distributed training step; look there when you are stuck.

Check your work with ``autograder check linear_regression.py --assignment
linear_regression``.
"""

import numpy as np
import tensorflow as tf


def linreg(X, w, b):
    """The linear regression model.

    Args:
        X: Features, shape (n, d).
        w: Weights, shape (d, 1).
        b: Bias, a scalar or shape (1,).

    Returns:
        Predictions ``X w + b``, shape (n, 1).
    """
    ### BEGIN SOLUTION
    return tf.matmul(X, w) + b
    ### END SOLUTION


def squared_loss(y_hat, y):
    """Per-example squared loss.

    Args:
        y_hat: Predictions, shape (n, 1).
        y: Targets with n elements, any shape such as (n,) or (n, 1).

    Returns:
        ``(y_hat - y)**2 / 2`` element-wise, with `y` reshaped to the shape of
        `y_hat`; same shape as `y_hat`.
    """
    ### BEGIN SOLUTION
    return (y_hat - tf.reshape(y, tf.shape(y_hat))) ** 2 / 2
    ### END SOLUTION


def sgd(params, grads, lr, batch_size):
    """Minibatch stochastic gradient descent, one step.

    Args:
        params: List of `tf.Variable` parameters, updated in place.
        grads: Gradients of the *summed* minibatch loss, one per parameter.
        lr: Learning rate.
        batch_size: Number of examples in the minibatch.

    Returns:
        None. Each parameter becomes ``param - lr * grad / batch_size``.
    """
    ### BEGIN SOLUTION
    for param, grad in zip(params, grads, strict=True):
        param.assign_sub(lr * grad / batch_size)
    ### END SOLUTION


def data_iter(batch_size, features, labels, seed=None):
    """Yields shuffled minibatches covering every example once per pass.

    Args:
        batch_size: Examples per minibatch; the last one may be smaller.
        features: Features, shape (n, d).
        labels: Labels, first dimension n.
        seed: Optional seed of the shuffle order: the same seed gives the same
            batches, another seed another order.

    Yields:
        ``(X, y)`` pairs: the features and labels of one minibatch.
    """
    ### BEGIN SOLUTION
    num_examples = len(features)
    indices = np.random.default_rng(seed).permutation(num_examples)
    for start in range(0, num_examples, batch_size):
        batch_indices = tf.constant(indices[start : start + batch_size])
        yield tf.gather(features, batch_indices), tf.gather(labels, batch_indices)
    ### END SOLUTION


def normal_equation(X, y):
    """Closed-form least-squares fit of a linear model with an intercept.

    Args:
        X: Features, shape (n, d).
        y: Targets with n elements.

    Returns:
        ``(w, b)``: weights of shape (d, 1) and the intercept (a single number) that
        minimize the squared error ``||X w + b - y||²``.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    design = np.hstack([X, np.ones((len(X), 1))])
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    return solution[:-1], float(solution[-1, 0])
    ### END SOLUTION


def train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10, seed=0):
    """Trains a linear regression model with minibatch SGD.

    The weights start from N(0, 0.01²) and the bias from zero; each step
    computes the summed `squared_loss` of a minibatch from `data_iter`, its
    gradients with `tf.GradientTape`, and updates the parameters with `sgd`.

    Args:
        features: Features, shape (n, d).
        labels: Targets, shape (n, 1).
        num_epochs: Passes over the data.
        lr: Learning rate.
        batch_size: Examples per minibatch.
        seed: Seed of the initialization and of the shuffle order: run again
            with the same seed, the program gives the same (w, b); another
            seed gives other values.

    Returns:
        ``(w, b)``: the learned weights as a (d, 1) tensor or array and the bias.
    """
    ### BEGIN SOLUTION
    features = tf.convert_to_tensor(features, dtype=tf.float32)
    labels = tf.reshape(tf.convert_to_tensor(labels, dtype=tf.float32), (-1, 1))
    num_inputs = features.shape[1]
    w = tf.Variable(tf.random.stateless_normal((num_inputs, 1), seed=[seed, 0], stddev=0.01))
    b = tf.Variable(tf.zeros(1))
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels, seed=seed + epoch):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(squared_loss(linreg(X, w, b), y))
            sgd([w, b], tape.gradient(loss, [w, b]), lr, len(X))
    return w.numpy(), b.numpy()
    ### END SOLUTION
