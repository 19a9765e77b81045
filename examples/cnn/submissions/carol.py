# Carol: her corr2d loops one position short; her output size divides with /
# (no floor); her pooling slides one pixel at a time whatever the stride; her
# corr2d_multi_in stacks the channels instead of adding them, and
# corr2d_multi_in_out puts the output channels last; her LeNet's first
# convolution has no padding.
import keras
import tensorflow as tf


def corr2d(X, K):
    X = tf.convert_to_tensor(X)
    K = tf.cast(K, X.dtype)
    kh, kw = K.shape
    rows = []
    for i in range(X.shape[0] - kh):  # one row short
        rows.append([tf.reduce_sum(X[i : i + kh, j : j + kw] * K) for j in range(X.shape[1] - kw)])
    return tf.convert_to_tensor(rows, dtype=X.dtype)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    out = []
    for n, k, p, s in zip(pair(input_size), pair(kernel_size), pair(padding), pair(stride)):
        if s < 1 or p < 0 or k > n + 2 * p:
            raise ValueError("the kernel does not fit")
        out.append((n + 2 * p - k) / s + 1)
    return tuple(out)


def pool2d(X, pool_size, stride=1, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    X = tf.convert_to_tensor(X)
    ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    reduce = tf.reduce_max if mode == "max" else tf.reduce_mean
    return tf.convert_to_tensor([
        [reduce(X[i : i + ph, j : j + pw]) for j in range(X.shape[1] - pw + 1)]
        for i in range(X.shape[0] - ph + 1)
    ])


def _corr2d(X, K):
    X = tf.convert_to_tensor(X)
    K = tf.cast(K, X.dtype)
    kh, kw = K.shape
    return tf.convert_to_tensor([
        [tf.reduce_sum(X[i : i + kh, j : j + kw] * K) for j in range(X.shape[1] - kw + 1)]
        for i in range(X.shape[0] - kh + 1)
    ])


def corr2d_multi_in(X, K):
    return tf.stack([_corr2d(x, k) for x, k in zip(X, K)])


def corr2d_multi_in_out(X, K):
    return tf.stack([tf.add_n([_corr2d(x, k) for x, k in zip(X, ks)]) for ks in K], axis=-1)


def build_lenet(num_classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(6, 5, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 5, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="relu"),
        keras.layers.Dense(84, activation="relu"),
        keras.layers.Dense(num_classes),
    ])
