"""The optimization reference solution against independent oracles.

* `hessian`: central finite differences of the function's values;
* `classify_critical_point` and `escape_direction`: ``numpy.linalg.eigh``;
* `momentum_step`: ``keras.optimizers.SGD(momentum=...)``, whose sign
  convention is the material's: it keeps ``v <- momentum * v - lr * g`` and adds
  v to the parameter (PyTorch's SGD instead keeps ``v <- momentum * v + g`` and
  subtracts ``lr * v``; with a constant learning rate the parameters follow the
  same path, but the velocity is ``-lr`` times Keras's);
* `adam_step`: ``keras.optimizers.Adam``, 100 steps, within 1e-6.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import optimization as sol


def finite_difference_hessian(f, x, h=1e-4):
    """Second derivatives from values of f alone (central differences, float64)."""
    x = np.asarray(x, np.float64)
    n = len(x)
    H = np.zeros((n, n))
    unit = np.eye(n) * h
    value = lambda point: float(f(tf.constant(point)))  # noqa: E731
    for i in range(n):
        for j in range(n):
            H[i, j] = (
                value(x + unit[i] + unit[j]) - value(x + unit[i] - unit[j])
                - value(x - unit[i] + unit[j]) + value(x - unit[i] - unit[j])
            ) / (4 * h * h)
    return H


FUNCTIONS = {
    "saddle (w1 w2 - 1)²": (lambda w: (w[0] * w[1] - 1.0) ** 2, [0.0, 0.0]),
    "rosenbrock": (lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2, [-1.2, 1.0]),
    "sin, exp and a product in 3-D": (
        lambda x: tf.sin(x[0]) * tf.exp(0.5 * x[1]) + x[0] * x[1] * x[2] + x[2] ** 3,
        [0.3, -0.7, 1.1],
    ),
    "log-sum-exp in 4-D": (lambda x: tf.reduce_logsumexp(x * [1.0, 2.0, -1.0, 0.5]),
                           [0.1, 0.2, 0.3, -0.4]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_matches_finite_differences(name):
    f, point = FUNCTIONS[name]
    x = tf.constant(point, tf.float64)
    H = sol.hessian(f, x)
    assert H.shape == (len(point), len(point)) and H.dtype == tf.float64
    np.testing.assert_allclose(H.numpy(), finite_difference_hessian(f, point),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(H.numpy(), H.numpy().T, atol=1e-9)


def test_hessian_of_the_saddle_example_and_dtypes():
    loss = FUNCTIONS["saddle (w1 w2 - 1)²"][0]
    H = sol.hessian(loss, tf.constant([0.0, 0.0]))
    assert H.dtype == tf.float32
    np.testing.assert_allclose(H.numpy(), [[0.0, -2.0], [-2.0, 0.0]])
    # A NumPy point works too, and a linear function has a zero Hessian, not None.
    linear = sol.hessian(lambda x: tf.reduce_sum(3.0 * x), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(linear.numpy(), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="1-D"):
        sol.hessian(loss, tf.zeros((2, 2)))


def random_symmetric(eigenvalues, seed):
    """A symmetric matrix with the given eigenvalues in a random orthonormal basis."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))
    return basis @ np.diag(eigenvalues) @ basis.T


@pytest.mark.parametrize(
    "eigenvalues, kind",
    [
        ([1.0, 2.0, 3.0], "minimum"),
        ([-1.0, -0.5], "maximum"),
        ([-2.0, 2.0], "saddle"),
        ([-1e-3, 5.0, 7.0], "saddle"),
        ([0.0, 1.0], "degenerate"),
        ([0.0, -1.0, -2.0], "degenerate"),
        ([1e-8, 1.0], "degenerate"),
        ([0.0, 0.0], "degenerate"),
    ],
)
def test_classify_critical_point_agrees_with_eigh(eigenvalues, kind):
    H = random_symmetric(eigenvalues, seed=len(eigenvalues))
    computed = np.linalg.eigh(H)[0]
    assert sol.classify_critical_point(H) == kind
    assert sol.classify_critical_point(tf.constant(H, tf.float32)) == kind
    if np.all(np.abs(computed) > 1e-6):
        assert (kind == "minimum") == bool(np.all(computed > 0))


def test_classify_critical_point_tolerance_and_bad_input():
    H = np.diag([1e-3, 2.0])
    assert sol.classify_critical_point(H) == "minimum"
    assert sol.classify_critical_point(H, tol=1e-2) == "degenerate"
    with pytest.raises(ValueError, match="square"):
        sol.classify_critical_point(np.ones((2, 3)))


@pytest.mark.parametrize("seed", range(5))
def test_escape_direction_is_eighs_eigenvector_of_the_smallest_eigenvalue(seed):
    rng = np.random.default_rng(seed)
    n = 2 + seed
    eigenvalues = np.sort(rng.uniform(-3, 3, n))
    eigenvalues[0] = -abs(eigenvalues[0]) - 0.5  # a negative, simple smallest eigenvalue
    H = random_symmetric(eigenvalues, seed)
    direction = sol.escape_direction(H).numpy()
    values, vectors = np.linalg.eigh(H)
    expected = vectors[:, 0] * np.sign(vectors[np.flatnonzero(np.abs(vectors[:, 0]) > 1e-8)[0], 0])
    np.testing.assert_allclose(direction, expected, atol=1e-10)
    assert np.linalg.norm(direction) == pytest.approx(1.0)
    np.testing.assert_allclose(H @ direction, values[0] * direction, atol=1e-10)


