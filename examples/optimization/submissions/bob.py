# Bob: computes the Hessian with a single tape (the second use of a
# non-persistent tape fails), swaps minimum and maximum, and returns the
# eigenvector with whatever sign eigh gives it.
import numpy as np
import tensorflow as tf


def hessian(f, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    g = tape.gradient(y, x)
    return tape.jacobian(g, x)


def classify_critical_point(H, tol=1e-6):
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values = np.linalg.eigvalsh(H)
    if np.all(values > tol):
        return "maximum"  # mistake: positive curvature is a minimum
    if np.all(values < -tol):
        return "minimum"
    if np.any(values > tol) and np.any(values < -tol):
        return "saddle"
    return "degenerate"


def escape_direction(H):
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values, vectors = np.linalg.eigh(H)
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    return tf.constant(vectors[:, 0])  # mistake: the sign is not fixed


def momentum_step(params, grads, velocities, lr, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v.assign(momentum * v - lr * g)
        p.assign_add(v)


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        m.assign(beta_1 * m + (1 - beta_1) * g)
        v.assign(beta_2 * v + (1 - beta_2) * tf.square(g))
        alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        p.assign_sub(alpha * m / (tf.sqrt(v) + epsilon))
