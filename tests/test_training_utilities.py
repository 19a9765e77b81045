"""The shared training utilities: strategy, input pipeline, training paths, plots."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from coursework import data, distribute, plotting, scratch, training
from coursework.linear_regression import make_train_step


def test_strategy_is_created_once_per_device_set():
    assert distribute.get_strategy(2) is distribute.get_strategy(2)
    assert distribute.get_strategy(1).num_replicas_in_sync == 1
    assert distribute.get_strategy(2).num_replicas_in_sync == 2


def test_invalid_replica_counts_are_rejected():
    with pytest.raises(ValueError, match="at least 1"):
        distribute.get_strategy(0)
    with pytest.raises(RuntimeError, match="already started"):
        distribute.get_strategy(64)


def test_training_pipeline_drops_remainder_only_under_several_replicas():
    features = np.arange(25, dtype=np.float32).reshape(25, 1)
    labels = np.arange(25, dtype=np.float32)
    one = data.make_dataset(features, labels, 10, num_replicas=1)
    two = data.make_dataset(features, labels, 10, num_replicas=2)
    assert [len(x) for x, _ in one] == [10, 10, 5]
    assert [len(x) for x, _ in two] == [10, 10]
    assert data.count_examples(one) == 25 and data.count_examples(two) == 20


def test_training_pipeline_shuffles_examples_not_batches_and_keeps_pairs():
    features = np.arange(100, dtype=np.float32).reshape(100, 1)
    labels = np.arange(100, dtype=np.float32)
    dataset = data.make_dataset(features, labels, 10, seed=4)
    first_epoch = np.concatenate([x.numpy().ravel() for x, _ in dataset])
    second_epoch = np.concatenate([x.numpy().ravel() for x, _ in dataset])
    assert sorted(first_epoch) == list(range(100))
    assert not np.array_equal(first_epoch, second_epoch), "reshuffled every epoch"
    first_batch = first_epoch[:10]
    assert not np.array_equal(np.sort(first_batch), np.arange(first_batch.min(), first_batch.min() + 10))
    for x, y in dataset:
        np.testing.assert_array_equal(x.numpy().ravel(), y.numpy())


def test_evaluation_pipeline_keeps_order_and_every_example():
    features = np.arange(25, dtype=np.float32).reshape(25, 1)
    dataset = data.make_dataset(features, features[:, 0], 10, num_replicas=2, training=False)
    np.testing.assert_array_equal(np.concatenate([x.numpy().ravel() for x, _ in dataset]), np.arange(25))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "at least 1"),
        ({"batch_size": 5, "num_replicas": 2}, "multiple of the number of replicas"),
    ],
)
def test_pipeline_rejects_bad_batch_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.make_dataset(np.zeros((4, 1)), np.zeros(4), **kwargs)


def test_pipeline_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="labels has 3"):
        data.make_dataset(np.zeros((4, 1)), np.zeros(3), 2)


@pytest.mark.parametrize("replicas", [1, 2])
def test_scratch_and_concise_paths_train_the_same_model_alike(replicas):
    """A stateful Keras optimizer (Adam) in both paths, metrics and validation."""
    strategy = distribute.get_strategy(replicas)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 4)).astype(np.float32)
    labels = (features[:, 0] + features[:, 1] > 0).astype(np.int32)
    train_data = data.make_dataset(features, labels, 20, num_replicas=replicas)
    valid_data = data.make_dataset(features, labels, 20, num_replicas=replicas, training=False)

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

    def per_example_loss(y, logits):
        return keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)

    def correct(y, logits):
        return tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == tf.cast(y, tf.int32), tf.float32)

    training.set_seed(0)
    _, scratch_history = training.train_scratch(
        build, make_step=make_train_step, strategy=strategy, train_data=train_data, epochs=3,
        make_optimizer=lambda: keras.optimizers.Adam(0.05), loss=per_example_loss,
        metrics={"accuracy": correct}, validation_data=valid_data, verbose=0)
    training.set_seed(0)
    _, concise_history = training.train_concise(
        build, make_step=make_train_step, strategy=strategy, train_data=train_data, epochs=3,
        make_optimizer=lambda: keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        validation_data=valid_data, verbose=0)
    for history in (scratch_history, concise_history):
        assert len(history) == 3
        assert {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds",
                "examples_per_second"} <= set(history[-1])
        assert history[-1]["val_accuracy"] > 0.85
    assert scratch_history[-1]["val_loss"] == pytest.approx(concise_history[-1]["val_loss"], rel=0.05)


def test_scratch_sgd_matches_plain_gradient_descent():
    w = tf.Variable([1.0, -1.0])
    scratch.SGD(0.5).apply_gradients([(tf.constant([2.0, 4.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.0, -3.0])
    with pytest.raises(ValueError, match="positive"):
        scratch.SGD(0.0)


def test_set_seed_rejects_negative_seeds():
    with pytest.raises(ValueError, match="non-negative"):
        training.set_seed(-1)


def test_plot_history_writes_a_png(tmp_path):
    history = [{"epoch": e, "loss": 1.0 / e, "accuracy": 0.5 + e / 10, "val_loss": 1.2 / e,
                "val_accuracy": 0.5, "seconds": 1.0, "examples_per_second": 10.0} for e in (1, 2, 3)]
    assert plotting.curve_names(history) == ["loss", "accuracy"]
    path = plotting.plot_history(history, tmp_path / "sub" / "curves.png", title="demo")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_history([], tmp_path / "empty.png")
