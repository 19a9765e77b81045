"""What the Fashion-MNIST classification lectures share.

The softmax-regression, MLP and dropout-MLP lectures differ only in their
models. Everything else is the same for the three, and lives here:

* the **data**: Fashion-MNIST's training split in a shuffled pipeline, its
  official test split in an ordered one (`make_pipelines`);
* the **loss**: the per-example cross-entropy computed from logits
  (`softmax_cross_entropy`), and the **metric**: whether each prediction is right
  (`correct`), averaged into the accuracy;
* the **optimizer**: Adam whose learning rate falls along a cosine to 0 over
  the run, the hand-written `coursework.scratch.Adam` for the scratch models and
  ``keras.optimizers.Adam`` with the same settings for the Keras ones;
* the **run**: train the scratch model with the linear-regression lecture's
  training step (`coursework.linear_regression.make_train_step`) or the
  concise one with ``fit``, evaluating it on the
  test split after every epoch (the validation curves ``val_loss`` and
  ``val_accuracy``), then report its ``test_accuracy`` (`run_classifier`).

Both implementations of a lecture see the same examples in the same order,
start from the same initial weights (`initial_weights`) and take their steps
with the same optimizer, so their accuracies can be compared number for number.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from coursework import fashion_mnist
from coursework.data import make_dataset
from coursework.linear_regression import make_train_step
from coursework.scratch import Adam, cosine_decay
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import make_evaluator, set_seed, train_concise, train_scratch

NUM_INPUTS = 28 * 28
NUM_CLASSES = fashion_mnist.NUM_CLASSES

Splits = tuple[fashion_mnist.Split, fashion_mnist.Split]
"""``((train_images, train_labels), (test_images, test_labels))``."""


# ---------------------------------------------------------------------------
# Data: the training split shuffled, the test split in order.
# ---------------------------------------------------------------------------
def load_splits(config: RunConfig, data: Splits | None = None) -> Splits:
    """The data a run trains and evaluates on.

    Args:
        config: The run's settings; ``config.data_dir`` is a folder of IDX
            files, or None for tensorflow-datasets.
        data: Arrays to use instead of Fashion-MNIST (a small subset in tests).

    Returns:
        ``((train_images, train_labels), (test_images, test_labels))``.

    Raises:
        FileNotFoundError: If Fashion-MNIST cannot be found.
        ValueError: If `data` is malformed or a data file is corrupt.
    """
    if data is None:
        return fashion_mnist.load_data(config.data_dir)
    try:
        (train_images, train_labels), (test_images, test_labels) = data
    except (TypeError, ValueError) as error:
        raise ValueError(
            "data must be ((train_images, train_labels), (test_images, test_labels))."
        ) from error
    for name, images in (("training", train_images), ("test", test_images)):
        if np.shape(images)[1:] != fashion_mnist.IMAGE_SHAPE:
            raise ValueError(
                f"The {name} images have shape {np.shape(images)}; expected (n, 28, 28)."
            )
    return (
        (np.asarray(train_images, np.float32), np.asarray(train_labels, np.int32)),
        (np.asarray(test_images, np.float32), np.asarray(test_labels, np.int32)),
    )


def make_pipelines(
    splits: Splits, config: RunConfig, num_replicas: int
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Batches the training split (shuffled every epoch) and the test split (in order).

    Args:
        splits: The arrays from `load_splits`.
        config: Supplies the global batch size and the shuffling seed.
        num_replicas: Replicas the batches are split between.

    Returns:
        ``(train_data, test_data)`` datasets of ``(images, labels)`` batches.
    """
    (train_images, train_labels), (test_images, test_labels) = splits
    train_data = make_dataset(
        train_images, train_labels, config.batch_size, num_replicas=num_replicas, seed=config.seed
    )
    test_data = make_dataset(
        test_images, test_labels, config.batch_size, num_replicas=num_replicas, training=False
    )
    return train_data, test_data


# ---------------------------------------------------------------------------
# Loss and metric, per example.
# ---------------------------------------------------------------------------
def softmax_cross_entropy(labels, logits):
    """Per-example cross-entropy loss ``-log softmax(logits)[label]``, shape (batch,).

    It takes *logits* and TensorFlow's argument order (labels first, as
    ``tf.nn.sparse_softmax_cross_entropy_with_logits`` and the training loop's
    ``loss(labels, predictions)``). The assignment's ``cross_entropy(y_hat, y)``
    takes *probabilities* first; the softmax-regression lecture defines it too
    (`coursework.softmax_regression.cross_entropy`) and shows that
    ``softmax_cross_entropy(y, o) == cross_entropy(softmax(o), y)``.

    Taking the log of the softmax's probabilities fails when one rounds to 0
    (``log 0 = -inf``). Written with logits the loss needs no probability::

        -log softmax(o)_y = -o_y + log sum_k exp(o_k)
                          = -(o_y - c) + log sum_k exp(o_k - c)

    for any c; with c the largest logit no ``exp`` overflows and the sum is at
    least 1, so its log is finite. Keras's
    ``SparseCategoricalCrossentropy(from_logits=True)`` computes the same.

    Args:
        labels: Class indices, shape (batch,), any integer type.
        logits: Unnormalized scores, shape (batch, classes).

    Returns:
        The loss of each example, float32, shape (batch,).
    """
    logits = tf.convert_to_tensor(logits)
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
    log_normalizer = tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=-1))
    label_logit = tf.gather(shifted, labels, axis=-1, batch_dims=1)
    return log_normalizer - label_logit


