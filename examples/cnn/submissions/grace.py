# Grace: everything is right but the output size, which she rounds down with
# np.floor: the right numbers, as floats rather than ints.
import keras
import numpy as np


def corr2d(X, K):
    X, K = np.asarray(X), np.asarray(K, dtype=np.asarray(X).dtype)
    kh, kw = K.shape
    windows = np.lib.stride_tricks.sliding_window_view(X, (kh, kw))
    return np.einsum("ijab,ab->ij", windows, K).astype(X.dtype)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    sizes = [v if isinstance(v, (tuple, list)) else (v, v)
             for v in (input_size, kernel_size, padding, stride)]
    out = []
    for n, k, p, s in zip(*sizes):
        if s < 1 or p < 0 or n + 2 * p < k:
            raise ValueError("no room for the kernel")
        out.append(np.floor((n + 2 * p - k) / s) + 1)
    return tuple(out)


def pool2d(X, pool_size, stride=1, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    X = np.asarray(X)
    ph, pw = pool_size if isinstance(pool_size, (tuple, list)) else (pool_size, pool_size)
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    windows = np.lib.stride_tricks.sliding_window_view(X, (ph, pw))[::sh, ::sw]
    reduced = windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))
    return reduced.astype(X.dtype)


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
        keras.layers.Dense(num_classes),
    ])
