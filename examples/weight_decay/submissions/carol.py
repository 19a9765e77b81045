# Carol: a penalty with a square root (the norm), folds that drop the examples
# left over, ridge on the summed loss, cross-validation losses returned as
# NumPy floats, and a training loop that forgets the penalty. Her features are
# right.
import math

import numpy as np
import tensorflow as tf


def polynomial_features(x, max_degree):
    if max_degree < 1:
        raise ValueError("need at least one feature")
    x = tf.reshape(tf.convert_to_tensor(x), (-1,))
    return tf.stack([x**i / math.factorial(i) for i in range(max_degree)], axis=1)


def l2_penalty(w):
    return tf.norm(tf.convert_to_tensor(w))


def k_fold_split(X, y, k, i):
    n = len(X)
    if k < 2 or k > n or not 0 <= i < k:
        raise ValueError("no such fold")
    m = n // k
    X, y = tf.convert_to_tensor(X), tf.convert_to_tensor(y)
    folds = [(X[j * m : (j + 1) * m], y[j * m : (j + 1) * m]) for j in range(k)]
    X_train = tf.concat([folds[j][0] for j in range(k) if j != i], axis=0)
    y_train = tf.concat([folds[j][1] for j in range(k) if j != i], axis=0)
    return X_train, y_train, folds[i][0], folds[i][1]


def ridge_regression(X, y, lambd):
    if lambd < 0:
        raise ValueError("lambd < 0")
    X = tf.convert_to_tensor(X)
    y = tf.reshape(tf.cast(tf.convert_to_tensor(y), X.dtype), (-1, 1))
    X_mean, y_mean = tf.reduce_mean(X, 0, keepdims=True), tf.reduce_mean(y)
    Xc, yc = X - X_mean, y - y_mean
    d = X.shape[1]
    w = tf.linalg.lstsq(tf.concat([Xc, math.sqrt(lambd) * tf.eye(d, dtype=X.dtype)], 0),
                        tf.concat([yc, tf.zeros((d, 1), X.dtype)], 0), fast=False)
    return w, y_mean - tf.reduce_sum(X_mean @ w)


def cross_validate(X, y, k, lambd):
    train_losses, valid_losses = [], []
    for i in range(k):
        X_train, y_train, X_valid, y_valid = k_fold_split(X, y, k, i)
        w, b = ridge_regression(X_train, y_train, lambd)
        for losses, (A, t) in ((train_losses, (X_train, y_train)), (valid_losses, (X_valid, y_valid))):
            t = np.reshape(t, (-1, 1))
            losses.append(np.mean((np.asarray(A) @ np.asarray(w) + np.asarray(b) - t) ** 2) / 2)
    return np.mean(train_losses), np.mean(valid_losses)


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    X = tf.convert_to_tensor(features, tf.float32)
    y = tf.reshape(tf.convert_to_tensor(labels, tf.float32), (-1, 1))
    w = tf.Variable(tf.random.stateless_normal((X.shape[1], 1), seed=[seed, 7], mean=1.0))
    b = tf.Variable(tf.zeros(1))
    for epoch in range(num_epochs):
        order = tf.random.experimental.stateless_shuffle(tf.range(X.shape[0]), seed=[seed, epoch])
        for start in range(0, X.shape[0], batch_size):
            batch = order[start : start + batch_size]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((tf.gather(X, batch) @ w + b - tf.gather(y, batch)) ** 2 / 2)
            grad_w, grad_b = tape.gradient(loss, [w, b])
            w.assign_sub(lr * grad_w)
            b.assign_sub(lr * grad_b)
    return w.numpy(), b.numpy()
