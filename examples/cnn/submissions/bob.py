# Bob: his corr2d computes a true convolution (he flips the kernel, as his
# signal-processing course taught him), and his multi-channel functions use it;
# his output size counts the padding once; his LeNet ends in a softmax.
import keras
import numpy as np
import tensorflow as tf


def corr2d(X, K):
    X = np.asarray(X)
    K = np.asarray(K)[::-1, ::-1]  # convolution flips the kernel
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1), X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i : i + kh, j : j + kw] * K)
    return Y


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    out = []
    for n, k, p, s in zip(pair(input_size), pair(kernel_size), pair(padding), pair(stride)):
        if s < 1 or p < 0 or k > n + 2 * p:
            raise ValueError("the kernel does not fit")
        out.append((n + p - k) // s + 1)
    return tuple(out)


def pool2d(X, pool_size, stride=1, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(mode)
    X = np.asarray(X)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    Y = np.zeros(((X.shape[0] - ph) // sh + 1, (X.shape[1] - pw) // sw + 1), X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i * sh : i * sh + ph, j * sw : j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(np.asarray(X), np.asarray(K)))


def corr2d_multi_in_out(X, K):
    return np.stack([corr2d_multi_in(X, k) for k in np.asarray(K)])


def build_lenet(num_classes=10):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 5, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="relu"),
        keras.layers.Dense(84, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
