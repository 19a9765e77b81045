"""Lecture: the building blocks of convolutional networks.

Images have structure an MLP ignores: a pixel is most related to its
neighbours, and a pattern means the same wherever it appears. A convolutional
layer builds both facts in. It slides a small array of weights, the *kernel*,
over the image and computes one output per position from the pixels under the
kernel only (**locality**), with the same kernel at every position
(**translation invariance**). This lecture takes the layer apart:

1. the **cross-correlation** a convolutional layer computes;
2. an **edge detector** made by hand, and the same kernel **learned** from
   examples, from scratch and with ``keras.layers.Conv2D``;
3. how **padding** and **stride** set the output's size,
   ``floor((n + 2p - k) / s) + 1`` along each axis;
4. several **input and output channels**, and the ``1 × 1`` convolution that
   is a dense layer applied at every pixel;
5. **pooling**, which summarizes each window by its maximum or its mean.

Each section defines its functions, then a ``show_...()`` function prints what
they do; the notebook (and ``python -m coursework.conv_basics``) calls them in
order. The ``lenet`` lecture then assembles these blocks into a network.

Run the training part with ``coursework train conv_basics --impl scratch``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from coursework.data import make_dataset
from coursework.linear_regression import make_train_step
from coursework.scratch import SGD, parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import set_seed, train_concise, train_scratch

# ---------------------------------------------------------------------------
# Setup: the hyperparameters of learning an edge detector.
# ---------------------------------------------------------------------------
NUM_IMAGES = 8
"""Images the kernel is learned from; one batch holds them all."""
IMAGE_SIZE = (6, 8)

DEFAULTS = RunConfig(epochs=20, learning_rate=0.02, batch_size=NUM_IMAGES)
"""One batch per epoch, so 20 epochs are 20 gradient steps."""


# ---------------------------------------------------------------------------
# Cross-correlation: one output per position of the kernel over the input.
# ---------------------------------------------------------------------------
def corr2d(X, K):
    """Two-dimensional cross-correlation of an (h, w) input with a (kh, kw) kernel.

    The output has shape ``(h - kh + 1, w - kw + 1)``: the kernel must fit inside
    the input, so it has ``h - kh + 1`` positions down and ``w - kw + 1`` across.
    Each output is the sum of the elementwise product of the kernel and the
    window under it::

        Y[i, j] = sum over a, b of X[i + a, j + b] * K[a, b]

    A *convolution*, in the mathematical sense, would flip the kernel first
    (``K[kh - 1 - a, kw - 1 - b]``). Deep-learning layers learn their kernels, so
    the flip makes no difference to what they can compute, and they skip it.
    """
    X, K = tf.convert_to_tensor(X), tf.convert_to_tensor(K, dtype_hint=tf.float32)
    K = tf.cast(K, X.dtype)
    kh, kw = K.shape
    Y = tf.Variable(tf.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1), X.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(tf.reduce_sum(X[i : i + kh, j : j + kw] * K))
    return tf.convert_to_tensor(Y)


def show_cross_correlation():
    """D2L's example: a 3 × 3 input and a 2 × 2 kernel give a 2 × 2 output."""
    X = tf.constant([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = tf.constant([[0.0, 1.0], [2.0, 3.0]])
    print("corr2d(X, K) =\n", corr2d(X, K).numpy())  # [[19, 25], [37, 43]]
    print("the top-left output: 0*0 + 1*1 + 3*2 + 4*3 =", 0 * 0 + 1 * 1 + 3 * 2 + 4 * 3)


# ---------------------------------------------------------------------------
# Edge detection: the kernel [[1, -1]] responds where a row changes value.
# ---------------------------------------------------------------------------
EDGE_KERNEL = np.array([[1.0, -1.0]], np.float32)


def stripe_image(height: int = 6, width: int = 8, start: int = 2, stop: int = 6) -> np.ndarray:
    """An image of ones with a black vertical stripe in columns ``start`` to ``stop - 1``."""
    image = np.ones((height, width), np.float32)
    image[:, start:stop] = 0.0
    return image


def show_edge_detection():
    """1 at a white-to-black edge, -1 at black-to-white, 0 elsewhere."""
    X = stripe_image()
    print("X =\n", X)
    print("corr2d(X, [[1, -1]]) =\n", corr2d(X, EDGE_KERNEL).numpy())
    # The kernel compares horizontal neighbours: it is blind to horizontal edges.
    print("on the transposed image:\n", corr2d(X.T, EDGE_KERNEL).numpy())


# ---------------------------------------------------------------------------
# Learning the kernel: from images X and their edges Y, by gradient descent.
# ---------------------------------------------------------------------------
def edge_examples(num_images: int = NUM_IMAGES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Striped images and their edge maps, shaped as Conv2D wants them.

    The first image is `stripe_image`'s; the others have stripes of random
    position and width. Every image has its edges computed with `EDGE_KERNEL`.

    Returns:
        ``(X, Y)``: float32 arrays of shape (num_images, 6, 8, 1) and
        (num_images, 6, 7, 1), i.e. (batch, height, width, channels).
    """
    rng = np.random.default_rng(seed)
    images = [stripe_image()]
    while len(images) < num_images:
        start = int(rng.integers(0, IMAGE_SIZE[1] - 1))
        stop = int(rng.integers(start + 1, IMAGE_SIZE[1] + 1))
        images.append(stripe_image(*IMAGE_SIZE, start, stop))
    edges = [corr2d(image, EDGE_KERNEL).numpy() for image in images]
    return np.stack(images)[..., None], np.stack(edges)[..., None]


def initial_kernel(seed: int) -> np.ndarray:
    """A random (1, 2, 1, 1) kernel, the same for both implementations."""
    return np.random.default_rng(seed).normal(size=(1, 2, 1, 1)).astype(np.float32)


def squared_error(Y, Y_hat):
    """Per-image sum of squared errors over every pixel, shape (batch,)."""
    return tf.reduce_sum(tf.square(tf.cast(Y, Y_hat.dtype) - Y_hat), axis=[1, 2, 3])


class EdgeDetectorScratch(tf.Module):
    """One (1, 2) kernel, no bias, applied with ``tf.nn.conv2d``.

    ``tf.nn.conv2d`` takes a batch (batch, height, width, c_in) and a kernel
    (kh, kw, c_in, c_out) and cross-correlates, as `corr2d` does, but for whole
    batches and channels at once.
    """

    def __init__(self, seed: int = 0):
        super().__init__()
        self.K = parameter(initial_kernel(seed), "K")

    def __call__(self, X, training=False):
        del training
        return tf.nn.conv2d(X, self.K, strides=1, padding="VALID")


def build_concise_model(seed: int = 0) -> keras.Model:
    """``Conv2D(1, (1, 2), use_bias=False)`` starting from the same kernel."""
    return keras.Sequential(
        [
            keras.Input((*IMAGE_SIZE, 1)),
            keras.layers.Conv2D(
                1, (1, 2), use_bias=False,
                kernel_initializer=keras.initializers.Constant(initial_kernel(seed)),
            ),
        ],
        name="edge_detector",
    )


def learned_kernel(model) -> np.ndarray:
    """The (1, 2) kernel of a trained scratch or concise model."""
    kernel = model.K if isinstance(model, EdgeDetectorScratch) else model.layers[0].kernel
    return np.asarray(kernel).reshape(1, 2)


def run(impl: str, config: RunConfig, strategy: tf.distribute.Strategy) -> RunResult:
    """Learns the edge kernel from `edge_examples` by plain gradient descent.

    Both implementations minimize the mean over the images of `squared_error`
    with stochastic gradient descent at ``config.learning_rate``, starting from
    the same random kernel; the scratch one with `coursework.scratch.SGD` in
    the linear-regression lecture's training step
    (`coursework.linear_regression.make_train_step`), the concise one with ``fit``.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden).
        strategy: The `MirroredStrategy` to train under.

    Returns:
        The history (the loss per epoch), ``{"kernel_error", "loss"}`` where
        ``kernel_error`` is the largest distance of a learned weight from
        ``[1, -1]``, and the trained model.

    Raises:
        ValueError: If `impl` or a hyperparameter is invalid.
    """
    check_implementation(impl)
    if config.learning_rate <= 0:
        raise ValueError(f"--lr must be positive, got {config.learning_rate}.")
    set_seed(config.seed)
    X, Y = edge_examples(seed=config.seed)
    data = make_dataset(X, Y, config.batch_size, num_replicas=strategy.num_replicas_in_sync,
                        seed=config.seed)
    if int(data.cardinality()) < 1:
        raise ValueError(
            f"{len(X)} images make no complete batch of {config.batch_size}; use a smaller "
            "--batch-size."
        )
    common = {
        "make_step": make_train_step,  # the step of coursework/linear_regression.py
        "strategy": strategy,
        "train_data": data,
        "epochs": config.epochs,
        "verbose": config.verbose,
    }
    if impl == "scratch":
        model, history = train_scratch(
            lambda: EdgeDetectorScratch(config.seed),
            make_optimizer=lambda: SGD(config.learning_rate),
            loss=squared_error,
            **common,
        )
    else:
        model, history = train_concise(
            lambda: build_concise_model(config.seed),
            make_optimizer=lambda: keras.optimizers.SGD(config.learning_rate),
            loss=squared_error,
            **common,
        )
    kernel = learned_kernel(model)
    metrics = {
        "kernel_error": float(np.max(np.abs(kernel - EDGE_KERNEL))),
        "loss": history[-1]["loss"],
    }
    return RunResult(history=history, metrics=metrics, model=model)


def show_learned_kernel():
    """The kernel after 20 steps from a random start: close to [[1, -1]]."""
    from coursework.distribute import get_strategy

    result = run("scratch", DEFAULTS.replace(verbose=0), get_strategy())
    losses = [round(record["loss"], 4) for record in result.history]
    print("loss every 4 steps:", losses[::4], "last:", losses[-1])
    print("learned kernel:", learned_kernel(result.model).round(3))


# ---------------------------------------------------------------------------
# Padding and stride: floor((n + 2p - k) / s) + 1 outputs along each axis.
# ---------------------------------------------------------------------------
def conv_output_shape(input_size, kernel_size, padding=(0, 0), stride=(1, 1)) -> tuple:
    """The output's (height, width) from (height, width) pairs of n, k, p and s.

    Padding adds p rows (columns) of zeros on *each* side, so the padded input
    has ``n + 2p`` positions; the first window starts at 0, the last at most at
    ``n + 2p - k``, and every s-th start is taken.
    """
    return tuple(
        (n + 2 * p - k) // s + 1
        for n, k, p, s in zip(input_size, kernel_size, padding, stride, strict=True)
    )


def convolved_shape(input_size, kernel_size, padding=(0, 0), stride=(1, 1)) -> tuple:
    """The output's (height, width) measured with ``tf.nn.conv2d`` and explicit padding."""
    X = tf.zeros((1, *input_size, 1))
    K = tf.zeros((*kernel_size, 1, 1))
    explicit = [[0, 0], [padding[0]] * 2, [padding[1]] * 2, [0, 0]]
    return tuple(tf.nn.conv2d(X, K, strides=stride, padding=explicit).shape[1:3])


def show_padding_and_stride():
    """The formula and TensorFlow agree, and ``padding="same"`` keeps the size."""
    settings = [  # input, kernel, padding, stride
        ((8, 8), (3, 3), (1, 1), (1, 1)),  # p = (k - 1) / 2 keeps the size
        ((8, 8), (5, 3), (2, 1), (1, 1)),
        ((8, 8), (3, 3), (1, 1), (2, 2)),  # stride 2 halves it
        ((8, 8), (3, 5), (0, 1), (3, 4)),  # floor(5 / 3) + 1 = 2, floor(5 / 4) + 1 = 2
    ]
    for setting in settings:
        print(f"n, k, p, s = {setting}: formula {conv_output_shape(*setting)}, "
              f"tf.nn.conv2d {convolved_shape(*setting)}")
    same = keras.layers.Conv2D(1, (5, 3), padding="same")(tf.zeros((1, 8, 8, 1)))
    print('Conv2D(1, (5, 3), padding="same") on 8 × 8:', tuple(same.shape[1:3]))


# ---------------------------------------------------------------------------
# Channels: sum over the input channels, one kernel stack per output channel.
# ---------------------------------------------------------------------------
def corr2d_multi_in(X, K):
    """X (c_in, h, w) and K (c_in, kh, kw): the per-channel cross-correlations, added."""
    return tf.add_n([corr2d(x, k) for x, k in zip(X, K, strict=True)])


def corr2d_multi_in_out(X, K):
    """X (c_in, h, w) and K (c_out, c_in, kh, kw) give (c_out, h', w')."""
    return tf.stack([corr2d_multi_in(X, k) for k in K])


def corr2d_multi_in_out_1x1(X, K):
    """A 1 × 1 convolution as a matrix product: a dense layer over the channels of each pixel.

    With a 1 × 1 kernel, output channel o at pixel (i, j) is
    ``sum_c K[o, c] * X[c, i, j]``: the pixels do not interact, and every pixel's
    channel vector is multiplied by the same (c_out, c_in) matrix.
    """
    c_in, h, w = X.shape
    c_out = K.shape[0]
    pixels = tf.reshape(X, (c_in, h * w))
    return tf.reshape(tf.matmul(tf.reshape(K, (c_out, c_in)), pixels), (c_out, h, w))


def show_channels():
    """D2L's two-channel example, three output channels, and the 1 × 1 convolution."""
    X = tf.constant([[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = tf.constant([[[0.0, 1], [2, 3]], [[1.0, 2], [3, 4]]])
    print("two input channels:\n", corr2d_multi_in(X, K).numpy())  # [[56, 72], [104, 120]]
    K3 = tf.stack([K, K + 1, K + 2])
    print("three output channels, shape", tuple(corr2d_multi_in_out(X, K3).shape))
    # The same with tf.nn.conv2d, whose layouts put the channels last.
    ours = corr2d_multi_in_out(X, K3)
    theirs = tf.nn.conv2d(tf.transpose(X, (1, 2, 0))[None], tf.transpose(K3, (2, 3, 1, 0)),
                          strides=1, padding="VALID")
    print("tf.nn.conv2d agrees:", np.allclose(ours, tf.transpose(theirs[0], (2, 0, 1))))
    X = tf.random.stateless_normal((3, 3, 3), seed=(1, 2))
    K = tf.random.stateless_normal((2, 3, 1, 1), seed=(3, 4))
    print("1 × 1 convolution == matrix product over the channels:",
          np.allclose(corr2d_multi_in_out(X, K), corr2d_multi_in_out_1x1(X, K), atol=1e-5))


# ---------------------------------------------------------------------------
# Pooling: the maximum or the mean of each window, channel by channel.
# ---------------------------------------------------------------------------
def pool2d(X, pool_size, mode="max"):
    """Max or average pooling of an (h, w) input with a (ph, pw) window, stride 1.

    Pooling has no parameters. Max pooling keeps the strongest response in each
    window, so a feature shifted by a pixel still gives the same output: the
    layer after it becomes less sensitive to exact positions.
    """
    ph, pw = pool_size
    Y = tf.Variable(tf.zeros((X.shape[0] - ph + 1, X.shape[1] - pw + 1)))
    reduce = tf.reduce_max if mode == "max" else tf.reduce_mean
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(reduce(X[i : i + ph, j : j + pw]))
    return tf.convert_to_tensor(Y)


def show_pooling():
    """D2L's example, then Keras's pooling layers with padding and stride."""
    X = tf.constant([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    print("max pooling 2 × 2:\n", pool2d(X, (2, 2)).numpy())  # [[4, 5], [7, 8]]
    print("average pooling 2 × 2:\n", pool2d(X, (2, 2), "avg").numpy())  # [[2, 3], [5, 6]]
    images = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1))
    # Keras pools with a stride equal to the window unless told otherwise.
    print("MaxPooling2D(3):", tf.squeeze(keras.layers.MaxPooling2D(3)(images)).numpy())
    padded = keras.layers.MaxPooling2D(3, padding="same", strides=2)(images)
    print('MaxPooling2D(3, padding="same", strides=2):\n', tf.squeeze(padded).numpy())
    print("tf.nn.avg_pool2d(2, 2):\n",
          tf.squeeze(tf.nn.avg_pool2d(images, ksize=2, strides=2, padding="VALID")).numpy())


if __name__ == "__main__":
    for show in (show_cross_correlation, show_edge_detection, show_learned_kernel,
                 show_padding_and_stride, show_channels, show_pooling):
        print(f"\n# {show.__name__}")
        show()
