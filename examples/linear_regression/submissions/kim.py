# Kim: one classic mistake in each function. linreg flattens its result,
# squared_loss sums the losses, sgd rebinds a local name instead of updating
# in place (so training never moves), data_iter does not shuffle and
# normal_equation returns w as a flat vector.
import numpy as np
import tensorflow as tf


def linreg(X, w, b):
    return tf.reshape(tf.matmul(X, w) + b, [-1])


def squared_loss(y_hat, y):
    return tf.reduce_sum((y_hat - tf.reshape(y, tf.shape(y_hat))) ** 2 / 2)


def sgd(params, grads, lr, batch_size):
    for param, grad in zip(params, grads):
        param = param - lr * grad / batch_size


def data_iter(batch_size, features, labels, seed=None):
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


def normal_equation(X, y):
    X = np.c_[np.asarray(X, np.float64), np.ones(len(X))]
    theta = np.linalg.lstsq(X, np.asarray(y, np.float64).reshape(-1, 1), rcond=None)[0]
    return theta[:-1, 0], float(theta[-1, 0])


def train_linear_regression(features, labels, num_epochs=3, lr=0.03, batch_size=10, seed=0):
    w = tf.Variable(tf.random.normal((features.shape[1], 1), 0, 0.01, seed=seed))
    b = tf.Variable(tf.zeros(1))
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels, seed + epoch):
            with tf.GradientTape() as g:
                loss = tf.reduce_sum((tf.matmul(X, w) + b - y) ** 2 / 2)
            sgd([w, b], g.gradient(loss, [w, b]), lr, batch_size)
    return w.numpy(), b.numpy()
