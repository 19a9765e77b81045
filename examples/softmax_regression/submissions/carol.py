# Carol: her accuracy counts the correct predictions instead of taking their
# fraction, and her Keras model forgets to flatten the images (so Dense acts
# on the last axis of every 28 x 28 image and training fails).
import keras
import tensorflow as tf


def softmax(X):
    X = tf.convert_to_tensor(X)
    X_exp = tf.exp(X - tf.reduce_max(X, axis=1, keepdims=True))
    return X_exp / tf.reduce_sum(X_exp, axis=1, keepdims=True)


def cross_entropy(y_hat, y):
    n = tf.shape(y_hat)[0]
    indices = tf.stack([tf.range(n), tf.cast(tf.reshape(y, (-1,)), tf.int32)], axis=1)
    return -tf.math.log(tf.gather_nd(y_hat, indices))


def accuracy(y_hat, y):
    correct = tf.argmax(y_hat, axis=1) == tf.cast(tf.reshape(y, (-1,)), tf.int64)
    return float(tf.reduce_sum(tf.cast(correct, tf.float32)))  # a count, not a fraction


def softmax_regression(X, W, b):
    W = tf.convert_to_tensor(W)
    X = tf.reshape(tf.cast(X, W.dtype), (tf.shape(X)[0], -1))
    return softmax(tf.matmul(X, W) + b)


def build_softmax_model(num_classes=10):
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(num_classes)])
