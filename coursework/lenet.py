"""Lecture: LeNet, a convolutional network, on Fashion-MNIST, from scratch and with Keras.

An MLP flattens each image into 784 numbers and forgets which pixels were
neighbours. A **convolutional network** keeps the image's grid: each
convolutional layer slides small kernels over it, so the same few weights
detect an edge or a texture wherever it appears (*translation invariance*)
from a small neighbourhood of pixels (*locality*). LeCun's LeNet (1998), the
first convolutional network trained end to end with backpropagation, has two
such layers, each followed by a pooling layer that halves the resolution, and
three dense layers on top::

    28 × 28 × 1   image
    conv 5 × 5, 6 channels, padding 2    -> 28 × 28 × 6
    pool 2 × 2, stride 2                 -> 14 × 14 × 6
    conv 5 × 5, 16 channels, no padding  -> 10 × 10 × 16
    pool 2 × 2, stride 2                 ->  5 ×  5 × 16
    flatten                              -> 400
    dense 120, dense 84, dense 10        -> 10 logits

Each layer's output size follows ``floor((n + 2p - k) / s) + 1`` (see the
``conv_basics`` lecture): ``(28 + 4 - 5) / 1 + 1 = 28`` for the first
convolution, ``(14 - 5) / 1 + 1 = 10`` for the second, ``(10 - 2) / 2 + 1 = 5``
for the second pooling. The network has 61,706 parameters, a third of the
MLP's 203,530, yet it beats the MLP by about two points of test accuracy.

This is the **modern** LeNet: ReLU activations, max pooling and Adam. The
``lenet_classic`` lecture trains the original design (sigmoid activations,
average pooling) and shows why those choices fell out of use.

The two implementations share the data, the loss, the optimizer, the initial
weights and every hyperparameter (see `coursework.classification`):

* **from scratch**: ten `tf.Variable`s, the convolutions applied with
  ``tf.nn.conv2d``, pooling with ``tf.nn.max_pool2d`` (or ``tf.nn.avg_pool2d``),
  trained by the hand-written `coursework.scratch.Adam` in the
  linear-regression lecture's training step
  (`coursework.linear_regression.make_train_step`);
* **concise**: ``Conv2D``, ``MaxPooling2D`` and ``Dense`` layers, trained with
  ``fit``.

Run it with ``coursework train lenet --impl scratch --plot curves.png`` (or
``python -m coursework.lenet`` to train both implementations).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from coursework.classification import NUM_CLASSES, Splits, initial_weights, run_classifier
from coursework.scratch import parameter
from coursework.topics import RunConfig, RunResult

# ---------------------------------------------------------------------------
# Setup: the architecture and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
IMAGE_SHAPE = (28, 28, 1)
"""Height, width and channels of an input image (Fashion-MNIST is grayscale)."""
CONV_CHANNELS = (6, 16)
"""Output channels of the two convolutional layers."""
KERNEL_SIZE = 5
POOL_SIZE = 2
"""Pooling window and stride: each pooling layer halves the height and width."""
DENSE_UNITS = (120, 84)
"""Units of the two hidden dense layers."""

ACTIVATION = "relu"
POOLING = "max"

DEFAULTS = RunConfig(epochs=10, learning_rate=0.003, batch_size=128)


def parameter_shapes(num_classes: int = NUM_CLASSES) -> list[tuple[int, ...]]:
    """The shape of every kernel and weight matrix, in order.

    Convolution kernels are ``(kernel height, kernel width, input channels,
    output channels)``, the layout ``tf.nn.conv2d`` and ``keras.layers.Conv2D``
    use; dense weights are ``(inputs, outputs)``.
    """
    first, second = CONV_CHANNELS
    side = ((IMAGE_SHAPE[0] // POOL_SIZE) - KERNEL_SIZE + 1) // POOL_SIZE  # 5
    flat = side * side * second  # 400
    hidden, last_hidden = DENSE_UNITS
    return [
        (KERNEL_SIZE, KERNEL_SIZE, IMAGE_SHAPE[2], first),
        (KERNEL_SIZE, KERNEL_SIZE, first, second),
        (flat, hidden),
        (hidden, last_hidden),
        (last_hidden, num_classes),
    ]


def glorot_sigma(shape: tuple[int, ...]) -> float:
    """Standard deviation of Glorot (Xavier) initialization for a kernel or weight matrix.

    ``sqrt(2 / (fan_in + fan_out))`` keeps the variance of the activations and of
    the gradients about the same from layer to layer. For a convolution each
    output sees ``kh * kw * c_in`` inputs (its fan-in) and each input reaches
    ``kh * kw * c_out`` outputs (its fan-out). Keras's default initializer,
    ``glorot_uniform``, has the same variance.
    """
    receptive_field = math.prod(shape[:-2])
    fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return math.sqrt(2.0 / (fan_in + fan_out))


def initial_parameters(seed: int, num_classes: int = NUM_CLASSES) -> list[np.ndarray]:
    """The initial kernels and weight matrices, the same for both implementations."""
    return [
        initial_weights(shape, glorot_sigma(shape), seed, layer)
        for layer, shape in enumerate(parameter_shapes(num_classes), start=1)
    ]


# ---------------------------------------------------------------------------
# Data: Fashion-MNIST, as in the MLP lectures (`coursework.fashion_mnist`),
# batched by `coursework.classification.make_pipelines`; each (28, 28) image
# becomes a (28, 28, 1) grid with one channel inside the models.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Model from scratch: kernels as variables, tf.nn.conv2d and tf.nn pooling.
# ---------------------------------------------------------------------------
ACTIVATIONS = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid}
POOLINGS = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}


class LeNetScratch(tf.Module):
    """LeNet with hand-made parameters.

    ``tf.nn.conv2d(x, K, strides=1, padding="SAME")`` cross-correlates a batch
    of images ``x`` of shape (batch, height, width, c_in) with a kernel ``K`` of
    shape (kh, kw, c_in, c_out): every output channel sums the cross-correlations
    of all input channels with its own slice of ``K``. ``"SAME"`` pads so that
    the output keeps the input's size (here 2 pixels on each side for a 5 × 5
    kernel); ``"VALID"`` does not pad.

    Args:
        activation: "relu" or "sigmoid".
        pooling: "max" or "avg".
        seed: Seed of the initial weights; biases start at 0.

    Raises:
        ValueError: If `activation` or `pooling` is unknown.
    """

    def __init__(self, activation: str = ACTIVATION, pooling: str = POOLING, seed: int = 0):
        super().__init__()
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("pooling", pooling, POOLINGS)
        self.activation = ACTIVATIONS[activation]
        self.pool = POOLINGS[pooling]
        K1, K2, W3, W4, W5 = initial_parameters(seed)
        self.K1, self.b1 = parameter(K1, "K1"), parameter(tf.zeros(K1.shape[-1]), "b1")
        self.K2, self.b2 = parameter(K2, "K2"), parameter(tf.zeros(K2.shape[-1]), "b2")
        self.W3, self.b3 = parameter(W3, "W3"), parameter(tf.zeros(W3.shape[-1]), "b3")
        self.W4, self.b4 = parameter(W4, "W4"), parameter(tf.zeros(W4.shape[-1]), "b4")
        self.W5, self.b5 = parameter(W5, "W5"), parameter(tf.zeros(W5.shape[-1]), "b5")

    def __call__(self, images, training=False):
        del training  # no layer behaves differently while training
        act, pool = self.activation, self.pool
        X = tf.reshape(images, (-1, *IMAGE_SHAPE))
        H = act(tf.nn.conv2d(X, self.K1, strides=1, padding="SAME") + self.b1)  # 28×28×6
        H = pool(H, ksize=POOL_SIZE, strides=POOL_SIZE, padding="VALID")  # 14×14×6
        H = act(tf.nn.conv2d(H, self.K2, strides=1, padding="VALID") + self.b2)  # 10×10×16
        H = pool(H, ksize=POOL_SIZE, strides=POOL_SIZE, padding="VALID")  # 5×5×16
        H = tf.reshape(H, (tf.shape(H)[0], -1))  # 400, in (row, column, channel) order
        H = act(tf.matmul(H, self.W3) + self.b3)
        H = act(tf.matmul(H, self.W4) + self.b4)
        return tf.matmul(H, self.W5) + self.b5


def _check_choice(name: str, value: str, choices: dict) -> None:
    if value not in choices:
        raise ValueError(f"Unknown {name} {value!r}; use one of {', '.join(map(repr, choices))}.")


# ---------------------------------------------------------------------------
# Concise model: Conv2D, pooling and Dense layers.
# ---------------------------------------------------------------------------
def build_concise_model(
    activation: str = ACTIVATION, pooling: str = POOLING, seed: int = 0
) -> keras.Model:
    """The same LeNet with Keras layers, initialized like the scratch model.

    ``Flatten`` orders the 5 × 5 × 16 features like ``tf.reshape`` in the
    scratch model (row, column, channel), so the same initial weights give the
    same network.
    """
    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("pooling", pooling, POOLINGS)
    K1, K2, W3, W4, W5 = (keras.initializers.Constant(p) for p in initial_parameters(seed))
    Pooling = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
    first, second = CONV_CHANNELS
    hidden, last_hidden = DENSE_UNITS
    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE[:2]),
            keras.layers.Reshape(IMAGE_SHAPE),
            keras.layers.Conv2D(first, KERNEL_SIZE, padding="same", activation=activation,
                                kernel_initializer=K1),
            Pooling(pool_size=POOL_SIZE, strides=POOL_SIZE),
            keras.layers.Conv2D(second, KERNEL_SIZE, activation=activation,
                                kernel_initializer=K2),
            Pooling(pool_size=POOL_SIZE, strides=POOL_SIZE),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation=activation, kernel_initializer=W3),
            keras.layers.Dense(last_hidden, activation=activation, kernel_initializer=W4),
            keras.layers.Dense(NUM_CLASSES, kernel_initializer=W5),
        ],
        name=f"lenet_{activation}_{pooling}",
    )


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def run(
    impl: str,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    data: Splits | None = None,
    *,
    activation: str = ACTIVATION,
    pooling: str = POOLING,
) -> RunResult:
    """Trains one implementation on Fashion-MNIST and reports its test accuracy.

    Under several replicas the training pipeline drops its last incomplete
    batch (`coursework.data.make_dataset`): a replica left without examples
    would break ``Conv2D``'s gradient.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden); ``data_dir`` a
            folder of Fashion-MNIST's IDX files, or None for tensorflow-datasets.
        strategy: The `MirroredStrategy` to train under.
        data: Optional ``((train_images, train_labels), (test_images,
            test_labels))`` arrays to use instead of Fashion-MNIST.
        activation: "relu" or "sigmoid" (the ``lenet_classic`` lecture's).
        pooling: "max" or "avg" (the ``lenet_classic`` lecture's).

    Returns:
        The history, ``{"test_accuracy", "test_loss"}`` and the trained model.

    Raises:
        ValueError: If `impl`, a hyperparameter or the data is invalid.
        FileNotFoundError: If Fashion-MNIST cannot be found.
    """
    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("pooling", pooling, POOLINGS)
    return run_classifier(
        impl,
        config,
        strategy,
        build_scratch=lambda: LeNetScratch(activation, pooling, seed=config.seed),
        build_concise=lambda: build_concise_model(activation, pooling, seed=config.seed),
        data=data,
    )


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
