"""Judy: correct functions, and top-level code that leaves SysV shared memory, a
message queue, a memfd held by a hidden process and a lock file behind."""

import os

import numpy as np
import tensorflow as tf


def linreg(X, w, b):
    X = tf.convert_to_tensor(X)
    return X @ tf.cast(w, X.dtype) + tf.cast(b, X.dtype)


def squared_loss(y_hat, y):
    difference = y_hat - tf.reshape(tf.cast(y, y_hat.dtype), y_hat.shape)
    return 0.5 * difference * difference


def sgd(params, grads, lr, batch_size):
    for i in range(len(params)):
        params[i].assign(params[i] - lr / batch_size * tf.cast(grads[i], params[i].dtype))


def data_iter(batch_size, features, labels, seed=None):
    n = int(tf.shape(features)[0])
    if seed is None:
        order = tf.random.shuffle(tf.range(n))
    else:  # stateless: the same seed gives the same order
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=[seed, 0])
    for i in range(0, n, batch_size):
        j = order[i:min(i + batch_size, n)]
        yield tf.gather(features, j), tf.gather(labels, j)


def normal_equation(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    X_mean, y_mean = X.mean(axis=0), y.mean()
    centered = X - X_mean
    w = np.linalg.solve(centered.T @ centered, centered.T @ (y - y_mean))
    return w, float(y_mean - X_mean @ w[:, 0])


def train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10, seed=0):
    tf.random.set_seed(seed)
    features = tf.constant(features, tf.float32)
    labels = tf.reshape(tf.constant(labels, tf.float32), (-1, 1))
    w = tf.Variable(tf.random.normal((features.shape[1], 1), stddev=0.01))
    b = tf.Variable(0.0)
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(squared_loss(linreg(X, w, b), y))
            dw, db = tape.gradient(total, [w, b])
            sgd([w, b], [dw, db], lr, X.shape[0])
    return w, b


# Judy's top-level code leaves traces meant to outlive her grading: a SysV shared
# memory segment and a message queue (never removed), a memfd held by a sleeping
# process in its own session, and a lock file in /run/lock.
def _leave_traces():
    import ctypes
    import time

    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    key = 0x4A554459  # "JUDY"
    segment = libc.shmget(key, 32 * 2**20, 0o1666)
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 7, 32 * 2**20)
    queue = libc.msgget(key, 0o1666)
    if queue >= 0:
        message = ctypes.create_string_buffer(b"\x01" + b"\x00" * 7 + b"judy was here", 21)
        libc.msgsnd(queue, message, 13, 0)
    memory = os.memfd_create("judy")
    os.write(memory, b"j" * 16 * 2**20)
    if os.fork() == 0:
        os.setsid()
        while True:
            time.sleep(1)
    os.close(memory)
    try:
        with open("/run/lock/judy.lock", "w") as lock:
            lock.write("judy")
    except OSError:
        pass


_leave_traces()
