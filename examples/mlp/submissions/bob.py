# Bob: two typical mistakes. His dropout zeroes elements correctly but does not
# rescale the kept ones by 1 / (1 - rate), and his mlp_forward returns
# probabilities (a softmax at the end) instead of logits.
import keras
import tensorflow as tf


def relu(X):
    return tf.maximum(X, 0)


def mlp_forward(X, params):
    W1, b1, W2, b2 = params
    X = tf.reshape(X, (-1, W1.shape[0]))
    H = relu(tf.matmul(tf.cast(X, W1.dtype), W1) + b1)
    return tf.nn.softmax(tf.matmul(H, W2) + b2)


def dropout_layer(X, rate, seed=None):
    if not 0 <= rate <= 1:
        raise ValueError("rate must be in [0, 1]")
    X = tf.convert_to_tensor(X)
    mask = tf.random.uniform(tf.shape(X), seed=seed) >= rate
    return tf.cast(mask, X.dtype) * X  # forgot: / (1 - rate)


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()])
    model.add(keras.layers.Dense(num_hiddens, activation="relu"))
    if dropout > 0:
        model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(num_outputs))
    return model
