"""The convolution lectures: conv_basics, lenet and lenet_classic.

LeNet trains on small synthetic data here (each class a fixed pattern of
bright pixels plus noise), so that each run takes seconds;
`benchmarks/fashion_mnist.py --topics lenet lenet_classic` trains it on
Fashion-MNIST.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_lecture_classification import synthetic_split, write_idx_folder

from autograder.generate.lecture_notebooks import lecture_notebook, lecture_source
from coursework import conv_basics, lenet, lenet_classic
from coursework.classification import make_pipelines
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.topics import TOPICS, load_topic

SMALL = {"epochs": 2, "batch_size": 32, "verbose": 0}


@pytest.fixture(scope="module")
def small_data():
    return synthetic_split(400, seed=1), synthetic_split(200, seed=2)


# ---------------------------------------------------------------------------
# conv_basics
# ---------------------------------------------------------------------------
def test_corr2d_example_and_edge_detector(capsys):
    X = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(conv_basics.corr2d(X, np.arange(4.0).reshape(2, 2)),
                                  [[19.0, 25.0], [37.0, 43.0]])
    edges = conv_basics.corr2d(conv_basics.stripe_image(), conv_basics.EDGE_KERNEL).numpy()
    expected = np.zeros((6, 7))
    expected[:, 1], expected[:, 5] = 1.0, -1.0
    np.testing.assert_array_equal(edges, expected)
    conv_basics.show_cross_correlation()
    assert "[[19. 25.]\n [37. 43.]]" in capsys.readouterr().out


@pytest.mark.parametrize("replicas", [1, 2])
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_the_edge_kernel_is_learned_within_005_in_20_steps(impl, replicas):
    config = conv_basics.DEFAULTS.replace(verbose=0)
    assert config.epochs <= 20 and config.batch_size == conv_basics.NUM_IMAGES  # 1 step an epoch
    result = conv_basics.run(impl, config, get_strategy(replicas))
    assert len(result.history) == config.epochs
    kernel = conv_basics.learned_kernel(result.model)
    np.testing.assert_allclose(kernel, [[1.0, -1.0]], atol=0.05)
    assert result.metrics["kernel_error"] < 0.05
    assert result.history[-1]["loss"] < result.history[0]["loss"] / 100


def test_scratch_and_concise_edge_detectors_take_the_same_steps():
    config = conv_basics.DEFAULTS.replace(epochs=5, verbose=0)
    kernels = [conv_basics.learned_kernel(conv_basics.run(impl, config, get_strategy(1)).model)
               for impl in ("scratch", "concise")]
    np.testing.assert_allclose(kernels[0], kernels[1], rtol=1e-4, atol=1e-5)


def test_padding_stride_channels_and_pooling_agree_with_tensorflow(capsys):
    for setting in [((8, 8), (3, 3), (1, 1), (1, 1)), ((8, 8), (3, 5), (0, 1), (3, 4)),
                    ((9, 7), (2, 4), (2, 0), (2, 3))]:
        assert conv_basics.conv_output_shape(*setting) == conv_basics.convolved_shape(*setting)
    X = tf.random.stateless_normal((3, 4, 4), seed=(0, 1))
    K = tf.random.stateless_normal((2, 3, 1, 1), seed=(2, 3))
    np.testing.assert_allclose(conv_basics.corr2d_multi_in_out(X, K),
                               conv_basics.corr2d_multi_in_out_1x1(X, K), atol=1e-5)
    grid = tf.constant([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    np.testing.assert_array_equal(conv_basics.pool2d(grid, (2, 2)), [[4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(conv_basics.pool2d(grid, (2, 2), "avg"), [[2.0, 3.0], [5.0, 6.0]])
    conv_basics.show_padding_and_stride()
    conv_basics.show_channels()
    conv_basics.show_pooling()
    printed = capsys.readouterr().out
    assert "formula (2, 2), tf.nn.conv2d (2, 2)" in printed
    assert "tf.nn.conv2d agrees: True" in printed and "matrix product over the channels: True" in printed
    assert "[[ 56.  72.]\n [104. 120.]]" in printed


def test_the_notebook_calls_every_demonstration_after_its_section():
    notebook = lecture_notebook("conv_basics", lecture_source("conv_basics").read_text())
    calls = [cell.source for cell in notebook.cells
             if cell.cell_type == "code" and cell.source.startswith("show_")]
    assert calls == ["show_cross_correlation()", "show_edge_detection()", "show_learned_kernel()",
                     "show_padding_and_stride()", "show_channels()", "show_pooling()"]
    ids = [cell.id for cell in notebook.cells]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------------------
# lenet and lenet_classic
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_lenet_learns_far_better_than_chance(impl, small_data):
    result = lenet.run(impl, lenet.DEFAULTS.replace(**SMALL), get_strategy(1), data=small_data)
    assert result.metrics["test_accuracy"] > 0.6, result.metrics  # chance is 0.1
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(result.history[-1])
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert result.history[-1]["val_accuracy"] == pytest.approx(result.metrics["test_accuracy"])


def block_split(size, seed):
    """Images whose class is the position of a bright 10 × 5 block, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size).astype(np.int32)
    images = 0.3 * rng.uniform(size=(size, 28, 28))
    for index, label in enumerate(labels):
        row, column = divmod(int(label), 5)
        images[index, 2 + 12 * row : 12 + 12 * row, 1 + 5 * column : 6 + 5 * column] += 0.7
    return images.astype(np.float32), labels


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_classic_lenet_learns_far_better_than_chance(impl):
    # Sigmoid layers start on a plateau (the loss stays near log 10 for a few hundred
    # steps): 250 steps on images with spatial structure, which pooling keeps.
    data = block_split(2000, seed=1), block_split(200, seed=2)
    config = lenet_classic.DEFAULTS.replace(**{**SMALL, "epochs": 4, "learning_rate": 0.003})
    result = lenet_classic.run(impl, config, get_strategy(1), data=data)
    assert result.metrics["test_accuracy"] > 0.6, result.metrics


