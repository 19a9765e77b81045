"""The two training paths every lecture offers: concise and from scratch.

Both take the same data and hyperparameters and return the same history: one
record per epoch with the training loss and metrics (and ``val_`` versions when
validation data is given), the wall time of the epoch's training in seconds
(validation excluded) and its throughput in examples per second. Both run
under a `tf.distribute.MirroredStrategy`.

* `train_concise` is the Keras way: build and ``compile`` the model inside
  ``strategy.scope()``, then ``fit``. Keras splits each batch between the
  replicas and combines their gradients.
* `train_scratch` writes the loop out: a `tf.GradientTape` step compiled with
  `tf.function`, run on every replica by ``strategy.run`` over a distributed
  dataset. Each replica averages its per-example losses over the *global* batch
  (``tf.nn.compute_average_loss``), so that adding the replicas' gradients gives
  the gradient of the global batch's mean loss; the reported loss is the sum of
  the replicas' shares.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import keras
import tensorflow as tf

from coursework.data import count_examples

History = list[dict[str, float]]
"""One dict per epoch: ``epoch``, ``loss``, metrics, ``seconds``, ``examples_per_second``."""

_PROGRESS_INTERVAL = 0.25
"""Seconds between progress-bar refreshes of the scratch loop."""

PerExampleFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""``fn(labels, predictions)`` returning one value per example, shape ``(batch,)``."""


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and TensorFlow so that a run can be repeated.

    Args:
        seed: Any non-negative integer.

    Raises:
        ValueError: If `seed` is negative.
    """
    if seed < 0:
        raise ValueError(f"--seed must be non-negative, got {seed}.")
    keras.utils.set_random_seed(seed)


class _EpochClock(keras.callbacks.Callback):
    """Adds training time and throughput to the logs Keras keeps per epoch."""

    def __init__(self, examples_per_epoch: int):
        super().__init__()
        self.examples_per_epoch = examples_per_epoch
        self.records: History = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._training_end = None

    def on_test_begin(self, logs=None):
        # fit evaluates the validation data before it ends the epoch; like the
        # scratch loop, time the training alone.
        if self._training_end is None:
            self._training_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = (self._training_end or time.perf_counter()) - self._start
        record = {"epoch": epoch + 1}
        record.update({name: float(value) for name, value in (logs or {}).items()})
        record["seconds"] = seconds
        record["examples_per_second"] = self.examples_per_epoch / seconds
        self.records.append(record)


def train_concise(
    build_model: Callable[[], keras.Model],
    *,
    strategy: tf.distribute.Strategy,
    train_data: tf.data.Dataset,
    epochs: int,
    make_optimizer: Callable[[], keras.optimizers.Optimizer],
    loss: keras.losses.Loss,
    metrics: list | None = None,
    validation_data: tf.data.Dataset | None = None,
    verbose: int | str = "auto",
) -> tuple[keras.Model, History]:
    """Trains a Keras model with ``compile`` and ``fit`` under `strategy`.

    Args:
        build_model: Returns a new, uncompiled Keras model. It is called inside
            ``strategy.scope()`` so its variables are mirrored.
        strategy: The distribution strategy (see `coursework.distribute`).
        train_data: Batched ``(features, labels)`` training data (global batches).
        epochs: Number of passes over `train_data`.
        make_optimizer: Returns a new Keras optimizer (created inside the scope).
        loss: A Keras loss with its default (mean) reduction.
        metrics: Keras metrics to track, named as in the scratch path.
        validation_data: Optional batched data evaluated after every epoch.
        verbose: Keras's progress display: "auto", 0, 1 or 2.

    Returns:
        The trained model and its per-epoch history.
    """
    _check_epochs(epochs)
    with strategy.scope():
        model = build_model()
        model.compile(optimizer=make_optimizer(), loss=loss, metrics=metrics or [])
    clock = _EpochClock(count_examples(train_data))
    model.fit(
        train_data,
        epochs=epochs,
        validation_data=validation_data,
        callbacks=[clock],
        shuffle=False,  # the pipeline shuffles examples before batching
        verbose=verbose,
    )
    return model, clock.records


def train_scratch(
    build_model: Callable[[], object],
    *,
    strategy: tf.distribute.Strategy,
    train_data: tf.data.Dataset,
    epochs: int,
    make_optimizer: Callable[[], object],
    loss: PerExampleFn,
    metrics: Mapping[str, PerExampleFn] | None = None,
    validation_data: tf.data.Dataset | None = None,
    regularization: Callable[[object], tf.Tensor] | None = None,
    verbose: int | str = "auto",
) -> tuple[object, History]:
    """Trains a model with a hand-written distributed training loop.

    Args:
        build_model: Returns a new model: any callable ``model(x, training=...)``
            with a ``trainable_variables`` attribute (a `tf.Module` or a Keras
            model). Called inside ``strategy.scope()``.
        strategy: The distribution strategy (see `coursework.distribute`).
        train_data: Batched ``(features, labels)`` training data (global batches).
        epochs: Number of passes over `train_data`.
        make_optimizer: Returns an optimizer with ``build(variables)`` and
            ``apply_gradients(pairs)``: a Keras optimizer or
            `coursework.scratch.SGD`. Created and built inside the scope (Keras
            optimizers with state fail under ``strategy.run`` otherwise).
        loss: Per-example loss ``loss(labels, predictions)``, shape ``(batch,)``.
        metrics: Per-example metrics by name, e.g. 1.0 for a correct prediction;
            their epoch value is the mean over all examples.
        validation_data: Optional batched data evaluated after every epoch.
        regularization: Optional ``fn(model)`` returning a scalar penalty added
            to the loss once per step (split between the replicas).
        verbose: 0 for silence, 1 or "auto" for a progress bar, 2 for one line per epoch.

    Returns:
        The trained model and its per-epoch history.
    """
    _check_epochs(epochs)
    metrics = dict(metrics or {})
    with strategy.scope():
        model = build_model()
        optimizer = make_optimizer()
        optimizer.build(model.trainable_variables)

    def replica_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            per_example = loss(labels, predictions)
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
        sums = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        return {name: totals[name] + sums[name] for name in totals}

    evaluate = make_evaluator(model, loss, metrics) if validation_data is not None else None
    distributed = strategy.experimental_distribute_dataset(train_data)
    steps = int(train_data.cardinality())
    verbose = 1 if verbose == "auto" else verbose
    history: History = []
    for epoch in range(1, epochs + 1):
        if verbose:
            print(f"Epoch {epoch}/{epochs}")
        progress = keras.utils.Progbar(steps if steps > 0 else None, verbose=verbose)
        start = last_update = time.perf_counter()
        totals = {name: tf.constant(0.0) for name in ["loss", *metrics, "count"]}
        iterator = iter(distributed)
        step = 0
        while steps < 0 or step < steps:  # a negative cardinality means unknown
            try:
                totals = train_step(iterator, totals)
            except tf.errors.OutOfRangeError:
                break
            step += 1
            # Reading the loss waits for the step: refresh the bar a few times a second.
            if verbose == 1 and time.perf_counter() - last_update >= _PROGRESS_INTERVAL:
                progress.update(step, [("loss", float(totals["loss"] / totals["count"]))])
                last_update = time.perf_counter()
        totals = {name: float(value) for name, value in totals.items()}
        seconds = time.perf_counter() - start
        count = totals["count"]
        record = {"epoch": epoch}
        record.update({name: totals[name] / count for name in ["loss", *metrics]})
        if evaluate is not None:
            validation = evaluate(validation_data)
            record.update({f"val_{name}": value for name, value in validation.items()})
        record["seconds"] = seconds
        record["examples_per_second"] = count / seconds
        history.append(record)
        if verbose:
            progress.update(steps if steps > 0 else step, list(record.items())[1:], finalize=True)
    return model, history


def make_evaluator(
    model, loss: PerExampleFn, metrics: Mapping[str, PerExampleFn]
) -> Callable[[tf.data.Dataset], dict[str, float]]:
    """Builds a function that averages `loss` and `metrics` over a dataset.

    Args:
        model: The model to evaluate, called with ``training=False``.
        loss: Per-example loss ``loss(labels, predictions)``.
        metrics: Per-example metrics by name.

    Returns:
        ``evaluate(dataset)`` returning ``{"loss": ..., name: ...}`` means over
        every example of the dataset.
    """

    @tf.function
    def batch_sums(features, labels):
        predictions = model(features, training=False)
        sums = {"loss": tf.reduce_sum(loss(labels, predictions))}
        sums.update({name: tf.reduce_sum(fn(labels, predictions)) for name, fn in metrics.items()})
        sums["count"] = tf.cast(tf.shape(predictions)[0], tf.float32)
        return sums

    def evaluate(dataset: tf.data.Dataset) -> dict[str, float]:
        totals: dict[str, tf.Tensor] = {}
        for features, labels in dataset:
            for name, value in batch_sums(features, labels).items():
                totals[name] = totals[name] + value if name in totals else value
        totals = {name: float(value) for name, value in totals.items()}
        count = totals.pop("count")
        return {name: value / count for name, value in totals.items()}

    return evaluate


def _check_epochs(epochs: int) -> None:
    if epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {epochs}.")
