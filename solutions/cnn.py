"""Assignment: convolutional networks.

A convolutional layer slides a small *kernel* over an image and, at every
position, multiplies the kernel with the patch of the image under it and sums
the products. Deep-learning libraries call this a convolution, but strictly it
is a **cross-correlation**: a true convolution flips the kernel first. With
input ``X`` of shape (h, w) and kernel ``K`` of shape (kh, kw),

    Y[i, j] = sum over a < kh, b < kw of X[i + a, j + b] * K[a, b],

for ``0 <= i <= h - kh`` and ``0 <= j <= w - kw``. You will implement, with
TensorFlow tensors (or NumPy: your choice, inputs may be either):

1. `corr2d`, the cross-correlation of one channel with one kernel;
2. `conv_output_shape`, the size of a convolution's output;
3. `pool2d`, max and average pooling of one channel;
4. `corr2d_multi_in`, several input channels summed into one output channel;
5. `corr2d_multi_in_out`, several output channels, one kernel stack each;
6. `build_lenet`, LeNet with Keras layers.

**The output size.** An input of size n, padded with p rows (or columns) on
*each* side and scanned by a kernel of size k in steps of s, gives

    out = floor((n + 2p - k) / s) + 1

outputs along that axis: the padded input has ``n + 2p`` positions, the first
window starts at 0, the last at most at ``n + 2p - k``, and every s-th start
counts. For a 28 × 28 image, a 5 × 5 kernel and padding 2 give 28 × 28 again;
stride 2 and no padding give ``floor(23 / 2) + 1 = 12``.

**Channels.** A color image has 3 channels, a hidden layer often dozens. A
kernel for ``c_in`` input channels is a stack of ``c_in`` two-dimensional
kernels; each is cross-correlated with its own channel and the results are
*added* into one output channel. ``c_out`` such stacks give ``c_out`` output
channels.

Your file is graded on its own, so it must not import from `solutions`;
TensorFlow and Keras (and NumPy, if you like) are all you need.

Check your work with ``autograder check cnn.py --assignment cnn``.
"""

import keras
import tensorflow as tf


def corr2d(X, K):
    """Two-dimensional cross-correlation of one channel, no padding, stride 1.

    Args:
        X: The input, shape (h, w): a NumPy array or a `tf.Tensor`.
        K: The kernel, shape (kh, kw), with kh <= h and kw <= w.

    Returns:
        A tensor or array of shape (h - kh + 1, w - kw + 1) with
        ``Y[i, j] = sum_ab X[i + a, j + b] * K[a, b]``; the kernel is not
        flipped. For floating-point inputs it has the dtype of `X`.
    """
    ### BEGIN SOLUTION
    X, K = tf.convert_to_tensor(X), tf.convert_to_tensor(K)
    if X.dtype != K.dtype:  # compute in X's dtype if it is floating, else in K's
        if X.dtype.is_floating or not K.dtype.is_floating:
            K = tf.cast(K, X.dtype)
        else:
            X = tf.cast(X, K.dtype)
    kh, kw = K.shape
    out_h, out_w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    # Add up one shifted copy of X per kernel entry: kh * kw slices instead of a
    # loop over every output position.
    Y = tf.zeros((out_h, out_w), X.dtype)
    for a in range(kh):
        for b in range(kw):
            Y += K[a, b] * X[a : a + out_h, b : b + out_w]
    return Y
    ### END SOLUTION


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    """The output size of a convolution (or pooling) layer.

    Args:
        input_size: n, an int or a (height, width) pair.
        kernel_size: k, an int or a (height, width) pair.
        padding: p, rows (columns) of zeros added on *each* side; an int or a
            (height, width) pair.
        stride: s, the step between windows; an int or a (height, width) pair.

    Returns:
        The tuple of ints ``(out_h, out_w)``, each ``floor((n + 2p - k) / s) + 1``.

    Raises:
        ValueError: If the kernel is larger than the padded input
            (``n + 2p < k``), if a stride is below 1 or if a padding is negative.
    """
    ### BEGIN SOLUTION
    def as_pair(value, name):
        """An int, or a (height, width) pair of ints, as a pair of ints."""
        try:
            height, width = value if hasattr(value, "__len__") else (value, value)
            pair = int(height), int(width)
        except (TypeError, ValueError):
            pair = None
        if pair is None or pair != (height, width):
            message = f"{name} must be an int or a (height, width) pair, got {value!r}."
            raise ValueError(message)
        return pair

    sizes = [as_pair(value, name) for value, name in (
        (input_size, "input_size"), (kernel_size, "kernel_size"),
        (padding, "padding"), (stride, "stride"),
    )]
    shape = []
    for n, k, p, s in zip(*sizes, strict=True):
        if s < 1:
            raise ValueError(f"The stride must be at least 1, got {s}.")
        if p < 0:
            raise ValueError(f"The padding must be at least 0, got {p}.")
        if k < 1 or n + 2 * p < k:
            raise ValueError(
                f"A kernel of size {k} does not fit an input of size {n} padded by {p} on "
                f"each side ({n + 2 * p} positions)."
            )
        shape.append((n + 2 * p - k) // s + 1)
    return tuple(shape)
    ### END SOLUTION


def pool2d(X, pool_size, stride=1, mode="max"):
    """Two-dimensional max or average pooling of one channel, no padding.

    Args:
        X: The input, shape (h, w): a NumPy array or a floating `tf.Tensor`.
        pool_size: The window, an int or a (ph, pw) pair.
        stride: The step between windows, an int or a (height, width) pair.
        mode: "max" for the largest value of each window, "avg" for its mean.

    Returns:
        A tensor or array of shape ``conv_output_shape((h, w), pool_size, 0,
        stride)`` in the dtype of `X`.

    Raises:
        ValueError: If `mode` is neither "max" nor "avg".
    """
    ### BEGIN SOLUTION
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}.")
    X = tf.convert_to_tensor(X)
    ph, pw = pool_size if hasattr(pool_size, "__len__") else (pool_size, pool_size)
    sh, sw = stride if hasattr(stride, "__len__") else (stride, stride)
    out_h, out_w = conv_output_shape(tuple(X.shape), (ph, pw), 0, (sh, sw))
    # One strided slice per window entry: entry (a, b) of every window at once.
    windows = [
        X[a : a + sh * (out_h - 1) + 1 : sh, b : b + sw * (out_w - 1) + 1 : sw]
        for a in range(ph)
        for b in range(pw)
    ]
    stacked = tf.stack(windows)
    if mode == "max":
        return tf.reduce_max(stacked, axis=0)
    return tf.reduce_mean(stacked, axis=0)
    ### END SOLUTION


def corr2d_multi_in(X, K):
    """Cross-correlation with several input channels, summed into one output channel.

    Args:
        X: The input, shape (c_in, h, w).
        K: The kernel, shape (c_in, kh, kw): one 2-D kernel per input channel.

    Returns:
        A tensor or array of shape (h - kh + 1, w - kw + 1): the sum over the
        channels c of ``corr2d(X[c], K[c])``. For floating-point inputs it has
        the dtype of `X`.
    """
    ### BEGIN SOLUTION
    X, K = tf.convert_to_tensor(X), tf.convert_to_tensor(K)
    return tf.add_n([corr2d(x, k) for x, k in zip(tf.unstack(X), tf.unstack(K), strict=True)])
    ### END SOLUTION


def corr2d_multi_in_out(X, K):
    """Cross-correlation with several input and output channels.

    Args:
        X: The input, shape (c_in, h, w).
        K: The kernels, shape (c_out, c_in, kh, kw).

    Returns:
        A tensor or array of shape (c_out, h - kh + 1, w - kw + 1) whose channel o
        is ``corr2d_multi_in(X, K[o])``. For floating-point inputs it has the
        dtype of `X`.
    """
    ### BEGIN SOLUTION
    K = tf.convert_to_tensor(K)
    return tf.stack([corr2d_multi_in(X, k) for k in tf.unstack(K)])
    ### END SOLUTION


def build_lenet(num_classes=10):
    """LeNet with Keras layers.

    Args:
        num_classes: Number of classes (units of the last layer).

    Returns:
        An uncompiled `keras.Model` for inputs of shape (28, 28, 1) that outputs
        logits of shape (batch, num_classes):
        ``Conv2D(6, 5, padding="same")``, pooling, ``Conv2D(16, 5)``, pooling,
        ``Flatten``, ``Dense(120)``, ``Dense(84)``, ``Dense(num_classes)``. The
        pooling layers use 2 × 2 windows with stride 2; the hidden layers have
        an activation and the last layer none. Which activation and which kind
        of pooling is up to you. With 10 classes the model has 61,706
        parameters.
    """
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(pool_size=2, strides=2),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(pool_size=2, strides=2),
            keras.layers.Flatten(),
            keras.layers.Dense(120, activation="relu"),
            keras.layers.Dense(84, activation="relu"),
            keras.layers.Dense(num_classes),
        ],
        name="lenet",
    )
    ### END SOLUTION