@pytest.mark.parametrize("lecture", [lenet, lenet_classic])
def test_scratch_and_concise_lenets_take_the_same_steps(lecture, small_data):
    """Same initial weights, flatten order, loss and optimizer: with one batch per
    epoch (so the order of the examples cannot matter) the two agree."""
    config = lecture.DEFAULTS.replace(**{**SMALL, "epochs": 3, "batch_size": 400})
    histories = [lecture.run(impl, config, get_strategy(1), data=small_data).history
                 for impl in ("scratch", "concise")]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose([r[name] for r in histories[0]], [r[name] for r in histories[1]],
                                   rtol=2e-3, atol=2e-3, err_msg=name)


def test_scratch_and_concise_models_compute_the_same_function():
    images = tf.random.stateless_uniform((3, 28, 28), seed=(4, 5))
    for activation, pooling in [("relu", "max"), ("sigmoid", "avg")]:
        scratch = lenet.LeNetScratch(activation, pooling, seed=3)
        concise = lenet.build_concise_model(activation, pooling, seed=3)
        np.testing.assert_allclose(scratch(images), concise(images), rtol=1e-4, atol=1e-5)
        assert concise.count_params() == 61_706
        assert sum(int(np.prod(v.shape)) for v in scratch.trainable_variables) == 61_706
    kinds = [type(layer).__name__ for layer in lenet_classic.build_concise_model().layers]
    assert kinds.count("AveragePooling2D") == 2 and "MaxPooling2D" not in kinds


def test_scratch_lenet_uses_tf_nn_pooling(monkeypatch):
    calls = []
    original = tf.nn.avg_pool2d
    monkeypatch.setitem(lenet.POOLINGS, "avg", lambda *a, **k: calls.append(1) or original(*a, **k))
    lenet_classic.build_scratch_model()(tf.zeros((1, 28, 28)))
    assert len(calls) == 2


@pytest.mark.parametrize("lecture, impl", [(lenet, "scratch"), (lenet, "concise"),
                                           (lenet_classic, "concise")])  # classic scratch: CLI test
def test_one_epoch_under_two_replicas_drops_the_incomplete_batch(lecture, impl, small_data):
    # 400 examples in batches of 48: 8 complete batches, and 16 examples dropped under 2
    # replicas, since a replica without examples breaks Conv2D's gradient.
    config = lecture.DEFAULTS.replace(**{**SMALL, "epochs": 1, "batch_size": 48})
    train_data, _ = make_pipelines(small_data, config, num_replicas=2)
    assert int(train_data.cardinality()) == 8
    result = lecture.run(impl, config, get_strategy(2), data=small_data)
    assert np.isfinite(result.history[0]["loss"])
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0


def test_scratch_steps_do_not_depend_on_the_number_of_replicas(small_data):
    # 400 examples in batches of 40: both take the same 10 steps (no remainder dropped).
    config = lenet.DEFAULTS.replace(**{**SMALL, "epochs": 1, "batch_size": 40})
    one = lenet.run("scratch", config, get_strategy(1), data=small_data)
    two = lenet.run("scratch", config, get_strategy(2), data=small_data)
    for name in ("K1", "b1", "K2", "W3", "W5", "b5"):
        np.testing.assert_allclose(getattr(one.model, name).numpy(),
                                   getattr(two.model, name).numpy(), rtol=1e-3, atol=1e-4)
    assert one.metrics["test_accuracy"] == pytest.approx(two.metrics["test_accuracy"], abs=0.02)


def test_unknown_activation_or_pooling_is_rejected(small_data):
    with pytest.raises(ValueError, match="Unknown activation 'tanh'"):
        lenet.run("scratch", lenet.DEFAULTS.replace(**SMALL), get_strategy(1), data=small_data,
                  activation="tanh")
    with pytest.raises(ValueError, match="Unknown pooling 'min'"):
        lenet.build_concise_model(pooling="min")


def test_topics_are_registered():
    for topic, lecture in [("conv_basics", conv_basics), ("lenet", lenet),
                           ("lenet_classic", lenet_classic)]:
        assert TOPICS[topic] == lecture.__name__ and load_topic(topic) is lecture
    assert lenet.DEFAULTS.epochs == lenet_classic.DEFAULTS.epochs == 10
    assert isinstance(lenet.build_concise_model(), keras.Model)


def test_cli_trains_lenet_from_a_data_folder_under_two_replicas(tmp_path, small_data, capsys):
    folder = write_idx_folder(tmp_path / "fashion-mnist", small_data)
    metrics_path = tmp_path / "metrics.json"
    status = main(["train", "lenet_classic", "--impl", "scratch", "--epochs", "1",
                   "--batch-size", "64", "--replicas", "2", "--data-dir", str(folder), "--quiet",
                   "--metrics-out", str(metrics_path)])
    assert status == 0, capsys.readouterr().err
    report = json.loads(metrics_path.read_text())
    assert report["replicas"] == 2 and 0.0 <= report["metrics"]["test_accuracy"] <= 1.0


def test_cli_trains_conv_basics(capsys):
    assert main(["train", "conv_basics", "--impl", "concise", "--epochs", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "kernel_error = " in out
