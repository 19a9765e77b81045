# Erin: her output size forgets the +1 and never rejects an impossible
# setting; her pooling always takes the maximum, whatever the mode; her
# corr2d_multi_in_out keeps every input channel apart; her LeNet has no
# pooling layers.
import keras
import numpy as np
import tensorflow as tf


def corr2d(X, K):
    X = tf.convert_to_tensor(X)
    K = tf.cast(K, X.dtype)
    kh, kw = K.shape
    h, w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    patches = tf.stack([X[i : i + h, j : j + w] for i in range(kh) for j in range(kw)], axis=-1)
    return tf.tensordot(patches, tf.reshape(K, [-1]), axes=1)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n, k, p, s = (np.broadcast_to(v, (2,)) for v in (input_size, kernel_size, padding, stride))
    return tuple(int(v) for v in (n + 2 * p - k) // s)


def pool2d(X, pool_size, stride=1, mode="max"):
    ph, pw = np.broadcast_to(pool_size, (2,))
    sh, sw = np.broadcast_to(stride, (2,))
    X = tf.convert_to_tensor(X)
    pooled = tf.nn.max_pool2d(X[None, :, :, None], (int(ph), int(pw)), (int(sh), int(sw)), "VALID")
    return pooled[0, :, :, 0]


def corr2d_multi_in(X, K):
    return tf.add_n([corr2d(x, k) for x, k in zip(X, K)])


def corr2d_multi_in_out(X, K):
    return tf.stack([tf.stack([corr2d(x, k) for x, k in zip(X, ks)]) for ks in K])


def build_lenet(num_classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
        keras.layers.Conv2D(16, 5, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="relu"),
        keras.layers.Dense(84, activation="relu"),
        keras.layers.Dense(num_classes),
    ])
