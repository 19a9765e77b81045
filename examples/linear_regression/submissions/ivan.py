"""Ivan: a CPU hog. His functions are correct, but his training starts many busy
processes, each in its own session, and waits for them forever."""

import os

import numpy as np
import tensorflow as tf


def linreg(X, w, b):
    X = tf.convert_to_tensor(X)
    return X @ tf.cast(w, X.dtype) + tf.cast(b, X.dtype)


def squared_loss(y_hat, y):
    difference = y_hat - tf.reshape(tf.cast(y, y_hat.dtype), y_hat.shape)
    return 0.5 * difference * difference


def sgd(params, grads, lr, batch_size):
    for i in range(len(params)):
        params[i].assign(params[i] - lr / batch_size * tf.cast(grads[i], params[i].dtype))


def data_iter(batch_size, features, labels, seed=None):
    n = int(tf.shape(features)[0])
    if seed is None:
        order = tf.random.shuffle(tf.range(n))
    else:  # stateless: the same seed gives the same order
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=[seed, 0])
    for i in range(0, n, batch_size):
        j = order[i:min(i + batch_size, n)]
        yield tf.gather(features, j), tf.gather(labels, j)


def normal_equation(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    X_mean, y_mean = X.mean(axis=0), y.mean()
    centered = X - X_mean
    w = np.linalg.solve(centered.T @ centered, centered.T @ (y - y_mean))
    return w, float(y_mean - X_mean @ w[:, 0])


def train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10, seed=0):
    # "Speeds training up" by starting many helper processes, each in its own
    # session so that killing his process group does not stop them, and waits
    # for them: they never finish, and they would starve every submission
    # graded beside his if the grader did not hold each one to one core.
    helpers = []
    for _ in range(16):
        pid = os.fork()
        if pid == 0:
            os.setsid()
            while True:
                pass
        helpers.append(pid)
    for pid in helpers:
        os.waitpid(pid, 0)
