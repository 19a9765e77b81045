"""The weight-decay reference solution against independent oracles."""

import math

import numpy as np
import pytest
import tensorflow as tf

from solutions import weight_decay as sol


def ridge_oracle(X, y, lambd):
    """Ridge by NumPy's lstsq: the design with a ones column for the bias, and
    sqrt(n λ) I rows under the weights' columns (none under the bias's)."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64).reshape(-1, 1)
    n, d = X.shape
    design = np.hstack([X, np.ones((n, 1))])
    penalty = np.hstack([np.sqrt(n * lambd) * np.eye(d), np.zeros((d, 1))])
    solution, *_ = np.linalg.lstsq(
        np.vstack([design, penalty]), np.vstack([y, np.zeros((d, 1))]), rcond=None
    )
    return solution[:-1], float(solution[-1, 0])


def half_mse(X, y, w, b):
    X, w = np.asarray(X, np.float64), np.asarray(w, np.float64).reshape(-1, 1)
    return float(np.mean((X @ w + float(b) - np.asarray(y, np.float64).reshape(-1, 1)) ** 2 / 2))


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5)).astype(np.float32)
    y = (X @ rng.normal(size=(5, 1)) + 0.4 + rng.normal(0, 0.1, (30, 1))).astype(np.float32)
    return X, y


# polynomial_features ------------------------------------------------------
@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_polynomial_features_match_powers_over_factorials(shape):
    x = np.linspace(-2.5, 3.0, 6).reshape(shape)
    features = np.asarray(sol.polynomial_features(x, 20))
    expected = np.array([[v**i / math.factorial(i) for i in range(20)] for v in x.ravel()])
    assert features.shape == (6, 20)
    np.testing.assert_allclose(features, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(features[:, 0], 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polynomial_features_keep_the_dtype_of_arrays_and_tensors(dtype):
    x = np.array([0.0, 1.0, -2.0], dtype)
    for value in (x, tf.constant(x)):
        features = sol.polynomial_features(value, 3)
        assert features.dtype == dtype
        np.testing.assert_allclose(features, [[1, 0, 0], [1, 1, 0.5], [1, -2, 2]], rtol=1e-6)


def test_polynomial_features_reject_degree_below_one():
    with pytest.raises(ValueError, match="max_degree"):
        sol.polynomial_features(np.ones(3), 0)
    assert np.shape(sol.polynomial_features(np.ones(3), 1)) == (3, 1)


# l2_penalty ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_penalty_is_half_the_sum_of_squares(dtype):
    w = np.array([[3.0], [-4.0], [1.0]], dtype)
    for value in (w, tf.constant(w), tf.Variable(w)):
        penalty = sol.l2_penalty(value)
        assert np.shape(penalty) == () and penalty.dtype == dtype
        assert float(penalty) == pytest.approx(13.0)


def test_l2_penalty_gradient_is_w():
    w = tf.Variable([[0.5], [-2.0]])
    with tf.GradientTape() as tape:
        penalty = sol.l2_penalty(w)
    np.testing.assert_allclose(tape.gradient(penalty, w), w.numpy())


# k_fold_split ----------------------------------------------------------------
@pytest.mark.parametrize("n, k", [(20, 4), (23, 5), (7, 7), (10, 3)])
def test_k_fold_split_matches_index_arithmetic(n, k):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.float32) * 10
    m = n // k
    for i in range(k):
        X_train, y_train, X_valid, y_valid = map(np.asarray, sol.k_fold_split(X, y, k, i))
        valid = list(range(i * m, (i + 1) * m))
        train = [j for j in range(n) if j not in valid]  # the remainder n - k m included
        np.testing.assert_array_equal(X_valid, X[valid])
        np.testing.assert_array_equal(y_valid, y[valid])
        np.testing.assert_array_equal(X_train, X[train])
        np.testing.assert_array_equal(y_train, y[train])


def test_k_fold_split_accepts_tensors():
    X, y = tf.reshape(tf.range(12.0), (6, 2)), tf.range(6.0)[:, None]
    X_train, y_train, X_valid, y_valid = sol.k_fold_split(X, y, 3, 2)
    np.testing.assert_array_equal(np.asarray(y_valid).ravel(), [4, 5])
    np.testing.assert_array_equal(np.asarray(y_train).ravel(), [0, 1, 2, 3])


@pytest.mark.parametrize("k, i", [(1, 0), (7, 0), (3, 3), (3, -1)])
def test_k_fold_split_rejects_bad_folds(k, i):
    with pytest.raises(ValueError):
        sol.k_fold_split(np.zeros((6, 2)), np.zeros(6), k, i)


# ridge_regression ------------------------------------------------------------
@pytest.mark.parametrize("lambd", [0.0, 0.1, 3.0])
def test_ridge_matches_lstsq_oracle(problem, lambd):
    X, y = problem
    w, b = sol.ridge_regression(X, y, lambd)
    expected_w, expected_b = ridge_oracle(X, y, lambd)
    assert np.shape(w) == (5, 1) and np.size(b) == 1
    assert w.dtype == np.float32
    np.testing.assert_allclose(np.asarray(w), expected_w, rtol=1e-4, atol=1e-5)
    assert float(b) == pytest.approx(expected_b, rel=1e-4, abs=1e-5)


def test_ridge_with_more_inputs_than_examples_matches_oracle_in_float64():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 200)), rng.normal(size=20)
    w, b = sol.ridge_regression(tf.constant(X), tf.constant(y), 3.0)
    expected_w, expected_b = ridge_oracle(X, y, 3.0)
    assert w.dtype == np.float64
    np.testing.assert_allclose(np.asarray(w), expected_w, rtol=1e-8, atol=1e-10)
    assert float(b) == pytest.approx(expected_b, rel=1e-8)


def test_ridge_without_decay_fits_underdetermined_data_exactly():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(10, 30)), rng.normal(size=(10, 1))
    w, b = sol.ridge_regression(X, y, 0.0)
    assert half_mse(X, y, w, b) < 1e-20


def test_ridge_does_not_penalise_the_bias():
    X = np.random.default_rng(2).normal(size=(50, 3))
    w, b = sol.ridge_regression(X, np.full(50, 100.0), 1e3)  # constant targets
    np.testing.assert_allclose(np.asarray(w), 0.0, atol=1e-10)
    assert float(b) == pytest.approx(100.0)


def test_ridge_rejects_negative_lambda(problem):
    with pytest.raises(ValueError, match="lambd"):
        sol.ridge_regression(*problem, -0.1)


# cross_validate --------------------------------------------------------------
def test_cross_validate_averages_the_oracle_over_folds(problem):
    X, y = problem
    k, lambd, m = 4, 0.5, len(X) // 4
    train_losses, valid_losses = [], []
    for i in range(k):
        valid = np.arange(i * m, (i + 1) * m)
        train = np.setdiff1d(np.arange(len(X)), valid)
        w, b = ridge_oracle(X[train], y[train], lambd)
        train_losses.append(half_mse(X[train], y[train], w, b))
        valid_losses.append(half_mse(X[valid], y[valid], w, b))
    train_loss, valid_loss = sol.cross_validate(X, y, k, lambd)
    assert type(train_loss) is float and type(valid_loss) is float
    assert train_loss == pytest.approx(np.mean(train_losses), rel=1e-4)
    assert valid_loss == pytest.approx(np.mean(valid_losses), rel=1e-4)


def test_cross_validate_rejects_bad_arguments(problem):
    with pytest.raises(ValueError):
        sol.cross_validate(*problem, 1, 0.1)
    with pytest.raises(ValueError):
        sol.cross_validate(*problem, 3, -1.0)


# train_weight_decay ----------------------------------------------------------
@pytest.fixture(scope="module")
def lecture_data():
    from coursework.weight_decay import load_data

    return load_data(seed=0)


def test_train_weight_decay_steps_like_a_numpy_oracle():
    """Two epochs on a tiny problem, replayed in NumPy with the same draws."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(7, 3)).astype(np.float64)
    y = rng.normal(size=(7, 1))
    lambd, lr, batch, seed = 0.7, 0.05, 3, 5
    w, b = sol.train_weight_decay(X, y, lambd, num_epochs=2, lr=lr, batch_size=batch, seed=seed)
    w_ref = tf.random.stateless_normal((3, 1), seed=[seed, 0], mean=1.0, dtype=tf.float64).numpy()
    b_ref = 0.0
    order_rng = np.random.default_rng(seed)
    for _ in range(2):
        order = order_rng.permutation(7)
        for start in range(0, 7, batch):
            idx = order[start : start + batch]
            residual = X[idx] @ w_ref + b_ref - y[idx]
            grad_w = X[idx].T @ residual / len(idx) + lambd * w_ref
            grad_b = float(np.mean(residual))
            w_ref, b_ref = w_ref - lr * grad_w, b_ref - lr * grad_b
    assert np.shape(w) == (3, 1)
    np.testing.assert_allclose(w, w_ref, rtol=1e-10)
    assert float(b) == pytest.approx(b_ref, rel=1e-10)


def test_train_weight_decay_shrinks_w_and_the_test_loss(lecture_data):
    (X, y), (X_test, y_test) = lecture_data
    w0, b0 = sol.train_weight_decay(X, y, 0.0)
    w3, b3 = sol.train_weight_decay(X, y, 3.0)
    assert np.linalg.norm(w3) < 0.1 * np.linalg.norm(w0)
    assert half_mse(X_test, y_test, w3, b3) * 100 < half_mse(X_test, y_test, w0, b0)
    w3_again, _ = sol.train_weight_decay(X, y, 3.0)
    np.testing.assert_array_equal(w3, w3_again)  # seeded


def test_train_weight_decay_rejects_negative_lambda(lecture_data):
    with pytest.raises(ValueError, match="lambd"):
        sol.train_weight_decay(*lecture_data[0], -1.0)
