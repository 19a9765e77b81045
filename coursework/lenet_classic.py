"""Lecture: the classic LeNet, with sigmoid activations and average pooling.

LeNet-5 as LeCun and colleagues published it in 1998 predates the ReLU and
max pooling of the ``lenet`` lecture: its hidden layers squash their inputs
with a sigmoid, and its pooling layers average each 2 × 2 window. The layers
and their sizes are otherwise the same (61,706 parameters on 28 × 28 images).

Why did both choices fall out of use?

* The **sigmoid** ``1 / (1 + exp(-z))`` saturates: for large ``|z|`` its
  gradient ``sigmoid(z) (1 - sigmoid(z))`` is nearly 0, and it is at most 1/4
  even at ``z = 0``. Through five layers the gradient reaching the first
  kernels shrinks by that factor at every layer, so early layers learn slowly;
  with plain SGD the network can sit at chance accuracy for epochs, as in Dive
  into Deep Learning's TensorFlow runs (0.726 after 10 epochs in the current
  edition, 0.812 in the classic one).
* **Average pooling** blurs: a strong response in one pixel of a window is
  diluted by its three neighbours, where max pooling passes it on unchanged.

Two things make the classic network train well anyway: Glorot (Xavier)
initialization, which sizes every layer's initial weights so that signals
neither explode nor vanish on the way through (`coursework.lenet.glorot_sigma`),
and Adam, which scales each parameter's step by its own gradient history, so
the small gradients of the first layers still move them. The rest is the
``lenet`` lecture's: the same data, loss, initial weights and training loop,
from scratch with ``tf.nn.conv2d`` and ``tf.nn.avg_pool2d`` and concise with
``Conv2D`` and ``AveragePooling2D`` layers.

Run it with ``coursework train lenet_classic --impl scratch --plot curves.png``
(or ``python -m coursework.lenet_classic`` to train both implementations).
"""

from __future__ import annotations

import tensorflow as tf

from coursework import lenet
from coursework.classification import Splits
from coursework.topics import RunConfig, RunResult

# ---------------------------------------------------------------------------
# Setup: the classic choices and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
ACTIVATION = "sigmoid"
POOLING = "avg"

DEFAULTS = RunConfig(epochs=10, learning_rate=0.01, batch_size=128)
"""A larger initial learning rate than the modern LeNet's: sigmoid layers pass
on smaller gradients."""


# ---------------------------------------------------------------------------
# Model: the lenet lecture's, from scratch (`coursework.lenet.LeNetScratch`)
# and concise (`coursework.lenet.build_concise_model`), with the classic
# activation and pooling.
# ---------------------------------------------------------------------------
def build_scratch_model(seed: int = 0) -> lenet.LeNetScratch:
    """The from-scratch classic LeNet: sigmoid, ``tf.nn.avg_pool2d``."""
    return lenet.LeNetScratch(ACTIVATION, POOLING, seed=seed)


def build_concise_model(seed: int = 0):
    """The Keras classic LeNet: ``Conv2D(activation="sigmoid")``, ``AveragePooling2D``."""
    return lenet.build_concise_model(ACTIVATION, POOLING, seed=seed)


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
    return lenet.run(impl, config, strategy, data, activation=ACTIVATION, pooling=POOLING)


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
