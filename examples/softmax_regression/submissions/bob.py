# Bob: two typical mistakes. His softmax does not subtract the row maximum, so
# large logits overflow to inf and give nan (softmax_regression, which uses it,
# inherits the problem), and his cross-entropy averages over the batch instead
# of returning one loss per example.
import keras
import tensorflow as tf


def softmax(X):
    X_exp = tf.exp(X)
    return X_exp / tf.reduce_sum(X_exp, axis=1, keepdims=True)


def cross_entropy(y_hat, y):
    picked = tf.gather(y_hat, tf.reshape(y, (-1, 1)), axis=1, batch_dims=1)
    return tf.reduce_mean(-tf.math.log(picked))


def accuracy(y_hat, y):
    correct = tf.argmax(y_hat, axis=1) == tf.cast(tf.reshape(y, (-1,)), tf.int64)
    return float(tf.reduce_mean(tf.cast(correct, tf.float32)))


def softmax_regression(X, W, b):
    X = tf.reshape(X, (-1, W.shape[0]))
    return softmax(tf.matmul(tf.cast(X, W.dtype), W) + b)


def build_softmax_model(num_classes=10):
    return keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes),
    ])
