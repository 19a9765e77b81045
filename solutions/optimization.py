"""Assignment: critical points, momentum and Adam.

Training a network means finding a point where the gradient of the loss is
zero. Such a *critical point* need not be a minimum: in many dimensions most
are *saddle points*, a minimum along some directions and a maximum along
others. The second derivatives tell them apart. The *Hessian* ``H`` of a scalar
function f at x holds them all, ``H[i, j] = d²f / dx_i dx_j``; it is symmetric,
so it has real eigenvalues and orthonormal eigenvectors:

* every eigenvalue positive: f curves up in every direction, a **minimum**;
* every eigenvalue negative: a **maximum**;
* eigenvalues of both signs: a **saddle**, and moving along an eigenvector of
  a negative eigenvalue lowers f (the escape direction);
* otherwise (zero eigenvalues, no negative or no positive one) second
  derivatives cannot tell: **degenerate**.

For example, the network ``y = w1 * w2 * x`` with squared loss on the single
example (x, y) = (1, 1) has ``L(w) = (w1 * w2 - 1)²``. At w = (0, 0) the
gradient is zero and the Hessian is ``[[0, -2], [-2, 0]]``, with eigenvalues
-2 and 2: a saddle, which we leave along the eigenvector (1, 1) / sqrt(2).

Then two optimizers that every deep-learning library implements:

* **momentum** keeps a velocity v, a decaying sum of past steps, and moves
  along it: ``v <- momentum * v - lr * g``, then ``p <- p + v``. Along a
  direction where the gradient keeps its sign the steps add up; where it
  flips they cancel, which damps the zigzag of plain gradient descent in a
  narrow valley;
* **Adam** keeps decaying averages of the gradient (m) and of its square (v),
  and moves each coordinate by about ``lr * m / sqrt(v)``, whatever the scale
  of its gradient.

You will implement, with TensorFlow:

1. `hessian`, with two nested `tf.GradientTape`s;
2. `classify_critical_point`, from the Hessian's eigenvalues;
3. `escape_direction`, the eigenvector to leave a saddle along;
4. `momentum_step`, one in-place momentum update;
5. `adam_step`, one in-place Adam update, exactly as ``keras.optimizers.Adam``
   computes it.

Your file is graded on its own, so it must not import from `solutions`;
TensorFlow (and NumPy, if you like) is all you need.

Check your work with ``autograder check optimization.py --assignment
optimization``.
"""

import numpy as np
import tensorflow as tf


def hessian(f, x):
    """The Hessian of a scalar function, with two nested gradient tapes.

    The inner tape records f to take its gradient g(x); the outer tape records
    that gradient computation, so that the Jacobian of g, the Hessian, can be
    taken from it. One tape alone cannot do it: the gradient it returns is not
    itself recorded.

    Args:
        f: A function of a 1-D `tf.Tensor` returning a scalar `tf.Tensor`,
            written with TensorFlow operations.
        x: The point, a 1-D `tf.Tensor` (or NumPy array) of n floats.

    Returns:
        A `tf.Tensor` of shape (n, n) in the dtype of `x`: ``H[i, j]`` is the
        second derivative of f with respect to ``x[i]`` and ``x[j]``. Where f
        is linear in x, the Hessian is zero (not None).

    Raises:
        ValueError: If `x` is not 1-D.
    """
    ### BEGIN SOLUTION
    x = tf.convert_to_tensor(x)
    if x.shape.rank != 1:
        raise ValueError(f"x must be a 1-D tensor, got shape {x.shape}.")
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            value = f(x)
        gradient = inner.gradient(value, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    matrix = outer.jacobian(gradient, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return tf.cast(matrix, x.dtype)
    ### END SOLUTION


def classify_critical_point(H, tol=1e-6):
    """Says what kind of critical point a Hessian describes.

    Args:
        H: A symmetric (n, n) matrix, a `tf.Tensor` or NumPy array.
        tol: Eigenvalues within ``[-tol, tol]`` count as zero.

    Returns:
        The str ``"minimum"`` if every eigenvalue is above `tol`,
        ``"maximum"`` if every eigenvalue is below ``-tol``, ``"saddle"`` if
        there are eigenvalues above `tol` and below ``-tol``, and
        ``"degenerate"`` otherwise.

    Raises:
        ValueError: If `H` is not a square matrix.
    """
    ### BEGIN SOLUTION
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}.")
    eigenvalues = np.linalg.eigvalsh(H)
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    if np.any(eigenvalues > tol) and np.any(eigenvalues < -tol):
        return "saddle"
    return "degenerate"
    ### END SOLUTION


def escape_direction(H):
    """The direction to leave a saddle point along.

    Args:
        H: A symmetric (n, n) matrix, a `tf.Tensor` or NumPy array, whose most
            negative eigenvalue is simple (not repeated).

    Returns:
        A 1-D `tf.Tensor` of n floats (in H's dtype if it is a float
            tensor or array): the eigenvector of `H`'s most negative
        eigenvalue, of length 1, signed so that its first component that is
        not zero (above 1e-8 in magnitude) is positive.

    Raises:
        ValueError: If `H` is not a square matrix, or has no negative eigenvalue
            (none below -1e-6, the default tolerance of
            `classify_critical_point`).
    """
    ### BEGIN SOLUTION
    dtype = np.asarray(H).dtype
    dtype = dtype if dtype.kind == "f" else np.float64
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}.")
    eigenvalues, eigenvectors = np.linalg.eigh(H)  # ascending; vectors are columns
    if eigenvalues[0] >= -1e-6:
        raise ValueError(
            f"H has no negative eigenvalue (the smallest is {eigenvalues[0]:.3g}): "
            "no direction lowers f to second order."
        )
    direction = eigenvectors[:, 0] / np.linalg.norm(eigenvectors[:, 0])
    first = np.flatnonzero(np.abs(direction) > 1e-8)[0]
    if direction[first] < 0:
        direction = -direction
    return tf.constant(direction, dtype=dtype)
    ### END SOLUTION


