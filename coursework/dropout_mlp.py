"""Lecture: dropout in a multilayer perceptron, from scratch and with Keras.

A network with many parameters can fit its training data better than the
rules behind it: it *overfits*, and its test accuracy falls behind its training
accuracy. **Dropout** (Srivastava et al., 2014) fights this by injecting noise:
while training, each hidden unit is zeroed with probability p, and the units
that survive are scaled by ``1 / (1 - p)``::

    dropout(h) = 0              with probability p
                 h / (1 - p)    otherwise

so that the expected value of every unit stays ``h``. No unit can rely on any
other being present, which discourages the co-adapted, fragile features that
overfit. At test time dropout does nothing: the full network predicts.

The model is an MLP with two hidden layers of 256 ReLU units, dropout 0.2
after the first and 0.5 after the second (the layer nearer the input drops
less)::

    H1 = dropout(relu(X W1 + b1), 0.2)
    H2 = dropout(relu(H1 W2 + b2), 0.5)
    O  = H2 W3 + b3

The two implementations share the data, the loss, the optimizer and every
hyperparameter (see `coursework.classification`):

* **from scratch**: six `tf.Variable`s, ``relu`` and ``dropout`` written out,
  the masks drawn from a seeded `tf.random.Generator`, and the hand-written
  `coursework.scratch.Adam` in the linear-regression lecture's training step
  (`coursework.linear_regression.make_train_step`);
* **concise**: ``Dense`` and ``Dropout`` layers, trained with ``fit``.

Their initial weights are the same but their dropout masks are not, so their
results agree statistically rather than number for number.

Run it with ``coursework train dropout_mlp --impl scratch --plot curves.png``
(or ``python -m coursework.dropout_mlp`` to train both implementations).
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
from coursework.mlp import relu
from coursework.scratch import parameter
from coursework.topics import RunConfig, RunResult

# ---------------------------------------------------------------------------
# Setup: the architecture and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
NUM_HIDDENS = (256, 256)
DROPOUT_RATES = (0.2, 0.5)
"""Dropout probability after the first and after the second hidden layer."""
SIGMA = 0.01
"""Standard deviation of the initial weights."""

DEFAULTS = RunConfig(epochs=10, learning_rate=0.003, batch_size=256)


# ---------------------------------------------------------------------------
# Data: Fashion-MNIST, as in softmax regression (`coursework.fashion_mnist`),
# batched by `coursework.classification.make_pipelines`.
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Model from scratch: dropout written out, then the network that uses it.
# ---------------------------------------------------------------------------
def dropout(inputs, rate: float, generator: tf.random.Generator):
    """Zeroes each entry with probability `rate`, scales the others by 1 / (1 - rate).

    Args:
        inputs: A tensor of activations.
        rate: The probability of dropping an entry, in [0, 1].
        generator: Source of the random mask.

    Returns:
        A tensor like `inputs`, whose expected value is `inputs`.

    Raises:
        ValueError: If `rate` is not in [0, 1].
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"The dropout rate must be in [0, 1], got {rate}.")
    if rate == 0:
        return inputs
    if rate == 1:  # everything is dropped (and 1 / (1 - rate) would divide by 0)
        return tf.zeros_like(inputs)
    keep = generator.uniform(tf.shape(inputs)) >= rate
    return tf.where(keep, inputs / (1.0 - rate), tf.zeros_like(inputs))


class DropoutMLPScratch(tf.Module):
    """784-256-256-10 MLP with dropout after each hidden layer, by hand.

    Args:
        num_hiddens: Units of the two hidden layers.
        dropout_rates: Dropout probabilities after the two hidden layers.
        sigma: Standard deviation of the initial weights; biases start at 0.
        seed: Seed of the initial weights and of the dropout masks.
    """

    def __init__(
        self,
        num_hiddens: tuple[int, int] = NUM_HIDDENS,
        dropout_rates: tuple[float, float] = DROPOUT_RATES,
        sigma: float = SIGMA,
        seed: int = 0,
    ):
        super().__init__()
        first, second = num_hiddens
        self.dropout_rates = dropout_rates
        self.W1 = parameter(initial_weights((NUM_INPUTS, first), sigma, seed, 1), "W1")
        self.b1 = parameter(tf.zeros(first), "b1")
        self.W2 = parameter(initial_weights((first, second), sigma, seed, 2), "W2")
        self.b2 = parameter(tf.zeros(second), "b2")
        self.W3 = parameter(initial_weights((second, NUM_CLASSES), sigma, seed, 3), "W3")
        self.b3 = parameter(tf.zeros(NUM_CLASSES), "b3")
        # Created inside strategy.scope(), the generator gives each replica its
        # own stream, so replicas draw different masks for their examples.
        self.generator = tf.random.Generator.from_seed(seed)

    def __call__(self, images, training=False):
        features = tf.reshape(images, (-1, NUM_INPUTS))
        hidden = relu(tf.matmul(features, self.W1) + self.b1)
        if training:  # dropout only while training
            hidden = dropout(hidden, self.dropout_rates[0], self.generator)
        hidden = relu(tf.matmul(hidden, self.W2) + self.b2)
        if training:
            hidden = dropout(hidden, self.dropout_rates[1], self.generator)
        return tf.matmul(hidden, self.W3) + self.b3


# ---------------------------------------------------------------------------
# Concise model: Dense layers with Dropout layers between them.
# ---------------------------------------------------------------------------
def build_concise_model(
    num_hiddens: tuple[int, int] = NUM_HIDDENS,
    dropout_rates: tuple[float, float] = DROPOUT_RATES,
    sigma: float = SIGMA,
    seed: int = 0,
) -> keras.Model:
    """The same network with Keras layers, initialized like the scratch model.

    ``keras.layers.Dropout`` is active only when the model is called with
    ``training=True``, as ``fit`` does; ``evaluate`` and ``predict`` use the
    full network.
    """
    first, second = num_hiddens
    shapes = [(NUM_INPUTS, first), (first, second), (second, NUM_CLASSES)]
    kernels = [
        keras.initializers.Constant(initial_weights(shape, sigma, seed, layer))
        for layer, shape in enumerate(shapes, start=1)
    ]
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(first, activation="relu", kernel_initializer=kernels[0]),
            keras.layers.Dropout(dropout_rates[0], seed=seed),
            keras.layers.Dense(second, activation="relu", kernel_initializer=kernels[1]),
            keras.layers.Dropout(dropout_rates[1], seed=seed + 1),
            keras.layers.Dense(NUM_CLASSES, kernel_initializer=kernels[2]),
        ],
        name="dropout_mlp",
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
        build_scratch=lambda: DropoutMLPScratch(seed=config.seed),
        build_concise=lambda: build_concise_model(seed=config.seed),
        data=data,
    )


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
