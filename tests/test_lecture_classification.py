"""The Fashion-MNIST lectures: softmax regression, MLP and dropout MLP.

The lectures train on small synthetic data here (every class a fixed pattern
of bright pixels plus noise), so that each run takes seconds and needs no data
set; `benchmarks/fashion_mnist.py` trains them on the real one.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from float32_rounding import assert_within, sgd_bound, sum_bound

from coursework import classification, dropout_mlp, fashion_mnist, mlp, scratch, softmax_regression
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.topics import TOPICS, load_topic

LECTURES = {"softmax_regression": softmax_regression, "mlp": mlp, "dropout_mlp": dropout_mlp}
SMALL = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "verbose": 0}


def synthetic_split(size, seed):
    """Images whose class is a fixed pattern of bright pixels, plus noise."""
    patterns = np.random.default_rng(123).uniform(size=(10, 28, 28)) > 0.5
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size).astype(np.int32)
    images = 0.6 * patterns[labels] + 0.4 * rng.uniform(size=(size, 28, 28))
    return images.astype(np.float32), labels


@pytest.fixture(scope="module")
def small_data():
    return synthetic_split(400, seed=1), synthetic_split(200, seed=2)


def write_idx_folder(folder, data):
    for split, (images, labels) in zip(("train", "test"), data, strict=True):
        images_name, labels_name = fashion_mnist.IDX_FILES[split]
        fashion_mnist.write_idx(folder / images_name, np.round(images * 255))
        fashion_mnist.write_idx(folder / labels_name, labels)
    return folder


@pytest.mark.parametrize("impl", ["scratch", "concise"])
@pytest.mark.parametrize("topic", sorted(LECTURES))
def test_each_lecture_learns_far_better_than_chance(topic, impl, small_data):
    lecture = LECTURES[topic]
    result = lecture.run(impl, lecture.DEFAULTS.replace(**SMALL), get_strategy(1), data=small_data)
    assert result.metrics["test_accuracy"] > 0.6, result.metrics  # chance is 0.1
    assert [record["epoch"] for record in result.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(result.history[-1])
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert result.history[-1]["val_accuracy"] == pytest.approx(result.metrics["test_accuracy"])


def test_scratch_steps_do_not_depend_on_the_number_of_replicas(small_data, monkeypatch):
    """Same steps under 1 and 2 replicas, up to float32 sums taken in another order.

    The run is the softmax-regression lecture's scratch loop with plain SGD:
    the loop, sharding, loss scaling and all-reduce are those of every lecture,
    and for this model and optimizer a bound on the rounding can be derived
    (`float32_rounding` says why Adam and ReLU allow none). Plain SGD also
    catches a gradient scaled by the number of replicas, which Adam would hide.

    For example ``i`` and weight ``W[j, c]`` the per-example gradient is
    ``x_ij * (p_ic - y_ic) / B``, with ``|p_ic - y_ic| <= 1``. The logits are
    sums of 785 terms; softmax moves by at most half of their largest change
    (its Jacobian's rows sum to ``2 p (1 - p) <= 1/2`` in absolute value), plus
    its own sum of 10 exponentials; the batch gradient is a sum of ``B`` terms.
    Every example enters one step of the single epoch. The weights move from
    their start to their end in 10 small steps; the largest of the two bounds
    them in between. The same bound must fail for a run whose gradient is
    halved, as a replica-scaling mistake would do.
    """
    learning_rate = 0.05
    monkeypatch.setattr(classification, "scratch_optimizer",
                        lambda config, steps: scratch.SGD(config.learning_rate))
    # 400 examples in batches of 40: both take the same 10 steps (no remainder dropped).
    config = softmax_regression.DEFAULTS.replace(
        **{**SMALL, "epochs": 1, "batch_size": 40, "learning_rate": learning_rate})
    one = softmax_regression.run("scratch", config, get_strategy(1), data=small_data)
    two = softmax_regression.run("scratch", config, get_strategy(2), data=small_data)

    (images, _), _ = small_data
    pixels = np.abs(images.reshape(len(images), -1)).astype(np.float64)  # |x_ij|, (400, 784)
    batch = config.batch_size
    start = softmax_regression.SoftmaxRegressionScratch().W.numpy()
    largest_w = np.max(np.abs([start, one.model.W.numpy(), two.model.W.numpy()]), axis=0)
    largest_b = np.max(np.abs([one.model.b.numpy(), two.model.b.numpy()]), axis=0)
    logits = sum_bound(pixels @ largest_w + largest_b, 785)  # change of z_ic, (400, 10)
    probabilities = 0.5 * logits.max(axis=1) + sum_bound(1.0, 10 + 3)  # change of p_ic
    w_steps = pixels * probabilities[:, None] / batch + sum_bound(pixels / batch, batch)
    b_steps = probabilities / batch + sum_bound(1 / batch, batch)
    w_bound = sgd_bound(learning_rate, w_steps)[:, None] * np.ones((1, 10))
    b_bound = sgd_bound(learning_rate, b_steps) * np.ones(10)
    moved = np.abs(one.model.W.numpy() - start)
    assert_within(two.model.W.numpy(), one.model.W.numpy(), w_bound, "W")
    assert_within(two.model.b.numpy(), one.model.b.numpy(), b_bound, "b")
    assert np.median(w_bound[moved > 0] / moved[moved > 0]) < 0.1, "bound too loose to test"
    halved = softmax_regression.run("scratch", config.replace(learning_rate=learning_rate / 2),
                                    get_strategy(2), data=small_data)
    with pytest.raises(AssertionError, match="float32 rounding bound"):
        assert_within(halved.model.W.numpy(), one.model.W.numpy(), w_bound, "W")
    assert one.metrics["test_accuracy"] == pytest.approx(two.metrics["test_accuracy"], abs=0.01)


@pytest.mark.parametrize("topic, impl", [("dropout_mlp", "scratch"), ("softmax_regression", "concise")])
def test_training_under_two_replicas(topic, impl, small_data):
    lecture = LECTURES[topic]
    strategy = get_strategy(2)
    result = lecture.run(impl, lecture.DEFAULTS.replace(**SMALL), strategy, data=small_data)
    assert result.metrics["test_accuracy"] > 0.6, result.metrics


@pytest.mark.parametrize("topic", ["softmax_regression", "mlp"])
def test_scratch_and_concise_take_the_same_steps(topic, small_data):
    """Same initial weights, loss and optimizer: with one batch per epoch (so the
    order of the examples cannot matter) the two implementations agree."""
    lecture = LECTURES[topic]
    config = lecture.DEFAULTS.replace(**{**SMALL, "epochs": 3, "batch_size": 400})
    histories = [lecture.run(impl, config, get_strategy(1), data=small_data).history
                 for impl in ("scratch", "concise")]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose([r[name] for r in histories[0]], [r[name] for r in histories[1]],
                                   rtol=2e-3, err_msg=name)


def test_scratch_adam_with_cosine_decay_matches_keras():
    start = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    ours, theirs = tf.Variable(start), tf.Variable(start)
    adam = scratch.Adam(scratch.cosine_decay(0.1, 5))
    adam.build([ours])
    keras_adam = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.1, 5))
    keras_adam.build([theirs])
    for step in range(8):  # past decay_steps, where the rate stays 0
        gradient = tf.constant(np.sin(start * (step + 1)), tf.float32)
        adam.apply_gradients([(gradient, ours)])
        keras_adam.apply_gradients([(gradient, theirs)])
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    assert int(adam.iterations.numpy()) == 8


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: scratch.Adam(0.0), "learning rate must be positive"),
        (lambda: scratch.Adam(0.1, beta_1=1.0), "beta_1 must be in"),
        (lambda: scratch.cosine_decay(0.1, 0), "decay_steps must be at least 1"),
    ],
)
def test_scratch_optimizer_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_adam_needs_build():
    with pytest.raises(RuntimeError, match="build"):
        scratch.Adam(0.1).apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])


def test_cross_entropy_matches_keras_and_survives_huge_logits():
    logits = tf.constant([[1.0, 2.0, 3.0], [1e4, -1e4, 0.0], [-50.0, 50.0, 0.0]])
    labels = tf.constant([2, 1, 1])
    ours = classification.cross_entropy(labels, logits).numpy()
    expected = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-5)
    assert np.all(np.isfinite(ours)) and ours[1] == pytest.approx(2e4)
    np.testing.assert_array_equal(classification.correct(labels, logits).numpy(), [1.0, 0.0, 1.0])


def test_softmax_is_stable_and_normalized():
    probabilities = softmax_regression.softmax(tf.constant([[1e4, 0.0, -1e4], [1.0, 1.0, 1.0]])).numpy()
    assert np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(probabilities[1], [1 / 3] * 3, rtol=1e-6)


def test_dropout_keeps_the_expected_value():
    generator = tf.random.Generator.from_seed(0)
    inputs = tf.ones((200, 500))
    dropped = dropout_mlp.dropout(inputs, 0.5, generator).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0}
    assert (dropped == 0).mean() == pytest.approx(0.5, abs=0.01)
    assert dropped.mean() == pytest.approx(1.0, abs=0.02)
    np.testing.assert_array_equal(dropout_mlp.dropout(inputs, 0.0, generator), inputs)
    np.testing.assert_array_equal(dropout_mlp.dropout(inputs, 1.0, generator), tf.zeros_like(inputs))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        dropout_mlp.dropout(inputs, 1.5, generator)


def test_dropout_is_off_at_test_time():
    model = dropout_mlp.DropoutMLPScratch()
    images = tf.random.uniform((4, 28, 28))
    np.testing.assert_array_equal(model(images), model(images))
    assert not np.allclose(model(images, training=True), model(images, training=True))


def test_topics_are_registered_with_ten_epoch_defaults():
    for topic, lecture in LECTURES.items():
        assert TOPICS[topic] == lecture.__name__
        assert load_topic(topic) is lecture
        assert lecture.DEFAULTS.epochs == 10


def test_malformed_data_is_rejected(small_data):
    (train_images, train_labels), test = small_data
    bad = ((train_images.reshape(-1, 784), train_labels), test)
    with pytest.raises(ValueError, match=r"expected \(n, 28, 28\)"):
        mlp.run("concise", mlp.DEFAULTS.replace(**SMALL), get_strategy(1), data=bad)
    with pytest.raises(ValueError, match="Unknown implementation"):
        mlp.run("keras", mlp.DEFAULTS.replace(**SMALL), get_strategy(1), data=small_data)


def test_cli_trains_from_a_data_folder_and_reports_test_accuracy(tmp_path, small_data, capsys):
    folder = write_idx_folder(tmp_path / "fashion-mnist", small_data)
    metrics_path, plot_path = tmp_path / "metrics.json", tmp_path / "curves.png"
    status = main(["train", "mlp", "--impl", "scratch", "--epochs", "1", "--batch-size", "64",
                   "--data-dir", str(folder), "--quiet", "--metrics-out", str(metrics_path),
                   "--plot", str(plot_path)])
    assert status == 0, capsys.readouterr().err
    report = json.loads(metrics_path.read_text())
    assert report["topic"] == "mlp" and report["config"]["epochs"] == 1
    assert 0.0 <= report["metrics"]["test_accuracy"] <= 1.0
    assert {"val_loss", "val_accuracy"} <= set(report["history"][0])
    assert plot_path.read_bytes()[:4] == b"\x89PNG"
    assert "test_accuracy" in capsys.readouterr().out


def test_cli_explains_a_bad_data_folder(tmp_path, small_data, capsys):
    assert main(["train", "softmax_regression", "--data-dir", str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz does not exist" in error and "Traceback" not in error
    write_idx_folder(tmp_path, small_data)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"garbage")
    assert main(["train", "softmax_regression", "--data-dir", str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "t10k-images-idx3-ubyte.gz is corrupt or truncated" in error
