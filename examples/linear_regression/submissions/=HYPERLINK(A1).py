# A student whose name is a spreadsheet formula: in grades.csv it must read as text
# ('=HYPERLINK(A1)), never run. Only linreg is written.
import tensorflow as tf


def linreg(X, w, b):
    return tf.matmul(X, w) + b
