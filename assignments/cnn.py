# Generated from solutions/cnn.py by `autograder release`.
# Fill in the places marked YOUR CODE HERE; do not rename the functions.
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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError
