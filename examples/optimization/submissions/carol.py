# Carol: takes the eigenvector of the largest eigenvalue (the last column of
# eigh), and flips the velocity's sign (v <- momentum v + lr g, p <- p - v).
# Her Hessian uses one persistent tape, with the gradient taken after the
# tape stopped recording: it returns None.
import numpy as np
import tensorflow as tf


def hessian(f, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    g = tape.gradient(y, x)
    return tape.jacobian(g, x)


def classify_critical_point(H, tol=1e-6):
    values = np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))
    if H.shape[0] != H.shape[1] if hasattr(H, "shape") else False:
        raise ValueError("square please")
    if min(values) > tol:
        return "minimum"
    if max(values) < -tol:
        return "maximum"
    if min(values) < -tol and max(values) > tol:
        return "saddle"
    return "degenerate"


def escape_direction(H):
    H = np.asarray(H, dtype=np.float64)
    values, vectors = np.linalg.eigh(H)
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    u = vectors[:, -1]  # mistake: the largest eigenvalue's eigenvector
    first = u[np.abs(u) > 1e-8][0]
    return tf.constant(u if first > 0 else -u)


def momentum_step(params, grads, velocities, lr, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v.assign(momentum * v + lr * g)  # mistake: the velocity's sign
        p.assign_sub(v)


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        m.assign(beta_1 * m + (1 - beta_1) * g)
        v.assign(beta_2 * v + (1 - beta_2) * tf.square(g))
        alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        p.assign_sub(alpha * m / (tf.sqrt(v) + epsilon))
