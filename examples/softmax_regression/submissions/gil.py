# Gil: only cross_entropy, without its minus sign.
import tensorflow as tf


def cross_entropy(y_hat, y):
    picked = tf.gather(y_hat, tf.reshape(tf.cast(y, tf.int32), (-1, 1)), axis=1, batch_dims=1)
    return tf.reshape(tf.math.log(picked), (-1,))
