# Leo: linreg forgets the bias, squared_loss subtracts y of shape (n,) from
# y_hat of shape (n, 1) (a broadcast (n, n) matrix), sgd climbs the gradient,
# data_iter shuffles features and labels separately, and training with a
# learning rate scaled by the batch size diverges.
import numpy as np
import tensorflow as tf


def linreg(X, w, b):
    return tf.matmul(X, w)


def squared_loss(y_hat, y):
    return (y_hat - y) ** 2 / 2


def sgd(params, grads, lr, batch_size):
    for param, grad in zip(params, grads):
        param.assign_add(lr * grad / batch_size)


def data_iter(batch_size, features, labels, seed=None):
    rng = np.random.default_rng(seed)
    rows, targets = rng.permutation(len(features)), rng.permutation(len(features))
    for i in range(0, len(features), batch_size):
        yield (tf.gather(features, rows[i:i + batch_size]),
               tf.gather(labels, targets[i:i + batch_size]))


def normal_equation(X, y):
    X = np.c_[np.asarray(X, np.float64), np.ones(len(X))]
    theta = np.linalg.lstsq(X, np.asarray(y, np.float64).reshape(-1, 1), rcond=None)[0]
    return theta[:-1], float(theta[-1, 0])


def train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10, seed=0):
    w = tf.Variable(tf.random.normal((features.shape[1], 1), 0, 0.01, seed=seed))
    b = tf.Variable(tf.zeros(1))
    order = np.random.default_rng(seed).permutation(len(features))
    for epoch in range(num_epochs):
        for i in range(0, len(features), batch_size):
            X, y = tf.gather(features, order[i:i + batch_size]), tf.gather(labels, order[i:i + batch_size])
            with tf.GradientTape() as g:
                loss = tf.reduce_sum((tf.matmul(X, w) + b - y) ** 2 / 2)
            for param, grad in zip([w, b], g.gradient(loss, [w, b])):
                param.assign_sub(lr * batch_size * grad)  # a learning rate 100 times too large
    return w.numpy(), b.numpy()
