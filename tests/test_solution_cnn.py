"""The CNN reference solution against independent oracles.

The oracles are TensorFlow's own kernels (``tf.nn.conv2d``, ``tf.nn.pool``) and
plain NumPy loops written straight from the definitions.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import cnn as sol

RNG = np.random.default_rng(20261201)


# ---------------------------------------------------------------------------
# Oracles.
# ---------------------------------------------------------------------------
def numpy_corr2d(X, K):
    """Y[i, j] = sum_ab X[i + a, j + b] K[a, b], one output at a time."""
    X, K = np.asarray(X, np.float64), np.asarray(K, np.float64)
    (h, w), (kh, kw) = X.shape, K.shape
    Y = np.zeros((h - kh + 1, w - kw + 1))
    for i, j in itertools.product(range(Y.shape[0]), range(Y.shape[1])):
        Y[i, j] = sum(X[i + a, j + b] * K[a, b] for a in range(kh) for b in range(kw))
    return Y


def numpy_pool2d(X, pool_size, stride, mode):
    X = np.asarray(X, np.float64)
    (ph, pw), (sh, sw) = pool_size, stride
    out_h, out_w = (X.shape[0] - ph) // sh + 1, (X.shape[1] - pw) // sw + 1
    Y = np.zeros((out_h, out_w))
    for i, j in itertools.product(range(out_h), range(out_w)):
        window = X[i * sh : i * sh + ph, j * sw : j * sw + pw]
        Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def tf_conv(X, K):
    """tf.nn.conv2d on channels-first X (c_in, h, w) and K (c_out, c_in, kh, kw)."""
    images = tf.transpose(tf.constant(X, tf.float64), (1, 2, 0))[None]
    kernels = tf.transpose(tf.constant(K, tf.float64), (2, 3, 1, 0))
    output = tf.nn.conv2d(images, kernels, strides=1, padding="VALID")[0]
    return tf.transpose(output, (2, 0, 1)).numpy()


# ---------------------------------------------------------------------------
# corr2d
# ---------------------------------------------------------------------------
def test_corr2d_gives_d2l_example():
    X = np.arange(9.0).reshape(3, 3)
    K = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(sol.corr2d(X, K), [[19.0, 25.0], [37.0, 43.0]])


@pytest.mark.parametrize("shape, kernel", [((6, 8), (1, 2)), ((5, 5), (3, 3)), ((7, 4), (4, 1)),
                                           ((3, 3), (3, 3)), ((1, 9), (1, 4))])
def test_corr2d_matches_conv2d_and_a_numpy_loop(shape, kernel):
    X, K = RNG.normal(size=shape), RNG.normal(size=kernel)
    result = sol.corr2d(X, K)
    np.testing.assert_allclose(result, numpy_corr2d(X, K), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result, tf_conv(X[None], K[None, None])[0], rtol=1e-10, atol=1e-12)


def test_corr2d_does_not_flip_the_kernel():
    X = np.array([[1.0, 2.0, 4.0]])
    np.testing.assert_array_equal(sol.corr2d(X, np.array([[1.0, -1.0]])), [[-1.0, -2.0]])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_corr2d_keeps_the_dtype_of_numpy_and_tensor_inputs(dtype, as_tensor):
    X, K = RNG.normal(size=(5, 6)).astype(dtype), RNG.normal(size=(2, 3)).astype(dtype)
    if as_tensor:
        X, K = tf.constant(X), tf.constant(K)
    result = sol.corr2d(X, K)
    assert isinstance(result, tf.Tensor) and result.dtype == tf.as_dtype(dtype)
    tolerance = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(result, numpy_corr2d(X, K), rtol=tolerance, atol=tolerance)


def test_corr2d_is_differentiable_in_the_kernel():
    X = tf.constant(RNG.normal(size=(4, 5)))
    K = tf.Variable(RNG.normal(size=(2, 2)))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sol.corr2d(X, K))
    # d/dK[a, b] of sum_ij Y[i, j] is the sum of the window of X that K[a, b] meets.
    expected = [[X[a : a + 3, b : b + 4].numpy().sum() for b in range(2)] for a in range(2)]
    np.testing.assert_allclose(tape.gradient(total, K), expected)


# ---------------------------------------------------------------------------
# conv_output_shape
# ---------------------------------------------------------------------------
def conv2d_shape(n, k, p, s):
    """The output (height, width) that tf.nn.conv2d gives with explicit padding."""
    X = tf.zeros((1, *n, 1))
    K = tf.zeros((*k, 1, 1))
    return tuple(tf.nn.conv2d(X, K, strides=s, padding=[[0, 0], [p[0]] * 2, [p[1]] * 2, [0, 0]])
                 .shape[1:3])


def test_conv_output_shape_matches_conv2d_over_a_grid():
    for n, k, p, s in itertools.product((5, 8, 13), (1, 2, 5), (0, 1, 3), (1, 2, 3)):
        if n + 2 * p < k:
            continue
        assert sol.conv_output_shape(n, k, p, s) == conv2d_shape((n, n), (k, k), (p, p), (s, s))


@pytest.mark.parametrize("n, k, p, s", [
    ((28, 28), (5, 5), (2, 2), (1, 1)),
    ((8, 8), (3, 5), (0, 1), (3, 4)),
    ((10, 7), (3, 2), (1, 0), (2, 3)),
    ((4, 9), 4, 0, (1, 2)),
])
def test_conv_output_shape_takes_pairs_and_ints(n, k, p, s):
    def pair(value):
        return value if isinstance(value, tuple) else (value, value)

    expected = conv2d_shape(pair(n), pair(k), pair(p), pair(s))
    result = sol.conv_output_shape(n, k, p, s)
    assert result == expected and all(type(size) is int for size in result)
    assert sol.conv_output_shape(list(pair(n)), list(pair(k)), padding=pair(p), stride=pair(s)) == expected


def test_conv_output_shape_defaults_and_known_values():
    assert sol.conv_output_shape(28, 5) == (24, 24)
    assert sol.conv_output_shape(28, 5, padding=2) == (28, 28)
    assert sol.conv_output_shape(28, 5, stride=2) == (12, 12)  # floor(23 / 2) + 1
    assert sol.conv_output_shape(np.int64(10), np.int32(2), 0, 2) == (5, 5)


@pytest.mark.parametrize("arguments, message", [
    ((3, 4), "does not fit"),
    (((8, 3), (2, 5)), "does not fit"),
    ((3, 6, 1), "does not fit"),  # 3 + 2 < 6
    ((8, 3, 0, 0), "stride must be at least 1"),
    ((8, 3, 0, (1, -1)), "stride must be at least 1"),
    ((8, 3, -1), "padding must be at least 0"),
    ((8, (3, 3, 3)), "int or a \\(height, width\\) pair"),
    ((8.5, 3), "int or a \\(height, width\\) pair"),
])
def test_conv_output_shape_rejects_impossible_settings(arguments, message):
    with pytest.raises(ValueError, match=message):
        sol.conv_output_shape(*arguments)


def test_a_kernel_as_large_as_the_padded_input_fits():
    assert sol.conv_output_shape(3, 5, 1) == (1, 1)


# ---------------------------------------------------------------------------
# pool2d
# ---------------------------------------------------------------------------
def test_pool2d_gives_d2l_examples():
    X = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(sol.pool2d(X, 2), [[4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(sol.pool2d(X, (2, 2), mode="avg"), [[2.0, 3.0], [5.0, 6.0]])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("shape, pool_size, stride", [
    ((6, 8), (2, 2), (2, 2)), ((7, 7), (3, 3), (2, 2)), ((5, 9), (2, 3), (1, 2)),
    ((4, 4), (4, 4), (1, 1)), ((9, 6), (3, 1), (3, 1)),
])
def test_pool2d_matches_tf_nn_pool_and_a_numpy_loop(mode, shape, pool_size, stride):
    X = RNG.normal(size=shape)
    result = sol.pool2d(X, pool_size, stride, mode)
    np.testing.assert_allclose(result, numpy_pool2d(X, pool_size, stride, mode), rtol=1e-12)
    oracle = tf.nn.pool(tf.constant(X)[None, :, :, None], window_shape=pool_size,
                        pooling_type=mode.upper(), strides=stride, padding="VALID")[0, :, :, 0]
    np.testing.assert_allclose(result, oracle, rtol=1e-12)
    assert tuple(result.shape) == sol.conv_output_shape(shape, pool_size, 0, stride)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool2d_keeps_the_dtype(dtype):
    X = tf.constant(RNG.normal(size=(4, 6)).astype(dtype))
    for mode in ("max", "avg"):
        assert sol.pool2d(X, 2, 2, mode).dtype == tf.as_dtype(dtype)


@pytest.mark.parametrize("mode", ["mean", "MAX", "sum", None])
def test_pool2d_rejects_unknown_modes(mode):
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        sol.pool2d(np.ones((4, 4)), 2, mode=mode)


# ---------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------
def test_corr2d_multi_in_gives_d2l_example():
    X = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10.0).reshape(3, 3)])
    K = np.stack([np.arange(4.0).reshape(2, 2), np.arange(1.0, 5.0).reshape(2, 2)])
    np.testing.assert_array_equal(sol.corr2d_multi_in(X, K), [[56.0, 72.0], [104.0, 120.0]])


@pytest.mark.parametrize("c_in, shape, kernel", [(1, (5, 5), (2, 2)), (3, (6, 7), (3, 2)),
                                                 (4, (4, 4), (1, 1))])
def test_corr2d_multi_in_matches_conv2d(c_in, shape, kernel):
    X, K = RNG.normal(size=(c_in, *shape)), RNG.normal(size=(c_in, *kernel))
    result = sol.corr2d_multi_in(tf.constant(X), K)
    assert result.dtype == tf.float64
    np.testing.assert_allclose(result, tf_conv(X, K[None])[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result, sum(numpy_corr2d(x, k) for x, k in zip(X, K, strict=True)),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("c_out, c_in", [(1, 1), (3, 2), (2, 5)])
def test_corr2d_multi_in_out_matches_conv2d(c_out, c_in):
    X = RNG.normal(size=(c_in, 6, 5)).astype(np.float32)
    K = RNG.normal(size=(c_out, c_in, 2, 3)).astype(np.float32)
    result = sol.corr2d_multi_in_out(X, tf.constant(K))
    assert result.shape == (c_out, 5, 3) and result.dtype == tf.float32
    np.testing.assert_allclose(result, tf_conv(X, K), rtol=1e-5, atol=1e-5)


def test_one_by_one_convolution_is_a_matrix_product_over_channels():
    X = RNG.normal(size=(3, 4, 5))
    K = RNG.normal(size=(2, 3, 1, 1))
    expected = np.einsum("oc,chw->ohw", K[:, :, 0, 0], X)
    np.testing.assert_allclose(sol.corr2d_multi_in_out(X, K), expected, rtol=1e-10)


# ---------------------------------------------------------------------------
# build_lenet
# ---------------------------------------------------------------------------
def test_build_lenet_has_lenets_layers_and_61706_parameters():
    model = sol.build_lenet()
    assert isinstance(model, keras.Model) and not model.compiled
    assert model.count_params() == 61_706
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense", "Dense", "Dense"]
    assert [layer.filters for layer in model.layers if kinds[model.layers.index(layer)] == "Conv2D"] == [6, 16]
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [120, 84, 10]
    assert model.layers[-1].get_config()["activation"] == "linear"


def test_build_lenet_outputs_logits_for_any_number_of_classes():
    model = sol.build_lenet(num_classes=7)
    logits = model(np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype(np.float32))
    assert logits.shape == (3, 7)
    assert model.count_params() == 61_706 - 850 + 84 * 7 + 7
    assert not np.allclose(np.sum(logits, axis=1), 1.0)  # not probabilities
