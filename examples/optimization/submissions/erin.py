# Erin: puts Adam's epsilon inside the square root, and takes a row of
# eigh's eigenvector matrix instead of a column.
import numpy as np
import tensorflow as tf


def hessian(f, x):
    x = tf.convert_to_tensor(x)
    if x.shape.rank != 1:
        raise ValueError("x must be 1-D")
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    H = outer.jacobian(g, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return tf.cast(H, x.dtype)


def classify_critical_point(H, tol=1e-6):
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values = np.linalg.eigvalsh(H)
    if np.all(values > tol):
        return "minimum"
    if np.all(values < -tol):
        return "maximum"
    if np.any(values > tol) and np.any(values < -tol):
        return "saddle"
    return "degenerate"


def escape_direction(H):
    values, vectors = np.linalg.eigh(np.asarray(H, dtype=np.float64))
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    u = vectors[0]  # mistake: a row, not the column of the eigenvalue
    first = u[np.abs(u) > 1e-8][0]
    return tf.constant(u if first > 0 else -u)


def momentum_step(params, grads, velocities, lr, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v.assign(momentum * v - lr * g)
        p.assign_add(v)


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        m.assign(beta_1 * m + (1 - beta_1) * g)
        v.assign(beta_2 * v + (1 - beta_2) * tf.square(g))
        alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        p.assign_sub(alpha * m / tf.sqrt(v + epsilon))  # mistake: epsilon inside the root
