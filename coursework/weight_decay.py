"""Lecture: weight decay, and choosing its strength by K-fold cross-validation.

With more parameters than examples, a linear model can fit its training data
exactly in many ways, most of which predict new data badly. **Weight decay**
prefers small weights: it adds to the loss the penalty ``λ ||w||² / 2``, so the
model minimises::

    mean over the examples of (x w + b - y)² / 2   +   λ ||w||² / 2

Its gradient adds ``λ w`` to the loss's, so each SGD step first shrinks w by
the factor ``1 - lr λ`` ("decays" it), then follows the data. The bias is not
penalised: shifting every prediction does not make a model more complex.

The problem is high-dimensional linear regression with 200 inputs and only 20
training examples (100 test examples), true weights 0.01 for every input, true
bias 0.05 and noise 0.01. As in the classic edition of Dive into Deep
Learning, the weights start from N(1, 1), far from the true ones: SGD moves w
only within the 20-dimensional span of the training examples, so without decay
the other 180 directions keep their large initial values and the test loss
stays in the hundreds. With λ = 3 they decay, and the test loss falls by more
than a hundred times. (The current edition starts from small weights, which
hides the effect.)

The two implementations share the data, the initial weights, the objective,
SGD and every hyperparameter:

* **from scratch**: w and b are two `tf.Variable`s, the penalty is written out
  (`l2_penalty`) and added to every example's loss, and the hand-written
  `coursework.scratch.SGD` updates them in the training step of
  `coursework.linear_regression.make_train_step`;
* **concise**: a one-unit ``Dense`` layer whose ``kernel_regularizer`` adds the
  penalty, trained with ``fit``.

Two factors of 2 make the concise version equal to the scratch one. Keras's
``L2(f)`` regularizer adds ``f Σ w²``, without the ½: the concise model uses
**f = λ / 2**. Keras's ``MeanSquaredError`` has no ½ either: both models use
`half_squared_error`, the squared error halved. From the same initial weights
and in the same example order the two then take the same steps and end with
the same weights, to float rounding (the tests pin this). In a normal run each
shuffles its data in its own order, so they agree closely but not exactly.

Finally, λ is a hyperparameter, and choosing it by its test loss would make
the test loss a biased estimate. **K-fold cross-validation** chooses it on the
training set alone: split the 20 examples into K = 4 folds, train on three and
measure the loss on the fourth, four times, and keep the λ of the grid with the
lowest mean validation loss. The run reports the chosen λ's test loss next to
the best test loss of the grid.

It reuses `coursework.linear_regression.synthetic_data` for the data and
`coursework.polynomial_regression.half_squared_error` for the loss. Run it with
``coursework train weight_decay --impl scratch --weight-decay 3`` (or
``python -m coursework.weight_decay`` to train both implementations).
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from coursework.data import make_dataset
from coursework.linear_regression import make_train_step, synthetic_data
from coursework.polynomial_regression import HalfSquaredError, half_squared_error
from coursework.scratch import SGD, parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import set_seed, train_concise, train_scratch

# ---------------------------------------------------------------------------
# Setup: the true parameters, the λ grid and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
NUM_INPUTS = 200
NUM_TRAIN = 20
NUM_TEST = 100
TRUE_W = np.full(NUM_INPUTS, 0.01, dtype=np.float32)
TRUE_B = 0.05
NOISE = 0.01

LAMBDA_GRID = (0.0, 3.0, 10.0, 30.0)
"""The weight-decay strengths K-fold cross-validation chooses from."""
NUM_FOLDS = 4



@dataclasses.dataclass(frozen=True)
class WeightDecayConfig(RunConfig):
    """`RunConfig` plus the weight-decay strength λ (``--weight-decay``)."""

    weight_decay: float = 3.0


DEFAULTS = WeightDecayConfig(epochs=100, learning_rate=0.003, batch_size=5, weight_decay=3.0)


# ---------------------------------------------------------------------------
# Data: y = X w + b + noise with 200 inputs, 20 training and 100 test examples.
# ---------------------------------------------------------------------------
def load_data(seed: int = 0):
    """Draws the training and test sets with `coursework.linear_regression.synthetic_data`.

    Args:
        seed: Seed of the random generator.

    Returns:
        ``((train_features, train_labels), (test_features, test_labels))``,
        float32 arrays of shapes (20, 200), (20, 1), (100, 200) and (100, 1).
    """
    features, labels = synthetic_data(TRUE_W, TRUE_B, NUM_TRAIN + NUM_TEST, NOISE, seed=seed)
    return (
        (features[:NUM_TRAIN], labels[:NUM_TRAIN]),
        (features[NUM_TRAIN:], labels[NUM_TRAIN:]),
    )


# ---------------------------------------------------------------------------
# Model: X w + b, with w starting from N(1, 1) and b from 0.
# ---------------------------------------------------------------------------
def initial_weights(num_inputs: int = NUM_INPUTS, seed: int = 0) -> np.ndarray:
    """Initial weights drawn from N(1, 1), shape (d, 1); both implementations start here."""
    rng = np.random.default_rng([seed, 2])
    return rng.normal(1.0, 1.0, size=(num_inputs, 1)).astype(np.float32)


class LinearModelScratch(tf.Module):
    """The linear model ``X w + b`` with hand-made parameters.

    Args:
        initial_w: The initial weights, shape (d, 1); the bias starts at 0.
    """

    def __init__(self, initial_w: np.ndarray):
        super().__init__()
        self.w = parameter(initial_w, name="w")
        self.b = parameter(tf.zeros((1,)), name="b")

    def __call__(self, features, training=False):
        del training  # the model behaves the same while training
        return tf.matmul(features, self.w) + self.b


def build_concise_model(initial_w: np.ndarray, lambd: float) -> keras.Model:
    """The same model as a ``Dense`` unit whose regularizer adds ``λ ||w||² / 2``.

    ``keras.regularizers.L2(f)`` adds ``f Σ w²`` (no ½), so f = λ / 2.
    """
    return keras.Sequential(
        [
            keras.Input(shape=(initial_w.shape[0],)),
            keras.layers.Dense(
                1,
                kernel_initializer=keras.initializers.Constant(initial_w),
                bias_initializer="zeros",
                kernel_regularizer=keras.regularizers.L2(lambd / 2),
            ),
        ],
        name="weight_decay",
    )


# ---------------------------------------------------------------------------
# Loss, with the penalty: half the squared error plus λ ||w||² / 2.
# ---------------------------------------------------------------------------
def l2_penalty(w) -> tf.Tensor:
    """The penalty ``||w||² / 2``: half the sum of the squared weights."""
    return tf.reduce_sum(tf.square(w)) / 2


def scratch_objective(model: LinearModelScratch, lambd: float):
    """Each example's loss plus the penalty, for `train_scratch`.

    Averaged over a batch this is the batch's mean loss plus ``λ ||w||² / 2``:
    the objective, whose gradient the loop takes. Keras does the same when it
    adds the regularizer's term to the batch's mean loss.

    Args:
        model: The scratch model whose weights are penalised.
        lambd: The weight-decay strength λ.

    Returns:
        ``objective(labels, predictions)``, one value per example.
    """

    def objective(labels, predictions):
        return half_squared_error(labels, predictions) + lambd * l2_penalty(model.w)

    return objective


# ---------------------------------------------------------------------------
# Training: minibatch SGD on the objective, from the same initial weights.
# ---------------------------------------------------------------------------
def train(
    impl: str,
    data,
    lambd: float,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    *,
    test_data=None,
    initial_w: np.ndarray | None = None,
    shuffle: bool = True,
):
    """Trains one implementation with weight decay λ on `data`.

    Args:
        impl: "scratch" or "concise".
        data: ``(features, labels)`` arrays to train on.
        lambd: The weight-decay strength λ, at least 0.
        config: Hyperparameters (epochs, learning rate, global batch size, seed).
        strategy: The `MirroredStrategy` to train under.
        test_data: Optional ``(features, labels)`` evaluated after every epoch.
        initial_w: The initial weights; by default `initial_weights` of the seed.
        shuffle: Whether to reshuffle the examples every epoch; without, both
            implementations see them in the same order and take the same steps.

    Returns:
        The trained model and its history: per epoch the objective ``loss``
        and the ``squared_loss`` without the penalty, with ``val_`` versions
        on `test_data`.

    Raises:
        ValueError: If `impl`, `lambd` or a hyperparameter is invalid.
    """
    check_implementation(impl)
    if not lambd >= 0:
        raise ValueError(f"--weight-decay must be at least 0, got {lambd}.")
    if initial_w is None:
        initial_w = initial_weights(data[0].shape[1], seed=config.seed)
    replicas = strategy.num_replicas_in_sync
    train_data = make_dataset(
        *data, config.batch_size, num_replicas=replicas, training=shuffle, seed=config.seed
    )
    validation = None
    if test_data is not None:
        validation = make_dataset(
            *test_data, config.batch_size, num_replicas=replicas, training=False
        )
    settings = dict(
        make_step=make_train_step,  # the step of coursework/linear_regression.py
        strategy=strategy,
        train_data=train_data,
        validation_data=validation,
        epochs=config.epochs,
        verbose=config.verbose,
    )
    if impl == "scratch":
        with strategy.scope():
            model = LinearModelScratch(initial_w)
        return train_scratch(
            lambda: model,
            make_optimizer=lambda: SGD(config.learning_rate),
            loss=scratch_objective(model, lambd),
            metrics={"squared_loss": half_squared_error},
            **settings,
        )
    return train_concise(
        lambda: build_concise_model(initial_w, lambd),
        make_optimizer=lambda: keras.optimizers.SGD(config.learning_rate),
        loss=HalfSquaredError(),
        metrics=[keras.metrics.MeanMetricWrapper(half_squared_error, name="squared_loss")],
        **settings,
    )


# ---------------------------------------------------------------------------
# Evaluation: the loss without the penalty, and the L2 norm of w.
# ---------------------------------------------------------------------------
def learned_parameters(model) -> tuple[np.ndarray, float]:
    """Reads ``(w, b)``, w of shape (d, 1), off a trained scratch or concise model."""
    if isinstance(model, LinearModelScratch):
        return model.w.numpy(), float(model.b.numpy()[0])
    kernel, bias = model.layers[-1].get_weights()
    return kernel, float(bias[0])


def mean_loss(model, features, labels) -> float:
    """The mean of ``(x w + b - y)² / 2`` over a data set: no penalty."""
    w, b = learned_parameters(model)
    residuals = features.astype(np.float64) @ w.astype(np.float64) + b - labels
    return float(np.mean(np.square(residuals) / 2))


def w_norm(model) -> float:
    """The L2 norm ``||w||`` of the weights (the norm, not the penalty)."""
    return float(np.linalg.norm(learned_parameters(model)[0]))


# ---------------------------------------------------------------------------
# Model selection: choose λ by K-fold cross-validation on the training set.
# ---------------------------------------------------------------------------
def k_fold_split(features, labels, k: int, i: int):
    """Fold `i` of `k`: examples ``[i m, (i+1) m)`` validate, the others train.

    With ``m = n // k``, the ``n - k m`` examples left over always train.

    Returns:
        ``((train_features, train_labels), (valid_features, valid_labels))``.

    Raises:
        ValueError: If k is not in [2, n] or i not in [0, k).
    """
    num_examples = len(features)
    if not 2 <= k <= num_examples or not 0 <= i < k:
        raise ValueError(f"Need 2 <= k <= {num_examples} and 0 <= i < k, got k={k}, i={i}.")
    size = num_examples // k
    valid = np.arange(i * size, (i + 1) * size)
    train = np.setdiff1d(np.arange(num_examples), valid)
    return (features[train], labels[train]), (features[valid], labels[valid])


def cross_validation_loss(impl, data, lambd, k, config, strategy) -> float:
    """The mean validation loss of λ over the k folds of `data`."""
    losses = []
    for fold in range(k):
        train_part, valid_part = k_fold_split(*data, k, fold)
        model, _ = train(impl, train_part, lambd, config.replace(verbose=0), strategy)
        losses.append(mean_loss(model, *valid_part))
    return float(np.mean(losses))


def run(impl: str, config: RunConfig, strategy: tf.distribute.Strategy) -> RunResult:
    """Trains with λ = ``config.weight_decay`` and without, and chooses λ by K-fold.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden).
        strategy: The `MirroredStrategy` to train under.

    Returns:
        The history of the λ run (test loss as ``val_``), the metrics and its
        model. Metrics: ``test_loss``, ``train_loss`` and ``w_norm`` of the λ
        run; ``test_loss_no_decay`` and ``w_norm_no_decay`` of λ = 0 trained
        from the same start; ``chosen_lambda`` (chosen from `LAMBDA_GRID` by
        `NUM_FOLDS`-fold cross-validation on the training set),
        ``chosen_test_loss`` and ``best_test_loss``, the lowest test loss of
        the grid.

    Raises:
        ValueError: If `impl` or a hyperparameter is invalid.
    """
    check_implementation(impl)
    lambd = getattr(config, "weight_decay", DEFAULTS.weight_decay)
    set_seed(config.seed)
    train_set, test_set = load_data(config.seed)
    model, history = train(impl, train_set, lambd, config, strategy, test_data=test_set)
    quiet = config.replace(verbose=0)
    no_decay, _ = train(impl, train_set, 0.0, quiet, strategy)
    test_losses = {}
    for grid_lambda in LAMBDA_GRID:
        grid_model = {lambd: model, 0.0: no_decay}.get(grid_lambda)
        if grid_model is None:
            grid_model, _ = train(impl, train_set, grid_lambda, quiet, strategy)
        test_losses[grid_lambda] = mean_loss(grid_model, *test_set)
    validation_losses = {
        grid_lambda: cross_validation_loss(impl, train_set, grid_lambda, NUM_FOLDS, quiet, strategy)
        for grid_lambda in LAMBDA_GRID
    }
    chosen = min(LAMBDA_GRID, key=validation_losses.get)
    metrics = {
        "test_loss": mean_loss(model, *test_set),
        "train_loss": mean_loss(model, *train_set),
        "w_norm": w_norm(model),
        "test_loss_no_decay": mean_loss(no_decay, *test_set),
        "w_norm_no_decay": w_norm(no_decay),
        "chosen_lambda": float(chosen),
        "chosen_test_loss": test_losses[chosen],
        "best_test_loss": min(test_losses.values()),
    }
    return RunResult(history=history, metrics=metrics, model=model)


if __name__ == "__main__":
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    for implementation in ("scratch", "concise"):
        result = run(implementation, DEFAULTS.replace(verbose=0), strategy)
        figures = ", ".join(f"{name} = {value:.4g}" for name, value in result.metrics.items())
        print(f"{implementation}: {figures}")
