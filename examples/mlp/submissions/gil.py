# Gil: dropout divides by 1 - rate even for rate 1 (0 / 0 = nan) and turns
# rate 0 into zeros; build_mlp has fixed layer sizes.
import keras
import tensorflow as tf


def dropout_layer(X, rate, seed=None):
    if not 0 <= rate <= 1:
        raise ValueError("rate must be in [0, 1]")
    X = tf.convert_to_tensor(X)
    if rate == 0:
        return tf.zeros_like(X)
    if seed is None:
        uniform = tf.random.uniform(tf.shape(X))
    else:
        uniform = tf.random.stateless_uniform(tf.shape(X), seed=[seed, 0])
    return tf.cast(uniform >= rate, X.dtype) * X / (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Flatten(),
              keras.layers.Dense(256, activation="relu")]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(10)])
