# Fay: her softmax divides by the sum over the whole batch, cross_entropy
# returns a column (n, 1) instead of a vector, and accuracy takes the argmax
# over the examples instead of the classes. She wrote nothing else.
import tensorflow as tf


def softmax(X):
    X = tf.convert_to_tensor(X)
    X_exp = tf.exp(X - tf.reduce_max(X))
    return X_exp / tf.reduce_sum(X_exp)


def cross_entropy(y_hat, y):
    return -tf.math.log(tf.gather(y_hat, tf.reshape(tf.cast(y, tf.int32), (-1, 1)), axis=1,
                                  batch_dims=1))


def accuracy(y_hat, y):
    predictions = tf.argmax(y_hat, axis=0)
    return float(tf.reduce_mean(tf.cast(predictions == tf.cast(tf.reshape(y, (-1,)), tf.int64),
                                        tf.float64)))