cross_entropy = softmax_cross_entropy
"""The former name of `softmax_cross_entropy`, kept for lectures written on top of it."""


def correct(labels, logits):
    """1.0 where the highest logit is the label's, else 0.0; shape (batch,).

    Its mean over a data set is the accuracy.

    Args:
        labels: Class indices, shape (batch,).
        logits: Scores, shape (batch, classes).

    Returns:
        float32 tensor of shape (batch,).
    """
    predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    return tf.cast(tf.equal(predictions, labels), tf.float32)


METRICS = {"accuracy": correct}


# ---------------------------------------------------------------------------
# Initial weights, the same for both implementations.
# ---------------------------------------------------------------------------
def initial_weights(shape: tuple[int, ...], sigma: float, seed: int, layer: int) -> np.ndarray:
    """Weights drawn from N(0, sigma²), reproducible per seed and layer.

    Args:
        shape: The weight matrix's shape, e.g. (784, 256).
        sigma: Standard deviation, positive.
        seed: The run's seed.
        layer: Index of the layer, so that layers of equal shape differ.

    Returns:
        A float32 array of shape `shape`.
    """
    rng = np.random.default_rng([seed, layer])
    return rng.normal(0.0, sigma, size=shape).astype(np.float32)


# ---------------------------------------------------------------------------
# Optimizers: Adam with a cosine-decaying learning rate, by hand and by Keras.
# ---------------------------------------------------------------------------
def scratch_optimizer(config: RunConfig, steps_per_epoch: int) -> Adam:
    """The hand-written Adam, its learning rate decaying to 0 over the run."""
    return Adam(cosine_decay(config.learning_rate, config.epochs * steps_per_epoch))


def concise_optimizer(config: RunConfig, steps_per_epoch: int) -> keras.optimizers.Adam:
    """Keras's Adam with exactly the settings of `scratch_optimizer`."""
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=config.epochs * steps_per_epoch
    )
    return keras.optimizers.Adam(schedule)


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def run_classifier(
    impl: str,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    *,
    build_scratch: Callable[[], tf.Module],
    build_concise: Callable[[], keras.Model],
    data: Splits | None = None,
) -> RunResult:
    """Trains one implementation of a lecture's classifier and evaluates it.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters and settings.
        strategy: The `MirroredStrategy` to train under.
        build_scratch: Returns the from-scratch model (called inside the scope).
        build_concise: Returns the uncompiled Keras model (called inside the scope).
        data: Arrays to use instead of Fashion-MNIST (see `load_splits`).

    Returns:
        The history (with ``val_loss`` and ``val_accuracy`` on the test split
        every epoch), ``{"test_accuracy", "test_loss"}`` and the trained model.

    Raises:
        ValueError: If `impl`, a hyperparameter or the data is invalid.
        FileNotFoundError: If Fashion-MNIST cannot be found.
    """
    check_implementation(impl)
    if config.learning_rate <= 0:
        raise ValueError(f"--lr must be positive, got {config.learning_rate}.")
    set_seed(config.seed)
    splits = load_splits(config, data)
    train_data, test_data = make_pipelines(splits, config, strategy.num_replicas_in_sync)
    steps_per_epoch = int(train_data.cardinality())
    if steps_per_epoch < 1:
        raise ValueError(
            f"The training split ({len(splits[0][1])} examples) has no complete batch of "
            f"{config.batch_size}; use a smaller --batch-size."
        )
    common = {
        "make_step": make_train_step,  # the step of coursework/linear_regression.py
        "strategy": strategy,
        "train_data": train_data,
        "epochs": config.epochs,
        "validation_data": test_data,
        "verbose": config.verbose,
    }
    if impl == "scratch":
        model, history = train_scratch(
            build_scratch,
            make_optimizer=lambda: scratch_optimizer(config, steps_per_epoch),
            loss=softmax_cross_entropy,
            metrics=METRICS,
            **common,
        )
    else:
        model, history = train_concise(
            build_concise,
            make_optimizer=lambda: concise_optimizer(config, steps_per_epoch),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
            **common,
        )
    test = make_evaluator(model, softmax_cross_entropy, METRICS)(test_data)
    metrics = {"test_accuracy": test["accuracy"], "test_loss": test["loss"]}
    return RunResult(history=history, metrics=metrics, model=model)


def train_both_implementations(run: Callable[..., RunResult], defaults: RunConfig) -> None:
    """Trains a lecture's scratch and concise models and prints their test accuracy.

    What a lecture does when run as a script (``python -m coursework.mlp``).

    Args:
        run: The lecture's ``run(impl, config, strategy)``.
        defaults: The lecture's hyperparameters.
    """
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    for implementation in ("scratch", "concise"):
        result = run(implementation, defaults.replace(verbose=2), strategy)
        print(f"{implementation}: test accuracy {result.metrics['test_accuracy']:.4f}")
