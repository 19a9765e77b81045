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
from float32_rounding import (
    ELEMENTWISE,
    EPS32,
    assert_within,
    sgd_bound,
    sgd_update_bound,
    sum_bound,
)
from test_lecture_classification import synthetic_split, write_idx_folder

from autograder.generate.lecture_notebooks import lecture_notebook, lecture_source
from coursework import classification, conv_basics, lenet, lenet_classic, scratch
from coursework.classification import make_pipelines
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.topics import TOPICS, load_topic
from coursework.training import set_seed

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


LENET_VARIABLES = ("K1", "b1", "K2", "b2", "W3", "b3", "W4", "b4", "W5", "b5")


def _float64(array):
    return tf.constant(np.asarray(array, np.float64))


def _transpose_product(linear, shape, upstream):
    """``linear``'s transpose applied to `upstream` (a vector-Jacobian product at zero)."""
    point = tf.zeros(shape, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(point)
        output = linear(point)
    return tape.gradient(output, point, output_gradients=_float64(upstream)).numpy()


def _conv(values, kernel, padding):
    return tf.nn.conv2d(_float64(values), _float64(kernel), 1, padding).numpy()


def _conv_to_input(upstream, kernel, shape, padding):
    """At each input, the sum over kernel offsets and output channels of kernel * upstream."""
    return _transpose_product(lambda x: tf.nn.conv2d(x, _float64(kernel), 1, padding), shape,
                              upstream)


def _conv_to_kernel(values, upstream, shape, padding):
    """For each kernel entry, the sum over examples and positions of values * upstream."""
    return _transpose_product(lambda k: tf.nn.conv2d(_float64(values), k, 1, padding), shape,
                              upstream)


def _pool(values):
    return tf.nn.avg_pool2d(_float64(values), 2, 2, "VALID").numpy()


def _unpool(upstream, shape):
    return _transpose_product(lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), shape, upstream)


def _classic_lenet_step(weights, images, labels):
    """The scratch LeNet's values and gradients for one batch, sigmoid and average pooling, in float64.

    Returns:
        ``(values, gradients, deltas)``: every intermediate value, the gradient
        of the batch's mean loss for every variable, and for the values.
    """
    variables = {name: tf.Variable(np.asarray(value, np.float64)) for name, value in weights.items()}
    w = variables
    with tf.GradientTape() as tape:
        v = {"x": _float64(images.reshape(-1, 28, 28, 1))}
        v["h1"] = tf.sigmoid(tf.nn.conv2d(v["x"], w["K1"], 1, "SAME") + w["b1"])
        v["p1"] = tf.nn.avg_pool2d(v["h1"], 2, 2, "VALID")
        v["h2"] = tf.sigmoid(tf.nn.conv2d(v["p1"], w["K2"], 1, "VALID") + w["b2"])
        v["p2"] = tf.reshape(tf.nn.avg_pool2d(v["h2"], 2, 2, "VALID"), (len(images), -1))
        v["h3"] = tf.sigmoid(v["p2"] @ w["W3"] + w["b3"])
        v["h4"] = tf.sigmoid(v["h3"] @ w["W4"] + w["b4"])
        v["o"] = v["h4"] @ w["W5"] + w["b5"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, v["o"]))
    names = ["o", "h4", "h3", "h2", "h1"]
    found = tape.gradient(loss, [w[name] for name in LENET_VARIABLES] + [v[name] for name in names])
    gradients = {name: g.numpy() for name, g in zip(LENET_VARIABLES, found, strict=False)}
    deltas = {name: g.numpy() for name, g in zip(names, found[len(LENET_VARIABLES):], strict=True)}
    return {name: value.numpy() for name, value in v.items()}, gradients, deltas


