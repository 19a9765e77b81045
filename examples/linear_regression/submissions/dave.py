# Dave: a syntax error, so nothing can be imported.
import tensorflow as tf


def linreg(X, w, b)
    return tf.matmul(X, w) + b
