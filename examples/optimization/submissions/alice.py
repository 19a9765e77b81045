# Alice: correct, written differently. A persistent outer tape differentiated
# row by row, TensorFlow's eigensolver, and Adam in the paper's form with
# epsilon rescaled so that it is exactly Keras's update.
import tensorflow as tf


def hessian(f, x):
    x = tf.constant(x) if not tf.is_tensor(x) else x
    if len(x.shape) != 1:
        raise ValueError("x must be a vector")
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x, unconnected_gradients="zero")
        parts = [g[i] for i in range(x.shape[0])]
    rows = [outer.gradient(part, x, unconnected_gradients="zero") for part in parts]
    del outer
    return tf.stack(rows)


def classify_critical_point(H, tol=1e-6):
    H = tf.cast(tf.convert_to_tensor(H), tf.float64)
    if len(H.shape) != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values = tf.linalg.eigvalsh(H).numpy()
    positive, negative = (values > tol).sum(), (values < -tol).sum()
    if positive == len(values):
        return "minimum"
    if negative == len(values):
        return "maximum"
    return "saddle" if positive and negative else "degenerate"


def escape_direction(H):
    H = tf.convert_to_tensor(H)
    if len(H.shape) != 2 or H.shape[0] != H.shape[1]:
        raise ValueError("H must be square")
    values, vectors = tf.linalg.eigh(tf.cast(H, tf.float64))
    if values[0] >= -1e-6:
        raise ValueError("no negative eigenvalue")
    u = vectors[:, 0] / tf.norm(vectors[:, 0])
    for component in u.numpy():
        if abs(component) > 1e-8:
            u = u if component > 0 else -u
            break
    return tf.cast(u, H.dtype)


def momentum_step(params, grads, velocities, lr, momentum):
    for p, g, v in zip(params, grads, velocities, strict=True):
        v.assign(v * momentum)
        v.assign_sub(lr * g)
        p.assign(p + v)


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    for p, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        g = tf.cast(g, p.dtype)
        m.assign(beta_1 * m + (1 - beta_1) * g)
        v.assign(beta_2 * v + (1 - beta_2) * g * g)
        correction_2 = tf.sqrt(tf.cast(1 - beta_2**step, p.dtype))
        m_hat = m / (1 - beta_1**step)
        v_hat_root = tf.sqrt(v) / correction_2
        p.assign_sub(lr * m_hat / (v_hat_root + epsilon / correction_2))