def test_escape_direction_of_the_saddle_lowers_the_loss():
    loss = FUNCTIONS["saddle (w1 w2 - 1)²"][0]
    H = sol.hessian(loss, tf.constant([0.0, 0.0], tf.float64))
    direction = sol.escape_direction(H)
    np.testing.assert_allclose(direction.numpy(), [2**-0.5, 2**-0.5])
    assert float(loss(0.1 * direction)) < float(loss(tf.zeros(2, tf.float64)))
    # Sign: the first non-zero component is positive, even after a zero one.
    H = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(sol.escape_direction(H).numpy(), [0.0, 2**-0.5, -(2**-0.5)])
    assert sol.escape_direction(tf.constant(H, tf.float32)).dtype == tf.float32


@pytest.mark.parametrize("H", [np.diag([1.0, 2.0]), np.diag([0.0, 3.0]), np.ones((2, 3))])
def test_escape_direction_rejects_matrices_without_negative_eigenvalue(H):
    with pytest.raises(ValueError):
        sol.escape_direction(H)


def quadratic_gradients(params, scales):
    return [tf.constant(s) * p for p, s in zip(params, scales, strict=True)]


def test_momentum_step_matches_keras_sgd_with_momentum():
    """Keras's SGD(momentum=m): v <- m v - lr g; w <- w + v, the material's convention."""
    rng = np.random.default_rng(3)
    starts = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    scales = [rng.uniform(0.1, 3, size=(3, 2)).astype(np.float32),
              rng.uniform(0.1, 3, size=4).astype(np.float32)]
    ours = [tf.Variable(s) for s in starts]
    velocities = [tf.Variable(tf.zeros_like(s)) for s in starts]
    theirs = [tf.Variable(s) for s in starts]
    keras_sgd = keras.optimizers.SGD(0.05, momentum=0.9)
    keras_sgd.build(theirs)
    for _ in range(50):
        assert sol.momentum_step(ours, quadratic_gradients(ours, scales), velocities,
                                 0.05, 0.9) is None
        keras_sgd.apply_gradients(zip(quadratic_gradients(theirs, scales), theirs, strict=True))
    for mine, keras_variable in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.numpy(), keras_variable.numpy(), rtol=1e-5, atol=1e-6)
    keras_velocities = [keras_sgd.momentums[i] for i in range(2)]
    for mine, keras_velocity in zip(velocities, keras_velocities, strict=True):
        np.testing.assert_allclose(mine.numpy(), keras_velocity.numpy(), rtol=1e-5, atol=1e-6)


def test_momentum_step_one_step_by_hand():
    p, v = tf.Variable([1.0, -2.0]), tf.Variable([0.5, 0.5])
    sol.momentum_step([p], [tf.constant([2.0, 4.0])], [v], lr=0.1, momentum=0.5)
    np.testing.assert_allclose(v.numpy(), [0.5 * 0.5 - 0.2, 0.5 * 0.5 - 0.4])
    np.testing.assert_allclose(p.numpy(), [1.05, -2.15])


@pytest.mark.parametrize("settings", [
    {"lr": 0.01},
    {"lr": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
])
def test_adam_step_matches_keras_adam_after_100_steps(settings):
    rng = np.random.default_rng(4)
    starts = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=5).astype(np.float32)]
    ours = [tf.Variable(s) for s in starts]
    state = {"m": [tf.Variable(tf.zeros_like(s)) for s in starts],
             "v": [tf.Variable(tf.zeros_like(s)) for s in starts]}
    theirs = [tf.Variable(s) for s in starts]
    options = {k: v for k, v in settings.items() if k != "lr"}
    keras_adam = keras.optimizers.Adam(settings["lr"], **options)
    keras_adam.build(theirs)

    def gradients(params):
        with tf.GradientTape() as tape:
            loss = sum(tf.reduce_sum(tf.sin(p) * p**2) for p in params)
        return tape.gradient(loss, params)

    for step in range(1, 101):
        assert sol.adam_step(ours, gradients(ours), state, settings["lr"], step, **options) is None
        keras_adam.apply_gradients(zip(gradients(theirs), theirs, strict=True))
    for mine, keras_variable in zip(ours, theirs, strict=True):
        assert np.max(np.abs(mine.numpy() - keras_variable.numpy())) <= 1e-6
    assert float(tf.reduce_max(tf.abs(state["m"][0]))) > 0  # the state was updated in place


def test_adam_first_step_moves_every_coordinate_by_about_lr():
    """With bias correction the first step is lr * sign(g) whatever the gradient's scale."""
    p = tf.Variable([1.0, 1.0, 1.0], dtype=tf.float64)
    state = {"m": [tf.Variable(tf.zeros(3, tf.float64))], "v": [tf.Variable(tf.zeros(3, tf.float64))]}
    sol.adam_step([p], [tf.constant([0.1, -3.0, 50.0], tf.float64)], state, 0.1, 1)
    np.testing.assert_allclose(p.numpy(), [0.9, 1.1, 0.9], rtol=1e-4)
    assert p.dtype == tf.float64
