"""Lecture: underfitting and overfitting, with polynomial regression.

A model is trained to do well on data it has never seen, but training only
ever measures it on the data it has. The gap between the two is what this
lecture makes visible. We know the rule behind the data exactly, a polynomial
of degree 3 plus noise::

    y = 5 + 1.2 x - 3.4 x²/2! + 5.6 x³/3! + ε,    ε ~ N(0, 0.1²)

and fit it three times by linear regression on the features ``x**i / i!``
(dividing by i! keeps the large powers from producing huge gradients):

* with the **4** features i = 0..3 the model is the rule itself: it should
  recover the four true weights, and its test loss falls to the noise's;
* with **2** features (a straight line) it *underfits*: it cannot express the
  rule, and its training and test losses both stay high;
* with all **20** features it could *overfit*: with only 100 training examples
  it has room to fit their noise. Least squares on the 20 features (where SGD
  would end after endless training) does: its training loss drops below the
  noise's and its test loss rises to between 0.006 and 5·10⁷, depending on the
  draw. SGD gets nowhere near it: the high powers x^i/i! are tiny where most
  of the data lie, the 20 columns are nearly dependent (condition numbers of
  10¹⁵ to 10¹⁸), and their weights barely move. After 100 epochs the overfit
  fit's training loss is still above the normal fit's; training longer brings
  it just below, and whether its test loss ends above its training loss
  depends on which noise the test set drew. In a NumPy replay of this SGD
  (``benchmarks/polynomial_overfit.py``) it does for 17 of 20 seeds, and
  training longer (Dive into Deep Learning's classic edition trains this fit
  1500 epochs against 400) does not raise that count.

The column i = 0 is all ones, so the models need no separate bias. The two
implementations share the data, the initial weights, the loss, SGD and every
hyperparameter; each run trains the three fits and records, per epoch, the
training loss and the test loss of each (``loss_normal`` and
``val_loss_normal``, and so on):

* **from scratch**: the weights are one `tf.Variable`, the model a matrix
  product, the optimizer the hand-written `coursework.scratch.SGD`, in the
  training step of `coursework.linear_regression.make_train_step`;
* **concise**: a one-unit ``Dense`` layer without bias, trained with ``fit``.

It reuses from `coursework.linear_regression` the initial weights, drawn from
N(0, 0.01²), and the squared error. Run it with
``coursework train polynomial_regression --impl scratch --metrics-out m.json``,
or ``python -m coursework.polynomial_regression`` to train both
implementations and draw each one's three fits into ``polynomial_fits_IMPL.png``.
"""

from __future__ import annotations

import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

from coursework.data import make_dataset
from coursework.linear_regression import initial_weights, make_train_step, squared_error
from coursework.scratch import SGD, parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import make_evaluator, set_seed, train_concise, train_scratch

# ---------------------------------------------------------------------------
# Setup: the true polynomial, the three fits and the lecture's hyperparameters.
# ---------------------------------------------------------------------------
MAX_DEGREE = 20
TRUE_W = np.array([5.0, 1.2, -3.4, 5.6], dtype=np.float32)
"""True weights of the features x**0/0!, ..., x**3/3!; the other 16 are 0."""
NUM_TRAIN = 100
NUM_TEST = 100
NOISE = 0.1

FITS = {"normal": 4, "underfit": 2, "overfit": MAX_DEGREE}
"""Each fit's name and the number of features it uses (the first ones)."""

DEFAULTS = RunConfig(epochs=100, learning_rate=0.08, batch_size=10)
"""Dive into Deep Learning trains 400 epochs at 0.01 on the squared error without
the ½ (the same steps as 0.02 with it); larger steps reach the same fits in 100."""


# ---------------------------------------------------------------------------
# Data: 100 training and 100 test examples of the polynomial, with noise.
# ---------------------------------------------------------------------------
def polynomial_features(x, max_degree: int = MAX_DEGREE) -> np.ndarray:
    """The features ``x**i / i!`` for i = 0, ..., max_degree - 1.

    Args:
        x: Inputs, shape (n,).
        max_degree: Number of features.

    Returns:
        A float32 array of shape (n, max_degree); its column 0 is all ones.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    degrees = np.arange(max_degree)
    factorials = np.array([math.factorial(i) for i in degrees], dtype=np.float64)
    return (x**degrees / factorials).astype(np.float32)


def synthetic_data(seed: int = 0):
    """Draws the training and test sets of the lecture.

    x is drawn from N(0, 1) and y from the true polynomial plus N(0, 0.1²)
    noise. The features hold all 20 powers; a fit uses the first few columns.

    Args:
        seed: Seed of the random generator, so the data can be recreated.

    Returns:
        ``((x_train, features_train, y_train), (x_test, features_test, y_test))``
        with x of shape (n,), features (n, 20) and y (n, 1), float32.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=NUM_TRAIN + NUM_TEST)
    features = polynomial_features(x)
    true_w = np.zeros((MAX_DEGREE, 1), dtype=np.float32)
    true_w[: len(TRUE_W), 0] = TRUE_W
    labels = features @ true_w + rng.normal(0.0, NOISE, size=(len(x), 1))
    labels = labels.astype(np.float32)
    x = x.astype(np.float32)
    return (
        (x[:NUM_TRAIN], features[:NUM_TRAIN], labels[:NUM_TRAIN]),
        (x[NUM_TRAIN:], features[NUM_TRAIN:], labels[NUM_TRAIN:]),
    )


