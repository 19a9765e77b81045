# Frank: right answers for good inputs, but he never rejects bad ones (no
# ValueError anywhere), and his training loop steps up the gradient instead
# of down, so it diverges.
import math

import numpy as np
import tensorflow as tf


def polynomial_features(x, max_degree):
    x = tf.reshape(tf.convert_to_tensor(x), (-1, 1))
    factorials = tf.constant([math.factorial(i) for i in range(max_degree)], x.dtype)
    return x ** tf.range(max_degree, dtype=x.dtype) / factorials


def l2_penalty(w):
    return 0.5 * tf.reduce_sum(tf.square(w))


def k_fold_split(X, y, k, i):
    m = len(X) // k
    X, y = tf.convert_to_tensor(X), tf.convert_to_tensor(y)
    return (tf.concat([X[: i * m], X[(i + 1) * m :]], 0), tf.concat([y[: i * m], y[(i + 1) * m :]], 0),
            X[i * m : (i + 1) * m], y[i * m : (i + 1) * m])


def ridge_regression(X, y, lambd):
    X = np.asarray(X)
    y = np.asarray(y, np.float64).reshape(-1, 1)
    n, d = X.shape
    mean_x, mean_y = X.mean(0, dtype=np.float64), y.mean()
    Xc = X - mean_x
    w = np.linalg.solve(Xc.T @ Xc / n + lambd * np.eye(d), Xc.T @ (y - mean_y) / n)
    return w.astype(X.dtype), X.dtype.type(mean_y - mean_x @ w[:, 0])


def cross_validate(X, y, k, lambd):
    train_loss = valid_loss = 0.0
    for i in range(k):
        X_train, y_train, X_valid, y_valid = (np.asarray(a, np.float64) for a in k_fold_split(X, y, k, i))
        w, b = ridge_regression(X_train, y_train, lambd)
        train_loss += float(np.mean((X_train @ w + b - y_train.reshape(-1, 1)) ** 2 / 2)) / k
        valid_loss += float(np.mean((X_valid @ w + b - y_valid.reshape(-1, 1)) ** 2 / 2)) / k
    return train_loss, valid_loss


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    X = tf.constant(features, tf.float32)
    y = tf.reshape(tf.constant(labels, tf.float32), (-1, 1))
    w = tf.Variable(tf.random.stateless_normal((X.shape[1], 1), seed=[seed, 0], mean=1.0))
    b = tf.Variable(tf.zeros(1))
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            batch = order[start : start + batch_size]
            with tf.GradientTape() as tape:
                error = tf.gather(X, batch) @ w + b - tf.gather(y, batch)
                loss = tf.reduce_mean(error**2 / 2) + lambd * l2_penalty(w)
            grad_w, grad_b = tape.gradient(loss, [w, b])
            w.assign_add(lr * grad_w)
            b.assign_add(lr * grad_b)
    return w.numpy(), b.numpy()
