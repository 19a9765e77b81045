# alice!: another student whose name cleans to alice's; only linreg and squared_loss are
# written. Her reports must not overwrite alice's (out/alice/), nor alice's hers.
import tensorflow as tf


def linreg(X, w, b):
    return tf.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - tf.reshape(y, y_hat.shape)) ** 2 / 2