def momentum_step(params, grads, velocities, lr, momentum):
    """One step of gradient descent with momentum, in place.

    For each parameter p with gradient g and velocity v::

        v <- momentum * v - lr * g
        p <- p + v

    Args:
        params: List of `tf.Variable` parameters, updated in place.
        grads: Their gradients, tensors of the same shapes.
        velocities: List of `tf.Variable` velocities, one per parameter (zeros
            before the first step), updated in place.
        lr: Learning rate, a positive float.
        momentum: Momentum coefficient in [0, 1); 0 is plain gradient descent.

    Returns:
        None.
    """
    ### BEGIN SOLUTION
    for param, grad, velocity in zip(params, grads, velocities, strict=True):
        velocity.assign(momentum * velocity - lr * tf.cast(grad, velocity.dtype))
        param.assign_add(velocity)
    ### END SOLUTION


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam update in place, computed as ``keras.optimizers.Adam`` does it.

    `state` is a dict with two lists of `tf.Variable`s shaped like `params`:
    ``state["m"]``, the decaying average of the gradients, and ``state["v"]``,
    that of the squared gradients. Both start at zeros; every call updates
    them in place. For each parameter p with gradient g, at step t::

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g**2
        p <- p - lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

    The factor ``sqrt(1 - beta_2**t) / (1 - beta_1**t)`` is the bias
    correction: m and v start at 0, so early on they underestimate the
    averages they track. Note where epsilon goes: added to ``sqrt(v)``, outside
    the square root.

    Args:
        params: List of `tf.Variable` parameters, updated in place.
        grads: Their gradients, tensors of the same shapes.
        state: ``{"m": [tf.Variable, ...], "v": [tf.Variable, ...]}``, one
            variable per parameter in each list, updated in place.
        lr: Learning rate, a positive float.
        step: The number t of this update: 1 for the first, 2 for the next...
        beta_1: Decay rate of m, in [0, 1).
        beta_2: Decay rate of v, in [0, 1).
        epsilon: Small positive constant that keeps the division finite.

    Returns:
        None.
    """
    ### BEGIN SOLUTION
    for param, grad, m, v in zip(params, grads, state["m"], state["v"], strict=True):
        dtype = param.dtype
        grad = tf.cast(grad, dtype)
        t = tf.cast(step, dtype)
        alpha = lr * tf.sqrt(1.0 - tf.pow(tf.cast(beta_2, dtype), t)) / (
            1.0 - tf.pow(tf.cast(beta_1, dtype), t)
        )
        m.assign_add((grad - m) * (1.0 - beta_1))
        v.assign_add((tf.square(grad) - v) * (1.0 - beta_2))
        param.assign_sub(alpha * m / (tf.sqrt(v) + epsilon))
    ### END SOLUTION
