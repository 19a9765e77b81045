# Alice: everything right, written differently: NumPy instead of TensorFlow,
# factorials from math, ridge by the augmented least-squares system, and SGD
# with hand-written gradients.
import math

import numpy as np


def _array(value):
    array = np.asarray(value)
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def polynomial_features(x, max_degree):
    if max_degree < 1:
        raise ValueError("max_degree must be positive")
    x = _array(x).reshape(-1)
    columns = [x.astype(np.float64) ** i / math.factorial(i) for i in range(max_degree)]
    return np.stack(columns, axis=1).astype(x.dtype)


def l2_penalty(w):
    w = _array(w)
    return (np.square(w.astype(np.float64)).sum() / 2).astype(w.dtype)


def k_fold_split(X, y, k, i):
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if k < 2 or k > n or i < 0 or i >= k:
        raise ValueError(f"bad fold {i} of {k} for {n} examples")
    m = n // k
    in_fold = np.zeros(n, dtype=bool)
    in_fold[i * m : (i + 1) * m] = True
    return X[~in_fold], y[~in_fold], X[in_fold], y[in_fold]


def ridge_regression(X, y, lambd):
    if lambd < 0:
        raise ValueError("lambd must be non-negative")
    X = _array(X)
    n, d = X.shape
    design = np.hstack([X.astype(np.float64), np.ones((n, 1))])
    rows = np.hstack([math.sqrt(n * lambd) * np.eye(d), np.zeros((d, 1))])
    target = np.vstack([np.asarray(y, np.float64).reshape(n, 1), np.zeros((d, 1))])
    theta = np.linalg.lstsq(np.vstack([design, rows]), target, rcond=None)[0]
    return theta[:d].astype(X.dtype), X.dtype.type(theta[d, 0])


def cross_validate(X, y, k, lambd):
    train_total = valid_total = 0.0
    for i in range(k):
        X_train, y_train, X_valid, y_valid = k_fold_split(X, y, k, i)
        w, b = ridge_regression(X_train, y_train, lambd)
        for part, (features, labels) in enumerate(((X_train, y_train), (X_valid, y_valid))):
            residual = features.astype(np.float64) @ w + b - labels.reshape(-1, 1)
            loss = float(np.mean(residual**2) / 2)
            if part == 0:
                train_total += loss
            else:
                valid_total += loss
    return train_total / k, valid_total / k


def train_weight_decay(features, labels, lambd, num_epochs=100, lr=0.003, batch_size=5, seed=0):
    X = np.asarray(features, np.float64)
    y = np.asarray(labels, np.float64).reshape(-1, 1)
    rng = np.random.default_rng(seed)
    w = rng.normal(1.0, 1.0, size=(X.shape[1], 1))
    b = 0.0
    for _ in range(num_epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            error = X[batch] @ w + b - y[batch]
            w = w - lr * (X[batch].T @ error / len(batch) + lambd * w)
            b = b - lr * float(error.mean())
    return w, b
