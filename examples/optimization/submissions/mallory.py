# Mallory: hostile. A string that claims to equal every answer, a Hessian that
# rewrites the grader's test function, a search for the reference solution,
# an endless loop and a process exit.
import glob
import os

import numpy as np
import tensorflow as tf


class Anything(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def hessian(f, x):
    f.__code__ = (lambda x: 0.0 * tf.reduce_sum(x)).__code__  # tamper with the test function
    return tf.zeros((x.shape[0], x.shape[0]), x.dtype)


def classify_critical_point(H, tol=1e-6):
    return Anything("minimum")


def escape_direction(H):
    while True:
        pass


def momentum_step(params, grads, velocities, lr, momentum):
    os._exit(0)


def adam_step(params, grads, state, lr, step, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    for path in glob.glob("/work/*/solutions/optimization.py") + glob.glob("../*/*.py"):
        try:
            namespace = {}
            exec(open(path).read(), namespace)
            return namespace["adam_step"](params, grads, state, lr, step, beta_1, beta_2,
                                          epsilon)
        except Exception:
            pass
    return np.zeros(1)
