"""Lecture: a multilayer perceptron on Fashion-MNIST, from scratch and with Keras.

Softmax regression draws straight boundaries between the classes: its logits
are linear in the pixels. A **multilayer perceptron** (MLP) puts a *hidden
layer* between input and output::

    H = relu(X W1 + b1)        # 784 pixels -> 256 hidden units
    O = H W2 + b2              # 256 hidden units -> 10 logits

The nonlinearity is what makes the difference: without it the two layers
would collapse into one linear map, ``X (W1 W2) + (b1 W2 + b2)``. With the
rectified linear unit ``relu(z) = max(z, 0)`` the MLP can represent far more
functions, and on Fashion-MNIST it beats softmax regression by about four
points of test accuracy.

The loss is softmax regression's cross-entropy on the logits, and the two
implementations share the data, the optimizer and every hyperparameter (see
`coursework.classification`):

* **from scratch**: four `tf.Variable`s, ``relu`` written out, and the
  hand-written `coursework.scratch.Adam` in the linear-regression lecture's
  training step (`coursework.linear_regression.make_train_step`);
* **concise**: ``Flatten``, ``Dense(256, activation="relu")`` and
  ``Dense(10)``, trained with ``fit``.

The assignment that goes with this lecture, ``assignments/mlp.py``
(``autograder start mlp``), has you write ``relu``, the forward pass and
dropout by hand; the dropout lecture is `coursework.dropout_mlp`.

Run it with ``coursework train mlp --impl scratch --plot curves.png`` (or
``python -m coursework.mlp`` to train both implementations).
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
# Setup: the architecture and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
NUM_HIDDENS = 256
SIGMA = 0.01
"""Standard deviation of the initial weights."""

DEFAULTS = RunConfig(epochs=10, learning_rate=0.003, batch_size=256)


# ---------------------------------------------------------------------------
# Data: Fashion-MNIST, as in softmax regression (`coursework.fashion_mnist`),
# batched by `coursework.classification.make_pipelines`.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Model from scratch: two layers of parameters and a ReLU between them.
# ---------------------------------------------------------------------------
def relu(inputs):
    """The rectified linear unit ``max(x, 0)``, element-wise.

    Its gradient is 1 where the input is positive and 0 elsewhere: gradients
    pass through active units unchanged, which keeps deep networks trainable.
    """
    return tf.maximum(inputs, tf.zeros_like(inputs))


class MLPScratch(tf.Module):
    """784-256-10 MLP with a ReLU hidden layer and hand-made parameters.

    Args:
        num_hiddens: Units of the hidden layer.
        sigma: Standard deviation of the initial weights; biases start at 0.
        seed: Seed of the initial weights.
    """

    def __init__(self, num_hiddens: int = NUM_HIDDENS, sigma: float = SIGMA, seed: int = 0):
        super().__init__()
        self.W1 = parameter(initial_weights((NUM_INPUTS, num_hiddens), sigma, seed, 1), "W1")
        self.b1 = parameter(tf.zeros(num_hiddens), "b1")
        self.W2 = parameter(initial_weights((num_hiddens, NUM_CLASSES), sigma, seed, 2), "W2")
        self.b2 = parameter(tf.zeros(NUM_CLASSES), "b2")

    def __call__(self, images, training=False):
        del training  # no layer behaves differently while training
        features = tf.reshape(images, (-1, NUM_INPUTS))
        hidden = relu(tf.matmul(features, self.W1) + self.b1)
        return tf.matmul(hidden, self.W2) + self.b2


# ---------------------------------------------------------------------------
# Concise model: Flatten, a ReLU Dense layer, a Dense layer of logits.
# ---------------------------------------------------------------------------
def build_concise_model(
    num_hiddens: int = NUM_HIDDENS, sigma: float = SIGMA, seed: int = 0
) -> keras.Model:
    """The same MLP with Keras layers, initialized like the scratch model."""
    first = initial_weights((NUM_INPUTS, num_hiddens), sigma, seed, 1)
    second = initial_weights((num_hiddens, NUM_CLASSES), sigma, seed, 2)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                num_hiddens,
                activation="relu",
                kernel_initializer=keras.initializers.Constant(first),
            ),
            keras.layers.Dense(
                NUM_CLASSES, kernel_initializer=keras.initializers.Constant(second)
            ),
        ],
        name="mlp",
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
        build_scratch=lambda: MLPScratch(seed=config.seed),
        build_concise=lambda: build_concise_model(seed=config.seed),
        data=data,
    )


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