def _classic_lenet_gradient_bounds(weights, values, deltas, batch):
    """How far one step's gradients can be apart in two float32 runs that sum in other orders.

    First order in the rounding, with the values of the step (from the float64
    replay). Forward, each value ``z = sum_k w_k h_k + b`` differs by the
    rounding of its own sum (`sum_bound` of its ``|w_k h_k|``) plus its inputs'
    differences carried by ``|w|``; a sigmoid multiplies a difference by its
    slope ``h (1 - h)``; an average of 4 adds its rounding. Backward, each
    gradient is a sum too: ``W^T delta`` over the outputs a value feeds, and a
    weight's gradient over the batch's examples and, for a kernel, the
    positions it slides over (``batch * 784`` terms for K1): each differs by
    the rounding of that sum plus the differences of its terms. The softmax's
    Jacobian ``diag(p) - p p^T`` carries the logits' differences.
    """
    a = {name: np.abs(value) for name, value in weights.items()}
    v = {name: np.abs(value) for name, value in values.items()}
    n = len(values["x"])

    def slope(h):
        return h * (1 - h)  # the sigmoid's derivative, from its output

    # Forward: d* bounds how far a value can be from the other run's.
    dh1 = (slope(v["h1"]) * sum_bound(_conv(v["x"], a["K1"], "SAME") + a["b1"], 25 + 1)
           + ELEMENTWISE * v["h1"])
    dp1 = _pool(dh1) + ELEMENTWISE * v["p1"]
    dz2 = (sum_bound(_conv(v["p1"], a["K2"], "VALID") + a["b2"], 150 + 1)
           + _conv(dp1, a["K2"], "VALID"))
    dh2 = slope(v["h2"]) * dz2 + ELEMENTWISE * v["h2"]
    dp2 = (_pool(dh2) + ELEMENTWISE * _pool(v["h2"])).reshape(n, -1)
    dh3 = (slope(v["h3"]) * (sum_bound(v["p2"] @ a["W3"] + a["b3"], 400 + 1) + dp2 @ a["W3"])
           + ELEMENTWISE * v["h3"])
    dh4 = (slope(v["h4"]) * (sum_bound(v["h3"] @ a["W4"] + a["b4"], 120 + 1) + dh3 @ a["W4"])
           + ELEMENTWISE * v["h4"])
    do = sum_bound(v["h4"] @ a["W5"] + a["b5"], 84 + 1) + dh4 @ a["W5"]
    shifted = values["o"] - values["o"].max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    dp = (p * (do + (p * do).sum(axis=1, keepdims=True))  # the softmax's Jacobian
          + p * (EPS32 * np.abs(shifted) + ELEMENTWISE + sum_bound(1.0, 10 + 1)))  # its rounding
    # Backward: e bounds how far the gradient of the current value can be apart.
    delta = np.abs(deltas["o"])
    e = dp / batch + EPS32 * delta  # (p - y) / batch
    bounds = {}

    def dense(weight, bias, inputs, d_inputs, delta, e):
        bounds[weight] = (d_inputs.T @ delta + inputs.T @ e
                          + sum_bound(inputs.T @ delta, batch))
        bounds[bias] = e.sum(0) + sum_bound(delta.sum(0), batch)
        return e @ a[weight].T + sum_bound(delta @ a[weight].T, a[weight].shape[1])

    def sigmoid(e, delta_h, h, dh):
        """The gradient's difference before the sigmoid, and the gradient there."""
        delta_z = slope(h) * np.abs(delta_h)
        return slope(h) * e + np.abs(delta_h) * np.abs(1 - 2 * h) * dh + ELEMENTWISE * delta_z, delta_z

    e = dense("W5", "b5", v["h4"], dh4, delta, e)
    e, delta = sigmoid(e, deltas["h4"], values["h4"], dh4)
    e = dense("W4", "b4", v["h3"], dh3, delta, e)
    e, delta = sigmoid(e, deltas["h3"], values["h3"], dh3)
    e = dense("W3", "b3", v["p2"], dp2, delta, e)
    e = _unpool(e.reshape(n, 5, 5, 16), (n, 10, 10, 16))
    e, delta = sigmoid(e, deltas["h2"], values["h2"], dh2)
    kernel = a["K2"].shape
    bounds["K2"] = (_conv_to_kernel(dp1, delta, kernel, "VALID")
                    + _conv_to_kernel(v["p1"], e, kernel, "VALID")
                    + sum_bound(_conv_to_kernel(v["p1"], delta, kernel, "VALID"), batch * 100))
    bounds["b2"] = e.sum((0, 1, 2)) + sum_bound(delta.sum((0, 1, 2)), batch * 100)
    shape = (n, 14, 14, 6)
    e = (_conv_to_input(e, a["K2"], shape, "VALID")
         + sum_bound(_conv_to_input(delta, a["K2"], shape, "VALID"), 25 * 16))
    e = _unpool(e, (n, 28, 28, 6))
    e, delta = sigmoid(e, deltas["h1"], values["h1"], dh1)
    kernel = a["K1"].shape
    bounds["K1"] = (_conv_to_kernel(v["x"], e, kernel, "SAME")
                    + sum_bound(_conv_to_kernel(v["x"], delta, kernel, "SAME"), batch * 784))
    bounds["b1"] = e.sum((0, 1, 2)) + sum_bound(delta.sum((0, 1, 2)), batch * 784)
    return bounds


