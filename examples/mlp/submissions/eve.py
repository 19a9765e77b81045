# Eve: mlp_forward applies relu to the logits too, dropout draws one mask per
# column and shares it across the rows, and build_mlp's hidden layer has no
# activation.
import keras
import tensorflow as tf


def relu(X):
    return tf.maximum(X, tf.zeros_like(X))


def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    X = tf.cast(tf.reshape(X, (tf.shape(X)[0], -1)), W1.dtype)
    return relu(tf.matmul(relu(tf.matmul(X, W1) + b1), W2) + b2)


def dropout_layer(X, rate, seed=None):
    if not 0 <= rate <= 1:
        raise ValueError("rate must be in [0, 1]")
    X = tf.convert_to_tensor(X)
    if rate == 1:
        return tf.zeros_like(X)
    shape = tf.concat([[1], tf.shape(X)[1:]], axis=0)  # one draw per column
    if seed is None:
        uniform = tf.random.uniform(shape)
    else:
        uniform = tf.random.stateless_uniform(shape, seed=[seed, 0])
    return tf.cast(uniform >= rate, X.dtype) * X / (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(num_hiddens)]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(num_outputs)])
