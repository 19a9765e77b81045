"""The linear-regression reference solution against independent oracles."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import linear_regression as sol


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    w = np.array([[1.5], [-2.0], [0.5]], dtype=np.float32)
    y = X @ w + 0.7 + rng.normal(0, 0.01, size=(50, 1)).astype(np.float32)
    return X, y, w


@pytest.mark.parametrize("b", [0.7, np.array([0.7], dtype=np.float32)])
def test_linreg_matches_numpy(regression_data, b):
    X, _, w = regression_data
    result = sol.linreg(tf.constant(X), tf.constant(w), b)
    assert result.shape == (50, 1)
    np.testing.assert_allclose(result, X @ w + 0.7, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("y_shape", [(4,), (4, 1)])
def test_squared_loss_is_half_squared_difference(y_shape):
    y_hat = tf.constant([[1.0], [2.0], [3.0], [-1.0]])
    y = tf.reshape(tf.constant([0.0, 2.0, 5.0, 1.0]), y_shape)
    loss = sol.squared_loss(y_hat, y)
    assert loss.shape == (4, 1)
    np.testing.assert_allclose(loss, [[0.5], [0.0], [2.0], [2.0]])


def test_squared_loss_gradient_matches_tape():
    y_hat = tf.Variable([[1.0], [4.0]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sol.squared_loss(y_hat, tf.constant([0.0, 1.0])))
    np.testing.assert_allclose(tape.gradient(total, y_hat), [[1.0], [3.0]])


def test_sgd_updates_in_place_and_returns_none():
    w = tf.Variable([[1.0], [2.0]])
    b = tf.Variable([0.5])
    result = sol.sgd([w, b], [tf.constant([[2.0], [4.0]]), tf.constant([1.0])], lr=0.1, batch_size=2)
    assert result is None
    np.testing.assert_allclose(w.numpy(), [[0.9], [1.8]], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [0.45], rtol=1e-6)


def test_data_iter_covers_every_example_once_in_shuffled_order():
    features = np.arange(23, dtype=np.float32).reshape(23, 1)
    labels = np.arange(23, dtype=np.float32) * 10
    batches = list(sol.data_iter(5, features, labels, seed=3))
    assert [len(X) for X, _ in batches] == [5, 5, 5, 5, 3]
    order = np.concatenate([np.asarray(X).ravel() for X, _ in batches])
    assert sorted(order) == list(range(23))
    assert list(order) != list(range(23)), "the order should be shuffled"
    for X, y in batches:  # features and labels stay paired
        np.testing.assert_array_equal(np.asarray(X).ravel() * 10, np.asarray(y))


def test_data_iter_is_reproducible_with_a_seed_and_varies_without():
    features = np.arange(100, dtype=np.float32).reshape(100, 1)
    labels = np.zeros(100, dtype=np.float32)

    def order(seed):
        return np.concatenate([np.asarray(X).ravel() for X, _ in sol.data_iter(10, features, labels, seed)])

    np.testing.assert_array_equal(order(1), order(1))
    assert not np.array_equal(order(None), order(None))


def test_normal_equation_matches_lstsq_oracle(regression_data):
    X, y, _ = regression_data
    w, b = sol.normal_equation(X, y)
    design = np.hstack([X, np.ones((len(X), 1))]).astype(np.float64)
    expected = np.linalg.solve(design.T @ design, design.T @ y.astype(np.float64))
    assert np.shape(w) == (3, 1)
    np.testing.assert_allclose(np.asarray(w), expected[:-1], rtol=1e-6)
    np.testing.assert_allclose(float(b), expected[-1, 0], rtol=1e-6)


def test_training_recovers_the_true_parameters():
    from coursework.linear_regression import TRUE_B, TRUE_W, synthetic_data

    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000, seed=0)
    w, b = sol.train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10)
    assert np.shape(w) == (2, 1)
    np.testing.assert_allclose(np.asarray(w).ravel(), TRUE_W, atol=2e-3)
    assert abs(float(np.asarray(b).ravel()[0]) - TRUE_B) < 2e-3
