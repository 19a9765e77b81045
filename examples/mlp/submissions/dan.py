# Dan: relu returns a 0/1 mask, mlp_forward leaves out the hidden activation,
# dropout multiplies the kept elements by 1 - rate, and build_mlp has no
# Flatten layer.
import keras
import tensorflow as tf


def relu(X):
    X = tf.convert_to_tensor(X)
    return tf.cast(X > 0, X.dtype)


def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    X = tf.cast(tf.reshape(X, (tf.shape(X)[0], -1)), W1.dtype)
    return tf.matmul(tf.matmul(X, W1) + b1, W2) + b2


def dropout_layer(X, rate, seed=None):
    if not 0 <= rate <= 1:
        raise ValueError("rate must be in [0, 1]")
    X = tf.convert_to_tensor(X)
    if seed is None:
        uniform = tf.random.uniform(tf.shape(X))
    else:
        uniform = tf.random.stateless_uniform(tf.shape(X), seed=[seed, 0])
    return tf.cast(uniform >= rate, X.dtype) * X * (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Dense(num_hiddens, activation="relu")]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(num_outputs)])
