"""The softmax-regression reference solution against independent oracles."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import softmax_regression as sol


def numpy_softmax(X):
    """Oracle: the textbook formula in float64 NumPy, stabilized the same way."""
    X = np.asarray(X, dtype=np.float64)
    exp = np.exp(X - X.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.fixture
def logits():
    return np.random.default_rng(0).normal(0, 3, size=(8, 5)).astype(np.float32)


# ---------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("as_tensor", [False, True])
def test_softmax_matches_tf_nn_softmax_and_numpy(logits, as_tensor):
    X = tf.constant(logits) if as_tensor else logits
    result = sol.softmax(X)
    assert isinstance(result, tf.Tensor)
    assert result.shape == (8, 5)
    assert result.dtype == tf.float32
    np.testing.assert_allclose(result, tf.nn.softmax(logits, axis=-1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result, numpy_softmax(logits), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tf.reduce_sum(result, axis=1), np.ones(8), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_finite_for_huge_logits(dtype):
    X = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4], [5.0, 1e4, 9999.0]],
                 dtype=dtype)
    result = sol.softmax(X).numpy()
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result.sum(axis=1), np.ones(4), rtol=1e-6)
    np.testing.assert_allclose(result, numpy_softmax(X), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(result[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(result[2], [0.5, 0.5, 0.0], atol=1e-7)


def test_softmax_keeps_float64_precision():
    X = np.random.default_rng(1).normal(size=(4, 6))
    result = sol.softmax(X)
    assert result.dtype == tf.float64
    np.testing.assert_allclose(result, numpy_softmax(X), rtol=1e-12)
    result = sol.softmax(tf.constant(X))
    assert result.dtype == tf.float64


def test_softmax_of_a_batch_of_one_and_shift_invariance():
    row = np.array([[0.5, -1.0, 2.0, 0.0]], dtype=np.float32)
    result = sol.softmax(row)
    assert result.shape == (1, 4)
    np.testing.assert_allclose(result, numpy_softmax(row), rtol=1e-6)
    np.testing.assert_allclose(sol.softmax(row + 100.0), result, rtol=1e-5)


def test_softmax_gradient_matches_tf_nn_softmax(logits):
    X = tf.Variable(logits)
    weights = tf.constant(np.random.default_rng(2).normal(size=(8, 5)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        ours = tf.reduce_sum(sol.softmax(X) * weights)
        oracle = tf.reduce_sum(tf.nn.softmax(X) * weights)
    np.testing.assert_allclose(tape.gradient(ours, X), tape.gradient(oracle, X),
                               rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------
# cross_entropy
# ---------------------------------------------------------------------------
def test_cross_entropy_picks_the_true_class():
    y_hat = tf.constant([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = tf.constant([0, 2])
    result = sol.cross_entropy(y_hat, y)
    assert result.shape == (2,)
    np.testing.assert_allclose(result, -np.log([0.1, 0.5]), rtol=1e-6)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_cross_entropy_matches_keras_sparse_categorical_crossentropy(logits, label_dtype):
    probabilities = numpy_softmax(logits).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4, 0, 1, 2], dtype=label_dtype)
    result = sol.cross_entropy(probabilities, y)
    assert result.shape == (8,)
    oracle = keras.losses.sparse_categorical_crossentropy(y, probabilities)
    np.testing.assert_allclose(result, oracle, rtol=1e-5)
    np.testing.assert_allclose(result, -np.log(probabilities[np.arange(8), y]), rtol=1e-5)


def test_cross_entropy_of_a_batch_of_one_in_float64():
    result = sol.cross_entropy(np.array([[0.25, 0.75]]), np.array([1]))
    assert result.shape == (1,)
    assert result.dtype == tf.float64
    np.testing.assert_allclose(result, [-np.log(0.75)], rtol=1e-12)


def test_cross_entropy_of_softmax_has_gradient_softmax_minus_one_hot(logits):
    X = tf.Variable(logits)
    y = np.array([4, 3, 2, 1, 0, 4, 3, 2])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(sol.cross_entropy(sol.softmax(X), y))
    expected = numpy_softmax(logits) - np.eye(5)[y]
    np.testing.assert_allclose(tape.gradient(loss, X), expected, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------
# accuracy
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("y_shape", [(4,), (4, 1)])
def test_accuracy_is_a_python_float(y_shape):
    y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    y = np.array([1, 0, 0, 1]).reshape(y_shape)
    result = sol.accuracy(y_hat, y)
    assert type(result) is float
    assert result == pytest.approx(0.5)
    assert sol.accuracy(tf.constant(y_hat), tf.constant(y)) == pytest.approx(0.5)


def test_accuracy_accepts_logits_and_matches_numpy(logits):
    y = np.random.default_rng(3).integers(0, 5, size=8)
    expected = float(np.mean(logits.argmax(axis=1) == y))
    assert sol.accuracy(logits, y) == pytest.approx(expected)
    assert sol.accuracy(numpy_softmax(logits), y) == pytest.approx(expected)
    assert sol.accuracy(logits, logits.argmax(axis=1)) == 1.0
    assert sol.accuracy(logits, (logits.argmax(axis=1) + 1) % 5) == 0.0


def test_accuracy_matches_keras_metric(logits):
    y = np.random.default_rng(4).integers(0, 5, size=8)
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y, logits)
    assert sol.accuracy(logits, y) == pytest.approx(float(metric.result()))


def test_accuracy_of_a_batch_of_one():
    assert sol.accuracy(np.array([[0.2, 0.5, 0.3]]), np.array([1])) == 1.0
    assert sol.accuracy(np.array([[0.2, 0.5, 0.3]]), np.array([2])) == 0.0


# ---------------------------------------------------------------------------
# softmax_regression
# ---------------------------------------------------------------------------
@pytest.fixture
def regression_params():
    rng = np.random.default_rng(5)
    W = rng.normal(0, 0.01, size=(784, 10)).astype(np.float32)
    b = rng.normal(0, 0.1, size=(10,)).astype(np.float32)
    return W, b


@pytest.mark.parametrize("flat", [False, True])
def test_softmax_regression_matches_numpy(regression_params, flat):
    W, b = regression_params
    images = np.random.default_rng(6).uniform(size=(3, 28, 28)).astype(np.float32)
    X = images.reshape(3, 784) if flat else images
    result = sol.softmax_regression(tf.constant(X), tf.Variable(W), tf.Variable(b))
    assert result.shape == (3, 10)
    expected = numpy_softmax(images.reshape(3, 784).astype(np.float64) @ W + b)
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(tf.reduce_sum(result, axis=1), np.ones(3), rtol=1e-6)


def test_softmax_regression_of_a_batch_of_one_with_numpy_inputs(regression_params):
    W, b = regression_params
    image = np.ones((1, 28, 28), dtype=np.float32)
    result = sol.softmax_regression(image, W, b)
    assert result.shape == (1, 10)
    np.testing.assert_allclose(result, numpy_softmax(image.reshape(1, 784) @ W + b), rtol=1e-4)


def test_softmax_regression_gradients_match_the_closed_form(regression_params):
    W0, b0 = regression_params
    X = np.random.default_rng(7).uniform(size=(4, 784)).astype(np.float32)
    y = np.array([0, 3, 9, 3])
    W, b = tf.Variable(W0), tf.Variable(b0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(sol.cross_entropy(sol.softmax_regression(X, W, b), y))
    grad_W, grad_b = tape.gradient(loss, [W, b])
    delta = numpy_softmax(X.astype(np.float64) @ W0 + b0) - np.eye(10)[y]
    np.testing.assert_allclose(grad_W, X.T @ delta, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(grad_b, delta.sum(axis=0), rtol=1e-3, atol=1e-5)


# ---------------------------------------------------------------------------
# build_softmax_model
# ---------------------------------------------------------------------------
def test_softmax_model_layers_shapes_and_parameter_count():
    model = sol.build_softmax_model()
    assert isinstance(model, keras.Model)
    assert not model.compiled, "the model should be returned uncompiled"
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [keras.layers.Flatten, keras.layers.Dense]
    dense = model.layers[-1]
    assert dense.units == 10
    assert dense.activation in (None, keras.activations.linear)
    assert model.count_params() == 784 * 10 + 10 == 7850
    assert tuple(model.input_shape) == (None, 28, 28)
    assert model(np.zeros((3, 28, 28), dtype=np.float32)).shape == (3, 10)


def test_softmax_model_outputs_logits_equal_to_the_scratch_model():
    model = sol.build_softmax_model(num_classes=4)
    assert model.count_params() == 784 * 4 + 4
    X = np.random.default_rng(8).uniform(size=(2, 28, 28)).astype(np.float32)
    logits = model(X)
    assert logits.shape == (2, 4)
    W, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(tf.nn.softmax(logits), sol.softmax_regression(X, W, b),
                               rtol=1e-4, atol=1e-6)
