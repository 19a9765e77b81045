# Alice: correct, written differently. She lets tf.nn.conv2d and tf.nn.pool do
# the sliding (moving the channels last, as they want them), writes the output
# size with math.floor, and builds the classic LeNet (sigmoid, average pooling)
# with the functional API.
import math

import keras
import tensorflow as tf


def _conv(X, K):
    """X (c_in, h, w), K (c_out, c_in, kh, kw) -> (c_out, h', w') with tf.nn.conv2d."""
    X = tf.convert_to_tensor(X)
    K = tf.cast(K, X.dtype)
    images = tf.transpose(X, (1, 2, 0))[tf.newaxis]
    kernels = tf.transpose(K, (2, 3, 1, 0))
    return tf.transpose(tf.nn.conv2d(images, kernels, strides=1, padding="VALID")[0], (2, 0, 1))


def corr2d(X, K):
    return _conv(tf.convert_to_tensor(X)[tf.newaxis], tf.convert_to_tensor(K)[tf.newaxis, tf.newaxis])[0]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    result = []
    for n, k, p, s in zip(_pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)):
        if s < 1 or p < 0 or k > n + 2 * p:
            raise ValueError(f"impossible convolution: n={n}, k={k}, p={p}, s={s}")
        result.append(math.floor((n + 2 * p - k) / s) + 1)
    return tuple(result)


def pool2d(X, pool_size, stride=1, mode="max"):
    kinds = {"max": "MAX", "avg": "AVG"}
    if mode not in kinds:
        raise ValueError(f"unknown pooling mode {mode!r}")
    X = tf.convert_to_tensor(X)
    pooled = tf.nn.pool(X[tf.newaxis, :, :, tf.newaxis], window_shape=_pair(pool_size),
                        pooling_type=kinds[mode], strides=_pair(stride), padding="VALID")
    return pooled[0, :, :, 0]


def corr2d_multi_in(X, K):
    return _conv(X, tf.convert_to_tensor(K)[tf.newaxis])[0]


def corr2d_multi_in_out(X, K):
    return _conv(X, K)


def build_lenet(num_classes=10):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(6, 5, padding="same", activation="sigmoid")(inputs)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(16, (5, 5), activation="sigmoid")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(120, activation="sigmoid")(x)
    x = keras.layers.Dense(84, activation="sigmoid")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
