"""Lecture: softmax regression on Fashion-MNIST, from scratch and with Keras.

Softmax regression is linear regression made into a classifier. For each image,
flattened into a row ``x`` of 784 pixels, a linear layer computes one score per
class, the *logits* ``o = x W + b`` (``W`` is 784×10, ``b`` has 10 entries), and
the **softmax** turns the logits into a probability distribution over the 10
classes::

    softmax(o)_j = exp(o_j) / sum_k exp(o_k)

The model predicts the most probable class, which is simply the one with the
largest logit. Training minimizes the **cross-entropy** ``-log softmax(o)_y``
of the true class y: the fewer bits of surprise, the better.

The lecture has two implementations that share the data, the loss, the
optimizer and every hyperparameter (see `coursework.classification`):

* **from scratch**: ``W`` and ``b`` are two `tf.Variable`s, the forward pass is
  one matrix product, and the hand-written `coursework.scratch.Adam` updates
  them in the training step of the linear-regression lecture
  (`coursework.linear_regression.make_train_step`);
* **concise**: ``Flatten`` and a 10-unit ``Dense`` layer, trained with ``fit``.

Both report ``test_accuracy`` on Fashion-MNIST's 10,000 test images; a linear
model reaches about 84–85 %.

The assignment that goes with this lecture, ``assignments/softmax_regression.py``
(``autograder start softmax_regression``), has you write ``softmax``,
``cross_entropy(y_hat, y)`` on probabilities, ``accuracy`` and the model; this
lecture's `softmax` and `cross_entropy` have the same names and argument order.
Training itself uses the fused, stable
`coursework.classification.softmax_cross_entropy(labels, logits)`.

Run it with ``coursework train softmax_regression --impl scratch --plot curves.png``
(or ``python -m coursework.softmax_regression`` to train both implementations).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from coursework.classification import (
    NUM_CLASSES,
    NUM_INPUTS,
    Splits,
    initial_weights,
    run_classifier,
)
from coursework.scratch import parameter
from coursework.topics import RunConfig, RunResult

# ---------------------------------------------------------------------------
# Setup: the lecture's hyperparameters.
# ---------------------------------------------------------------------------
DEFAULTS = RunConfig(epochs=10, learning_rate=0.01, batch_size=256)
SIGMA = 0.01
"""Standard deviation of the initial weights."""


# ---------------------------------------------------------------------------
# Data: Fashion-MNIST, 60,000 training and 10,000 test images of 28×28 pixels
# in [0, 1], labels 0–9 (see `coursework.fashion_mnist`). The shared
# `coursework.classification.make_pipelines` batches them.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Model from scratch: the logits X W + b, the softmax and its cross-entropy.
# ---------------------------------------------------------------------------
def softmax(logits):
    """Row-wise softmax ``exp(o_j) / sum_k exp(o_k)``, computed stably.

    ``exp`` overflows float32 above about 88, and ``inf / inf`` is ``nan``.
    Subtracting the same number from every logit of a row does not change the
    result (the factor ``exp(-c)`` cancels), so we subtract the row's largest
    logit: every exponent is then at most 0.

    The model itself outputs logits; training never needs the probabilities,
    because the loss `coursework.classification.softmax_cross_entropy` combines the
    softmax and the logarithm into one stable expression. This function is for
    reading predictions as probabilities.

    Args:
        logits: Scores, shape (batch, classes).

    Returns:
        Probabilities of the same shape, each row positive and summing to 1.
    """
    exponentials = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))
    return exponentials / tf.reduce_sum(exponentials, axis=-1, keepdims=True)


def cross_entropy(y_hat, y):
    """Per-example cross-entropy ``-log y_hat[i, y[i]]`` of *probabilities*, shape (batch,).

    The assignment's ``cross_entropy(y_hat, y)``: the same name and argument
    order. Taking the log of a probability that rounded to 0 gives ``inf``, so
    training uses `coursework.classification.softmax_cross_entropy`, which
    equals ``cross_entropy(softmax(logits), labels)`` but works on the logits.

    Args:
        y_hat: Predicted probabilities, shape (batch, classes).
        y: True class indices, shape (batch,).

    Returns:
        The loss of each example.
    """
    y = tf.reshape(tf.cast(y, tf.int32), [-1])
    return -tf.math.log(tf.gather(y_hat, y, axis=-1, batch_dims=1))


class SoftmaxRegressionScratch(tf.Module):
    """The linear classifier ``logits = flatten(X) W + b`` with hand-made parameters.

    Args:
        sigma: Standard deviation of the initial weights; the bias starts at 0.
        seed: Seed of the initial weights.
    """

    def __init__(self, sigma: float = SIGMA, seed: int = 0):
        super().__init__()
        self.W = parameter(initial_weights((NUM_INPUTS, NUM_CLASSES), sigma, seed, 1), "W")
        self.b = parameter(tf.zeros(NUM_CLASSES), "b")

    def __call__(self, images, training=False):
        del training  # the model behaves the same while training
        features = tf.reshape(images, (-1, NUM_INPUTS))  # each image as a row of pixels
        return tf.matmul(features, self.W) + self.b


# ---------------------------------------------------------------------------
# Concise model: Flatten and one Dense layer.
# ---------------------------------------------------------------------------
def build_concise_model(sigma: float = SIGMA, seed: int = 0) -> keras.Model:
    """Softmax regression with Keras layers, initialized like the scratch model.

    The last layer has no activation: it outputs logits, and the loss
    ``SparseCategoricalCrossentropy(from_logits=True)`` applies the softmax
    inside its stable formula.
    """
    weights = initial_weights((NUM_INPUTS, NUM_CLASSES), sigma, seed, 1)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                NUM_CLASSES,
                kernel_initializer=keras.initializers.Constant(weights),
                bias_initializer="zeros",
            ),
        ],
        name="softmax_regression",
    )


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def run(
    impl: str,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    data: Splits | None = None,
) -> RunResult:
    """Trains one implementation on Fashion-MNIST and reports its test accuracy.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden); ``data_dir`` a
            folder of Fashion-MNIST's IDX files, or None for tensorflow-datasets.
        strategy: The `MirroredStrategy` to train under.
        data: Optional ``((train_images, train_labels), (test_images,
            test_labels))`` arrays to use instead of Fashion-MNIST.

    Returns:
        The history, ``{"test_accuracy", "test_loss"}`` and the trained model.

    Raises:
        ValueError: If `impl`, a hyperparameter or the data is invalid.
        FileNotFoundError: If Fashion-MNIST cannot be found.
    """
    return run_classifier(
        impl,
        config,
        strategy,
        build_scratch=lambda: SoftmaxRegressionScratch(seed=config.seed),
        build_concise=lambda: build_concise_model(seed=config.seed),
        data=data,
    )


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
