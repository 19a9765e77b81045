# Bob: features without the factorial, a penalty without the 1/2, folds off
# by one, the bias penalised in ridge, and fold losses summed instead of
# averaged. His training loop is right: he halves his penalty there.
import numpy as np
import tensorflow as tf


def polynomial_features(x, max_degree):
    if max_degree < 1:
        raise ValueError("max_degree < 1")
    x = tf.reshape(tf.convert_to_tensor(x), (-1, 1))
    return x ** tf.range(max_degree, dtype=x.dtype)


def l2_penalty(w):
    return tf.reduce_sum(tf.convert_to_tensor(w) ** 2)


def k_fold_split(X, y, k, i):
    n = len(X)
    if not 2 <= k <= n or not 0 <= i < k:
        raise ValueError("bad k or i")
    m = n // k
    valid = np.arange(i * m, min((i + 1) * m + 1, n))
    train = np.setdiff1d(np.arange(n), valid)
    X, y = np.asarray(X), np.asarray(y)
    return X[train], y[train], X[valid], y[valid]


def ridge_regression(X, y, lambd):
    if lambd < 0:
        raise ValueError("negative lambd")
    X = np.asarray(X)
    n, d = X.shape
    design = np.hstack([X, np.ones((n, 1), X.dtype)])
    theta = np.linalg.solve(design.T @ design / n + lambd * np.eye(d + 1),
                            design.T @ np.asarray(y, X.dtype).reshape(n, 1) / n)
    return theta[:d], theta[d, 0]


def cross_validate(X, y, k, lambd):
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64).reshape(-1, 1)
    m, n = len(X) // k, len(X)
    train_sum = valid_sum = 0.0
    for i in range(k):
        valid = np.arange(i * m, (i + 1) * m)
        train = np.setdiff1d(np.arange(n), valid)
        design = np.hstack([X[train], np.ones((len(train), 1))])
        rows = np.hstack([np.sqrt(len(train) * lambd) * np.eye(X.shape[1]),
                          np.zeros((X.shape[1], 1))])
        theta = np.linalg.lstsq(np.vstack([design, rows]),
                                np.vstack([y[train], np.zeros((X.shape[1], 1))]), rcond=None)[0]
        w, b = theta[:-1], theta[-1, 0]
        train_sum += float(np.mean((X[train] @ w + b - y[train]) ** 2) / 2)
        valid_sum += float(np.mean((X[valid] @ w + b - y[valid]) ** 2) / 2)
    return train_sum, valid_sum


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    X = tf.convert_to_tensor(features, tf.float32)
    y = tf.reshape(tf.convert_to_tensor(labels, tf.float32), (-1, 1))
    w = tf.Variable(tf.random.stateless_normal((X.shape[1], 1), seed=[seed, 1], mean=1.0))
    b = tf.Variable(0.0)
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            batch = order[start : start + batch_size]
            with tf.GradientTape() as tape:
                error = tf.gather(X, batch) @ w + b - tf.gather(y, batch)
                loss = tf.reduce_mean(error**2 / 2) + lambd * l2_penalty(w) / 2
            grad_w, grad_b = tape.gradient(loss, [w, b])
            w.assign_sub(lr * grad_w)
            b.assign_sub(lr * grad_b)
    return w.numpy(), b.numpy()
