"""Lecture: linear regression, from scratch and with Keras.

We fit a linear model ``y = X w + b`` to synthetic data whose true parameters we
know, so that we can see how close training gets to them. The lecture has two
implementations that share the data and every hyperparameter:

* **from scratch**: the parameters are two `tf.Variable`s, the loss is written
  by hand, and a hand-written minibatch SGD updates them in the training step
  written out below (`make_train_step`: the gradient tape, the loss averaged
  over the global batch, the gradients, the update, run on every replica),
  which the loop of `coursework.training.train_scratch` repeats for each batch
  of each epoch. Every later lecture trains its scratch model with this step;
* **concise**: a one-unit `keras.layers.Dense`, the same squared loss as a
  Keras loss (`SquaredLoss`) and Keras's SGD optimizer, trained with ``fit``
  (`coursework.training.train_concise`).

Both train under a `tf.distribute.MirroredStrategy`; with the same seed and the
same global batch size they take the same steps whatever the number of
replicas, so their results can be compared number for number.

The assignment that goes with this lecture, ``assignments/linear_regression.py``
(``autograder start linear_regression``), has you write the same pieces by
hand: ``linreg(X, w, b)``, ``squared_loss(y_hat, y)`` with its factor ½, and an
SGD step. This lecture uses the same names, argument order and factors, so
what you write there is what trains here.

Run it with ``coursework train linear_regression --impl scratch`` (or
``python -m coursework.linear_regression`` to train both implementations).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from coursework.data import make_dataset
from coursework.scratch import SGD, parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import set_seed, train_concise, train_scratch

# ---------------------------------------------------------------------------
# Setup: the true parameters and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
TRUE_W = np.array([2.0, -3.4], dtype=np.float32)
TRUE_B = 4.2
NUM_EXAMPLES = 1000
NOISE = 0.01

DEFAULTS = RunConfig(epochs=3, learning_rate=0.06, batch_size=10)
"""With `squared_loss`'s ½, a step of 0.06 is the step of 0.03 on the plain squared error."""


# ---------------------------------------------------------------------------
# Data: y = X w + b + noise, with X drawn from a standard normal distribution.
# ---------------------------------------------------------------------------
def synthetic_data(w, b, num_examples, noise=NOISE, seed=0):
    """Generates a linear-regression data set with known parameters.

    Args:
        w: True weights, shape (d,).
        b: True bias, a scalar.
        num_examples: Number of examples n.
        noise: Standard deviation of the Gaussian noise added to the targets.
        seed: Seed of the random generator, so the data set can be recreated.

    Returns:
        ``(features, labels)``: float32 arrays of shapes (n, d) and (n, 1).
    """
    rng = np.random.default_rng(seed)
    w = np.asarray(w, dtype=np.float32).reshape(-1, 1)
    features = rng.normal(0.0, 1.0, size=(num_examples, len(w))).astype(np.float32)
    labels = features @ w + b + rng.normal(0.0, noise, size=(num_examples, 1))
    return features, labels.astype(np.float32)


def initial_weights(num_inputs: int, sigma: float = 0.01, seed: int = 0) -> np.ndarray:
    """Initial weights drawn from N(0, sigma²), shape (d, 1); the bias starts at 0.

    Both implementations start from these same values.
    """
    rng = np.random.default_rng([seed, 1])
    return rng.normal(0.0, sigma, size=(num_inputs, 1)).astype(np.float32)


# ---------------------------------------------------------------------------
# Model from scratch: two parameters, a forward pass and a loss, by hand.
# ---------------------------------------------------------------------------
class LinearRegressionScratch(tf.Module):
    """The linear model ``X w + b`` with hand-made parameters.

    Args:
        num_inputs: Number of input features d.
        seed: Seed of the initial weights (see `initial_weights`).
    """

    def __init__(self, num_inputs: int, seed: int = 0):
        super().__init__()
        self.w = parameter(initial_weights(num_inputs, seed=seed), name="w")
        self.b = parameter(tf.zeros((1,)), name="b")

    def __call__(self, features, training=False):
        del training  # the model behaves the same while training
        return tf.matmul(features, self.w) + self.b


def squared_loss(y_hat, y):
    """Per-example squared loss ``(y_hat - y)**2 / 2``, shape (batch,).

    The assignment's ``squared_loss(y_hat, y)``: the same argument order and the
    same ½, which makes the gradient ``y_hat - y``. `y` is reshaped to the
    shape of `y_hat`; one value per example (the last axis has one entry).
    """
    y = tf.reshape(y, tf.shape(y_hat))
    return tf.reduce_sum(tf.square(y_hat - y) / 2, axis=-1)


