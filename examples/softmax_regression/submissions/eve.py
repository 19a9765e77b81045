# Eve: her softmax divides by row sums without keepdims, cross_entropy picks
# y_hat[:, y] (a matrix), accuracy returns a tensor instead of a Python float,
# softmax_regression multiplies the unflattened images, and her Keras model
# always has 10 units.
import keras
import tensorflow as tf


def softmax(X):
    X = tf.convert_to_tensor(X)
    X_exp = tf.exp(X - tf.reduce_max(X, axis=1, keepdims=True))
    return X_exp / tf.reduce_sum(X_exp, axis=1)


def cross_entropy(y_hat, y):
    return -tf.math.log(tf.gather(y_hat, tf.cast(y, tf.int32), axis=1))


def accuracy(y_hat, y):
    correct = tf.argmax(y_hat, axis=1) == tf.cast(tf.reshape(y, (-1,)), tf.int64)
    return tf.reduce_mean(tf.cast(correct, tf.float64))


def softmax_regression(X, W, b):
    logits = tf.matmul(tf.cast(X, W.dtype), W) + b
    return tf.nn.softmax(logits)


def build_softmax_model(num_classes=10):
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(10)])