# ---------------------------------------------------------------------------
# Model from scratch: the weights of the features and nothing else.
# ---------------------------------------------------------------------------
class PolynomialScratch(tf.Module):
    """The linear model ``X w`` on polynomial features (column 0 plays the bias).

    Args:
        num_inputs: Number of features the fit uses.
        seed: Seed of the initial weights (`coursework.linear_regression.initial_weights`).
    """

    def __init__(self, num_inputs: int, seed: int = 0):
        super().__init__()
        self.w = parameter(initial_weights(num_inputs, seed=seed), name="w")

    def __call__(self, features, training=False):
        del training  # the model behaves the same while training
        return tf.matmul(features, self.w)


# ---------------------------------------------------------------------------
# Concise model: one Dense unit without bias.
# ---------------------------------------------------------------------------
def build_concise_model(num_inputs: int, seed: int = 0) -> keras.Model:
    """The same model as a ``Dense`` layer, initialized like the scratch one."""
    return keras.Sequential(
        [
            keras.Input(shape=(num_inputs,)),
            keras.layers.Dense(
                1,
                use_bias=False,
                kernel_initializer=keras.initializers.Constant(
                    initial_weights(num_inputs, seed=seed)
                ),
            ),
        ],
        name=f"polynomial_{num_inputs}",
    )


# ---------------------------------------------------------------------------
# Loss: half the squared error, averaged over the examples.
# ---------------------------------------------------------------------------
def half_squared_error(labels, predictions):
    """Per-example loss ``(prediction - label)**2 / 2``, shape (batch,).

    It is `coursework.linear_regression.squared_error` halved, as in Dive into
    Deep Learning; a Keras loss that is a function of ``(labels, predictions)``
    averages it over the batch, so both implementations minimise the same mean.
    """
    return squared_error(labels, predictions) / 2


class HalfSquaredError(keras.losses.Loss):
    """`half_squared_error` as a Keras loss, for ``compile``: Keras averages it."""

    def call(self, y_true, y_pred):
        return half_squared_error(y_true, y_pred)


# ---------------------------------------------------------------------------
# Training: each fit by minibatch SGD, its training and test loss per epoch.
# ---------------------------------------------------------------------------
def train_fit(impl, num_inputs, train_data, test_data, config, strategy):
    """Trains one fit (the first `num_inputs` features) with one implementation.

    Args:
        impl: "scratch" or "concise".
        num_inputs: Number of features the fit uses.
        train_data: Batched ``(features, labels)`` training pipeline.
        test_data: Batched test pipeline, evaluated after every epoch.
        config: Hyperparameters.
        strategy: The `MirroredStrategy` to train under.

    Returns:
        The trained model and its history (``loss`` and ``val_loss`` per epoch).
    """
    settings = dict(
        make_step=make_train_step,  # the step of coursework/linear_regression.py
        strategy=strategy,
        train_data=train_data,
        validation_data=test_data,
        epochs=config.epochs,
        verbose=config.verbose,
    )
    if impl == "scratch":
        return train_scratch(
            lambda: PolynomialScratch(num_inputs, seed=config.seed),
            make_optimizer=lambda: SGD(config.learning_rate),
            loss=half_squared_error,
            **settings,
        )
    return train_concise(
        lambda: build_concise_model(num_inputs, seed=config.seed),
        make_optimizer=lambda: keras.optimizers.SGD(config.learning_rate),
        loss=HalfSquaredError(),
        **settings,
    )


def first_columns(dataset: tf.data.Dataset, num_inputs: int) -> tf.data.Dataset:
    """The pipeline with only the first `num_inputs` features of each example."""
    return dataset.map(lambda features, labels: (features[:, :num_inputs], labels))


# ---------------------------------------------------------------------------
# Evaluation: the weights recovered, and each fit's final losses.
# ---------------------------------------------------------------------------
def learned_weights(model) -> np.ndarray:
    """Reads the weights, shape (num_inputs,), off a scratch or concise model."""
    if isinstance(model, PolynomialScratch):
        return model.w.numpy().reshape(-1)
    return model.layers[-1].get_weights()[0].reshape(-1)