def scratch_loss(labels, predictions):
    """`squared_loss` in the training loop's order, ``loss(labels, predictions)``."""
    return squared_loss(predictions, labels)


def squared_error(labels, predictions):
    """Per-example squared error ``(prediction - label)**2`` without the ½, shape (batch,).

    Kept for lectures written on top of it; this lecture trains with
    `squared_loss`. Keras's `MeanSquaredError` averages exactly this.
    """
    return tf.reduce_mean(tf.square(predictions - tf.reshape(labels, tf.shape(predictions))), -1)


class SquaredLoss(keras.losses.Loss):
    """`squared_loss` as a Keras loss for ``compile``: Keras averages it over the batch.

    Keras's own `MeanSquaredError` has no ½; with it the concise model would
    take steps twice as large as the scratch one.
    """

    def __init__(self, name="squared_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return squared_loss(y_pred, y_true)


# ---------------------------------------------------------------------------
# Training step from scratch: the tape, the loss, the gradients and the update, on every replica.
# ---------------------------------------------------------------------------
def make_train_step(model, optimizer, *, strategy, loss, metrics=None, regularization=None):
    """Builds one step of minibatch training, run on every replica of `strategy`.

    This is the heart of every from-scratch training in the course: the later
    lectures pass this function to `coursework.training.train_scratch`, whose
    loop around it runs the epochs, shows progress, evaluates and checkpoints.

    On each replica, the step

    1. records the forward pass on a `tf.GradientTape`: the predictions and one
       loss value per example;
    2. averages those over the *global* batch, not the replica's share of it
       (``tf.nn.compute_average_loss``), and adds this replica's share of the
       penalty, if any (``tf.nn.scale_regularization_loss``);
    3. takes the gradients of that loss with respect to the model's variables;
    4. lets the optimizer update the variables. Under a `MirroredStrategy`
       ``apply_gradients`` first adds up the replicas' gradients, so every copy
       of the model takes the step of the global batch's mean loss, whatever
       the number of replicas.

    ``strategy.run`` runs that on every replica with its part of the batch, and
    ``strategy.reduce`` adds up the replicas' sums of the loss and metrics,
    which the loop divides by the number of examples at the end of the epoch.

    Args:
        model: The model, built inside ``strategy.scope()``: a callable
            ``model(features, training=True)`` with ``trainable_variables``.
        optimizer: The optimizer, built for the model's variables inside the
            scope (`coursework.scratch.SGD` here, any ``apply_gradients``).
        strategy: The distribution strategy the model lives under.
        loss: Per-example loss ``loss(labels, predictions)``, shape ``(batch,)``
            (`scratch_loss` in this lecture).
        metrics: Per-example metrics by name, summed like the loss.
        regularization: Optional ``fn(model)`` returning a scalar penalty added
            to the loss once per step.

    Returns:
        The compiled ``train_step(iterator, totals)``: it trains on the
        iterator's next global batch and returns `totals` plus that batch's
        sums of ``"loss"``, of each metric and of ``"count"`` (examples).
    """
    metrics = dict(metrics or {})

    def replica_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            per_example = loss(labels, predictions)
            # Divided by this replica's examples times the number of replicas:
            # the global batch, since every replica gets an equal share of it.
            step_loss = tf.nn.compute_average_loss(per_example)
            if regularization is not None:
                step_loss += tf.nn.scale_regularization_loss(regularization(model))
        variables = model.trainable_variables
        gradients = tape.gradient(step_loss, variables)
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
        sums = {"loss": tf.reduce_sum(per_example)}
        sums.update({name: tf.reduce_sum(fn(labels, predictions)) for name, fn in metrics.items()})
        sums["count"] = tf.cast(tf.shape(per_example)[0], tf.float32)
        return sums

    @tf.function
    def train_step(iterator, totals):
        # Taking the batch inside the compiled step, as Keras's fit does, saves
        # the Python work of fetching it, and accumulating the sums in the
        # graph keeps them on the device: no step waits for the previous one.
        features, labels = next(iterator)
        per_replica = strategy.run(replica_step, args=(features, labels))
        return {
            name: totals[name] + strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
            for name, value in per_replica.items()
        }

    return train_step


def show_training_step():
    """One step on a batch of 100 examples: the batch's loss, then the parameters it moved."""
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    features, labels = synthetic_data(TRUE_W, TRUE_B, num_examples=100)
    with strategy.scope():
        model = LinearRegressionScratch(len(TRUE_W))
        optimizer = SGD(DEFAULTS.learning_rate)
        optimizer.build(model.trainable_variables)
    w_before, b_before = model.w.numpy().ravel(), float(model.b.numpy()[0])
    train_step = make_train_step(model, optimizer, strategy=strategy, loss=scratch_loss)
    batch = tf.data.Dataset.from_tensor_slices((features, labels)).batch(100)
    iterator = iter(strategy.experimental_distribute_dataset(batch))
    totals = train_step(iterator, {"loss": tf.constant(0.0), "count": tf.constant(0.0)})
    before = float(totals["loss"] / totals["count"])
    after = float(tf.reduce_mean(scratch_loss(labels, model(features))))
    print(f"{int(totals['count'])} examples on {strategy.num_replicas_in_sync} replica(s)")
    print(f"mean loss before the step {before:.4f}, after {after:.4f}")
    w_after, b_after = model.w.numpy().ravel(), float(model.b.numpy()[0])
    print(f"w moved from {w_before.round(4)} to {w_after.round(4)} (true {TRUE_W})")
    print(f"b moved from {b_before:.4f} to {b_after:.4f} (true {TRUE_B})")


# ---------------------------------------------------------------------------
# Concise model: one Dense unit, Keras's loss and optimizer.
# ---------------------------------------------------------------------------
def build_concise_model(num_inputs: int, seed: int = 0) -> keras.Model:
    """A linear model as a single `Dense` unit, initialized like the scratch one."""
    return keras.Sequential(
        [
            keras.Input(shape=(num_inputs,)),
            keras.layers.Dense(
                1,
                kernel_initializer=keras.initializers.Constant(
                    initial_weights(num_inputs, seed=seed)
                ),
                bias_initializer="zeros",
            ),
        ],
        name="linear_regression",
    )


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def learned_parameters(model) -> tuple[np.ndarray, float]:
    """Reads ``(w, b)`` off a trained scratch or concise model."""
    if isinstance(model, LinearRegressionScratch):
        return model.w.numpy().reshape(-1), float(model.b.numpy()[0])
    kernel, bias = model.layers[-1].get_weights()
    return kernel.reshape(-1), float(bias[0])


def parameter_errors(w, b) -> dict[str, float]:
    """The headline figures: largest absolute error of w, absolute error of b."""
    return {
        "w_error": float(np.max(np.abs(np.asarray(w) - TRUE_W))),
        "b_error": float(abs(b - TRUE_B)),
    }


def run(impl: str, config: RunConfig, strategy: tf.distribute.Strategy) -> RunResult:
    """Trains one implementation on the synthetic data.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden).
        strategy: The `MirroredStrategy` to train under.

    Returns:
        The history, ``{"w_error", "b_error"}`` and the trained model.

    Raises:
        ValueError: If `impl` or a hyperparameter is invalid.
    """
    check_implementation(impl)
    set_seed(config.seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, NUM_EXAMPLES, seed=config.seed)
    train_data = make_dataset(
        features,
        labels,
        config.batch_size,
        num_replicas=strategy.num_replicas_in_sync,
        seed=config.seed,
    )
    num_inputs = features.shape[1]
    if impl == "scratch":
        model, history = train_scratch(
            lambda: LinearRegressionScratch(num_inputs, seed=config.seed),
            strategy=strategy,
            train_data=train_data,
            epochs=config.epochs,
            make_step=make_train_step,
            make_optimizer=lambda: SGD(config.learning_rate),
            loss=scratch_loss,
            verbose=config.verbose,
        )
    else:
        model, history = train_concise(
            lambda: build_concise_model(num_inputs, seed=config.seed),
            strategy=strategy,
            train_data=train_data,
            epochs=config.epochs,
            make_step=make_train_step,  # only under several workers, where fit cannot run
            make_optimizer=lambda: keras.optimizers.SGD(config.learning_rate),
            loss=SquaredLoss(),
            verbose=config.verbose,
        )
    w, b = learned_parameters(model)
    return RunResult(history=history, metrics=parameter_errors(w, b), model=model)


if __name__ == "__main__":
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    for implementation in ("scratch", "concise"):
        result = run(implementation, DEFAULTS.replace(verbose=2), strategy)
        w, b = learned_parameters(result.model)
        print(f"{implementation}: w = {w}, b = {b:.4f}, errors {result.metrics}")