def test_scratch_steps_do_not_depend_on_the_number_of_replicas(small_data, monkeypatch):
    """Same steps under 1 and 2 replicas, up to float32 sums taken in another order.

    The lecture's scratch LeNet and loop, kink-free (sigmoid and average
    pooling, the ``lenet_classic`` choices, through ``lenet.run``'s options)
    and with plain SGD, so that the rounding has a bound (`float32_rounding`
    says why Adam, ReLU and max pooling allow none). The bound is derived step
    by step (`_classic_lenet_gradient_bounds`) along the same 10 steps replayed
    in float64, and summed by SGD (`sgd_bound`) with each update's own rounding.

    It is a worst case: the early layers' gradients are tiny sums of large
    terms that cancel, so their bound is far above what they move; the last
    layers' is well below, and there a gradient halved, as a replica-scaling
    mistake would do, must exceed it.
    """
    learning_rate = 0.1
    monkeypatch.setattr(classification, "scratch_optimizer",
                        lambda config, steps: scratch.SGD(config.learning_rate))
    # 400 examples in batches of 40: both take the same 10 steps (no remainder dropped).
    config = lenet.DEFAULTS.replace(
        **{**SMALL, "epochs": 1, "batch_size": 40, "learning_rate": learning_rate})

    def train(replicas, config=config):
        return lenet.run("scratch", config, get_strategy(replicas), data=small_data,
                         activation="sigmoid", pooling="avg").model

    one, two = train(1), train(2)
    start = lenet.LeNetScratch("sigmoid", "avg", seed=config.seed)
    weights = {name: getattr(start, name).numpy().astype(np.float64) for name in LENET_VARIABLES}
    bound = {name: np.zeros_like(value) for name, value in weights.items()}
    set_seed(config.seed)  # the batches of the runs, in their order
    train_data, _ = make_pipelines(small_data, config, num_replicas=1)
    for images, labels in train_data:
        values, gradients, deltas = _classic_lenet_step(weights, images.numpy(), labels.numpy())
        steps = _classic_lenet_gradient_bounds(weights, values, deltas, len(images))
        for name in LENET_VARIABLES:
            weights[name] = weights[name] - learning_rate * gradients[name]
            bound[name] += (sgd_bound(learning_rate, steps[name][None])
                            + sgd_update_bound(learning_rate, gradients[name], weights[name]))
    for name in LENET_VARIABLES:
        mine = getattr(one, name).numpy()
        assert_within(getattr(two, name).numpy(), mine, bound[name], name)
        assert_within(weights[name], mine, bound[name], f"{name} (float64 replay)")
    last = {name: getattr(one, name).numpy() - getattr(start, name).numpy()
            for name in ("W5", "b5")}
    for name, moved in last.items():
        assert np.median(bound[name] / np.abs(moved)) < 0.2, f"{name}: bound too loose to test"
    halved = train(2, config.replace(learning_rate=learning_rate / 2))
    with pytest.raises(AssertionError, match="float32 rounding bound"):
        assert_within(halved.W5.numpy(), one.W5.numpy(), bound["W5"], "W5")


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
