# Carol: her relu is the absolute value (and mlp_forward, which uses it, is
# wrong with it), her dropout never checks the rate, and build_mlp ignores its
# dropout argument.
import keras
import tensorflow as tf


def relu(X):
    return tf.abs(X)


def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    X = tf.reshape(X, (tf.shape(X)[0], -1))
    return relu(tf.cast(X, W1.dtype) @ W1 + b1) @ W2 + b2


def dropout_layer(X, rate, seed=None):
    X = tf.convert_to_tensor(X)
    if rate == 1:
        return tf.zeros_like(X)
    keep = tf.cast(tf.random.uniform(tf.shape(X), dtype=X.dtype) >= rate, X.dtype)
    return keep * X / (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    return keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(num_hiddens, activation="relu"),
        keras.layers.Dense(num_outputs),
    ])
