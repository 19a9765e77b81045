"""The MLP reference solution against independent oracles."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import mlp as sol


# ---------------------------------------------------------------------------
# relu
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_matches_tf_nn_relu_and_keeps_shape_and_dtype(dtype):
    X = np.random.default_rng(0).normal(size=(3, 4, 5)).astype(dtype)
    result = sol.relu(X)
    assert result.shape == (3, 4, 5)
    assert result.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(result, tf.nn.relu(X))
    np.testing.assert_array_equal(result, np.maximum(X, 0))
    np.testing.assert_array_equal(sol.relu(tf.constant(X)), np.maximum(X, 0))


def test_relu_gradient_is_the_step_function():
    X = tf.Variable([[-2.0, -0.5, 0.5, 3.0]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sol.relu(X))
    np.testing.assert_array_equal(tape.gradient(total, X), [[0.0, 0.0, 1.0, 1.0]])


# ---------------------------------------------------------------------------
# mlp_forward
# ---------------------------------------------------------------------------
@pytest.fixture
def mlp_params():
    rng = np.random.default_rng(1)
    return [
        rng.normal(0, 0.05, size=(784, 16)).astype(np.float32),
        rng.normal(0, 0.1, size=(16,)).astype(np.float32),
        rng.normal(0, 0.1, size=(16, 10)).astype(np.float32),
        rng.normal(0, 0.1, size=(10,)).astype(np.float32),
    ]


def numpy_mlp(X, params):
    """Oracle: the forward pass in float64 NumPy."""
    W1, b1, W2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2


@pytest.mark.parametrize("flat", [False, True])
def test_mlp_forward_matches_numpy(mlp_params, flat):
    images = np.random.default_rng(2).uniform(size=(5, 28, 28)).astype(np.float32)
    X = images.reshape(5, 784) if flat else images
    variables = [tf.Variable(p) for p in mlp_params]
    logits = sol.mlp_forward(tf.constant(X), variables)
    assert logits.shape == (5, 10)
    np.testing.assert_allclose(logits, numpy_mlp(images, mlp_params), rtol=1e-4, atol=1e-5)


def test_mlp_forward_of_a_batch_of_one_with_numpy_inputs(mlp_params):
    X = np.random.default_rng(3).uniform(size=(1, 28, 28)).astype(np.float32)
    logits = sol.mlp_forward(X, mlp_params)
    assert logits.shape == (1, 10)
    np.testing.assert_allclose(logits, numpy_mlp(X, mlp_params), rtol=1e-4, atol=1e-5)


def test_mlp_forward_matches_a_keras_model_with_the_same_weights(mlp_params):
    model = sol.build_mlp(num_hiddens=16)
    model.set_weights(mlp_params)
    X = np.random.default_rng(4).uniform(size=(6, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(sol.mlp_forward(X, mlp_params), model(X), rtol=1e-4, atol=1e-5)


def test_mlp_forward_gradients_match_manual_backprop(mlp_params):
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(4, 784)).astype(np.float32)
    upstream = rng.normal(size=(4, 10)).astype(np.float32)
    variables = [tf.Variable(p) for p in mlp_params]
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sol.mlp_forward(X, variables) * upstream)
    grads = tape.gradient(total, variables)

    W1, b1, W2, _ = (p.astype(np.float64) for p in mlp_params)
    pre = X.astype(np.float64) @ W1 + b1
    H = np.maximum(pre, 0)
    dH = upstream @ W2.T * (pre > 0)
    expected = [X.T @ dH, dH.sum(axis=0), H.T @ upstream, upstream.sum(axis=0)]
    for grad, oracle in zip(grads, expected, strict=True):
        np.testing.assert_allclose(grad, oracle, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------
# dropout_layer
# ---------------------------------------------------------------------------
def test_dropout_rate_zero_returns_the_input_unchanged():
    X = tf.reshape(tf.range(16, dtype=tf.float32), (2, 8))
    np.testing.assert_array_equal(sol.dropout_layer(X, 0.0), X)
    np.testing.assert_array_equal(sol.dropout_layer(X, 0), X)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_dropout_rate_one_returns_zeros_of_the_same_shape_and_dtype(dtype):
    X = tf.ones((3, 4, 2), dtype=dtype)
    result = sol.dropout_layer(X, 1.0)
    assert result.shape == (3, 4, 2)
    assert result.dtype == dtype
    assert not np.any(np.asarray(result))
    assert not np.any(np.isnan(np.asarray(result)))


@pytest.mark.parametrize("rate", [-0.1, 1.5, 2, float("nan")])
def test_dropout_rejects_rates_outside_the_unit_interval(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sol.dropout_layer(tf.ones((2, 2)), rate)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_zeroes_about_rate_and_preserves_the_mean(rate):
    X = tf.ones((500, 400))
    result = np.asarray(sol.dropout_layer(X, rate, seed=42))
    assert result.shape == (500, 400)
    assert abs(np.mean(result == 0) - rate) < 0.01
    kept = result[result != 0]
    np.testing.assert_allclose(kept, 1 / (1 - rate), rtol=1e-6)
    assert abs(result.mean() - 1.0) < 0.03


def test_dropout_keeps_the_expected_value_of_arbitrary_inputs():
    X = np.random.default_rng(6).normal(2.0, 1.0, size=(400, 500)).astype(np.float64)
    result = sol.dropout_layer(X, 0.3, seed=1)
    assert result.dtype == tf.float64
    result = np.asarray(result)
    kept = result != 0
    np.testing.assert_allclose(result[kept], X[kept] / 0.7, rtol=1e-12)
    assert abs(result.mean() - X.mean()) < 0.03


def test_dropout_is_reproducible_with_a_seed_and_random_without():
    X = tf.ones((64, 64))
    np.testing.assert_array_equal(sol.dropout_layer(X, 0.5, seed=3), sol.dropout_layer(X, 0.5, seed=3))
    assert not np.array_equal(sol.dropout_layer(X, 0.5, seed=3), sol.dropout_layer(X, 0.5, seed=4))
    assert not np.array_equal(sol.dropout_layer(X, 0.5), sol.dropout_layer(X, 0.5))


def test_dropout_gradient_is_the_scaled_mask():
    X = tf.Variable(tf.ones((20, 30)))
    with tf.GradientTape() as tape:
        result = sol.dropout_layer(X, 0.25, seed=7)
        total = tf.reduce_sum(result)
    np.testing.assert_allclose(tape.gradient(total, X), np.asarray(result), rtol=1e-6)


# ---------------------------------------------------------------------------
# build_mlp
# ---------------------------------------------------------------------------
def test_mlp_model_layers_shapes_and_parameter_count():
    model = sol.build_mlp()
    assert isinstance(model, keras.Model)
    assert not model.compiled, "the model should be returned uncompiled"
    assert [type(layer) for layer in model.layers] == [
        keras.layers.Flatten, keras.layers.Dense, keras.layers.Dense]
    hidden, output = model.layers[1], model.layers[2]
    assert hidden.units == 256 and hidden.activation is keras.activations.relu
    assert output.units == 10 and output.activation in (None, keras.activations.linear)
    assert model.count_params() == (784 * 256 + 256) + (256 * 10 + 10) == 203530
    assert tuple(model.input_shape) == (None, 28, 28)
    assert model(np.zeros((2, 28, 28), dtype=np.float32)).shape == (2, 10)


def test_mlp_model_has_a_dropout_layer_iff_dropout_is_positive():
    model = sol.build_mlp(num_hiddens=32, num_outputs=5, dropout=0.5)
    assert [type(layer) for layer in model.layers] == [
        keras.layers.Flatten, keras.layers.Dense, keras.layers.Dropout, keras.layers.Dense]
    assert model.layers[2].rate == 0.5
    assert model.count_params() == (784 * 32 + 32) + (32 * 5 + 5)
    X = np.ones((4, 28, 28), dtype=np.float32)
    assert model(X).shape == (4, 5)
    np.testing.assert_array_equal(model(X, training=False), model(X, training=False))
    assert not any(isinstance(layer, keras.layers.Dropout)
                   for layer in sol.build_mlp(dropout=0.0).layers)


@pytest.mark.parametrize("dropout", [-0.5, 1.0])
def test_mlp_model_rejects_invalid_dropout(dropout):
    with pytest.raises(ValueError, match="dropout"):
        sol.build_mlp(dropout=dropout)


def test_mlp_model_trains_well_beyond_chance_on_separable_data():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    prototypes = rng.uniform(size=(10, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=500)
    X = prototypes[y] + rng.normal(0, 0.3, size=(500, 28, 28)).astype(np.float32)
    model = sol.build_mlp(num_hiddens=64, dropout=0.2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(X, y, verbose=0)
    assert accuracy > 0.8, f"accuracy {accuracy:.2f} after 2 epochs (chance is 0.1)"
