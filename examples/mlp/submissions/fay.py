# Fay: mlp_forward multiplies the unflattened images, dropout keeps an element
# with probability rate instead of dropping it, build_mlp ends in a softmax.
import keras
import tensorflow as tf


def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    H = tf.maximum(tf.matmul(tf.cast(X, W1.dtype), W1) + b1, 0)
    return tf.matmul(H, W2) + b2


def dropout_layer(X, rate, seed=None):
    if not 0 <= rate <= 1:
        raise ValueError("rate must be in [0, 1]")
    X = tf.convert_to_tensor(X)
    if rate in (0, 1):
        return X if rate == 0 else tf.zeros_like(X)
    if seed is None:
        uniform = tf.random.uniform(tf.shape(X), dtype=X.dtype)
    else:
        uniform = tf.random.stateless_uniform(tf.shape(X), seed=[seed, 0], dtype=X.dtype)
    return tf.cast(uniform < rate, X.dtype) * X / (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Flatten(),
              keras.layers.Dense(num_hiddens, activation="relu")]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(num_outputs, activation="softmax")])