def weights_error(w) -> float:
    """The largest absolute error of the normal fit's four weights."""
    return float(np.max(np.abs(np.asarray(w).reshape(-1)[: len(TRUE_W)] - TRUE_W)))


def run(impl: str, config: RunConfig, strategy: tf.distribute.Strategy) -> RunResult:
    """Trains the normal, underfit and overfit models with one implementation.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden).
        strategy: The `MirroredStrategy` to train under.

    Returns:
        The history (per epoch ``loss_FIT`` and ``val_loss_FIT`` for each of
        `FITS`, the test loss as ``val_``), the metrics ``weights_error`` and
        ``train_loss_FIT``, ``test_loss_FIT`` for each fit (the mean half
        squared error on the whole set after training), and as model a dict
        of the three trained models.

    Raises:
        ValueError: If `impl` or a hyperparameter is invalid.
    """
    check_implementation(impl)
    set_seed(config.seed)
    (_, train_features, train_labels), (_, test_features, test_labels) = synthetic_data(
        config.seed
    )
    replicas = strategy.num_replicas_in_sync
    train_data = make_dataset(
        train_features, train_labels, config.batch_size, num_replicas=replicas, seed=config.seed
    )
    test_data = make_dataset(  # one batch: evaluating after every epoch stays cheap
        test_features, test_labels, NUM_TEST, num_replicas=replicas, training=False
    )
    history = [{"epoch": epoch} for epoch in range(1, config.epochs + 1)]
    metrics, models = {}, {}
    for name, num_inputs in FITS.items():
        model, fit_history = train_fit(
            impl,
            num_inputs,
            first_columns(train_data, num_inputs),
            first_columns(test_data, num_inputs),
            config,
            strategy,
        )
        for record, fit_record in zip(history, fit_history, strict=True):
            record[f"loss_{name}"] = fit_record["loss"]
            record[f"val_loss_{name}"] = fit_record["val_loss"]
            record["seconds"] = record.get("seconds", 0.0) + fit_record["seconds"]
        evaluate = make_evaluator(model, half_squared_error, {})
        whole_train = make_dataset(train_features, train_labels, NUM_TRAIN, training=False)
        metrics[f"train_loss_{name}"] = evaluate(first_columns(whole_train, num_inputs))["loss"]
        metrics[f"test_loss_{name}"] = evaluate(first_columns(test_data, num_inputs))["loss"]
        models[name] = model
    for record in history:
        record["examples_per_second"] = len(FITS) * NUM_TRAIN / record["seconds"]
    metrics = {"weights_error": weights_error(learned_weights(models["normal"])), **metrics}
    return RunResult(history=history, metrics=metrics, model=models)


def plot_fits(
    result: RunResult, path: str | pathlib.Path, seed: int = 0, title: str = ""
) -> pathlib.Path:
    """Draws the three fits into one PNG: their loss curves and their polynomials.

    Left, the training (solid) and test (dashed) loss of each fit per epoch,
    on a log scale; right, the training data with each fit's polynomial.

    Args:
        result: What `run` returned.
        path: Where to write the PNG; parent folders are created.
        seed: The seed the run's data was drawn with.
        title: Optional figure title.

    Returns:
        The path written.
    """
    from coursework.plotting import plt  # the headless backend, set up once

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (x_train, _, y_train), _ = synthetic_data(seed)
    figure, (curves, fits) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = [record["epoch"] for record in result.history]
    grid = np.linspace(x_train.min(), x_train.max(), 200)
    fits.scatter(x_train, y_train.ravel(), s=8, color="gray", label="training data")
    for (name, num_inputs), color in zip(FITS.items(), ("C0", "C1", "C2"), strict=True):
        label = f"{name} ({num_inputs} features)"
        curves.plot(epochs, [r[f"loss_{name}"] for r in result.history], color=color,
                    label=f"{label}, train")
        curves.plot(epochs, [r[f"val_loss_{name}"] for r in result.history], color=color,
                    linestyle="--", label=f"{label}, test")
        w = learned_weights(result.model[name])
        fits.plot(grid, polynomial_features(grid, num_inputs) @ w, color=color, label=label)
    curves.set(xlabel="epoch", ylabel="loss", yscale="log")
    fits.set(xlabel="x", ylabel="y")
    for axis in (curves, fits):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


if __name__ == "__main__":
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    for implementation in ("scratch", "concise"):
        result = run(implementation, DEFAULTS.replace(verbose=0), strategy)
        figures = ", ".join(f"{name} = {value:.4g}" for name, value in result.metrics.items())
        print(f"{implementation}: {figures}")
        plot_fits(result, f"polynomial_fits_{implementation}.png", title=implementation)
