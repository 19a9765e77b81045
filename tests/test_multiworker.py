"""Training beyond one process: MultiWorkerMirroredStrategy, checkpoints, GPU-ready defaults.

The cluster tests start real worker processes on loopback ports (each imports
TensorFlow), so they are marked slow. The rest run in this process.
"""

import json
import logging
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO
from float32_rounding import (
    ELEMENTWISE,
    EPS32,
    assert_within,
    sgd_bound,
    sgd_update_bound,
    sum_bound,
)
from test_lecture_linear_regression import sgd_rounding_bound

from coursework import distribute, fashion_mnist, training
from coursework import linear_regression as linear
from coursework.cli import _without_options, main
from coursework.multiworker import free_ports, launch_local_workers
from coursework.training import checkpointing, per_example_loss, per_example_metric


def write_fashion_mnist(folder, train_size=256, test_size=64):
    """A small random Fashion-MNIST in the official IDX layout."""
    rng = np.random.default_rng(0)
    for split, size in (("train", train_size), ("test", test_size)):
        images_name, labels_name = fashion_mnist.IDX_FILES[split]
        fashion_mnist.write_idx(folder / images_name, rng.integers(0, 256, (size, 28, 28), np.uint8))
        fashion_mnist.write_idx(folder / labels_name, rng.integers(0, 10, size, np.uint8))
    return folder


def load_weights(path):
    with np.load(path) as arrays:
        return [arrays[name] for name in arrays.files]


def weights_of(model):
    return [np.asarray(v.numpy()) for v in (getattr(model, "variables", None) or model.trainable_variables)]


# ---------------------------------------------------------------------------
# Cluster configuration
# ---------------------------------------------------------------------------
def test_cluster_config_names_every_worker_and_this_one():
    config = distribute.cluster_config(["a:1000", "b:1001"], 1)
    assert config == {"cluster": {"worker": ["a:1000", "b:1001"]}, "task": {"type": "worker", "index": 1}}


@pytest.mark.parametrize(
    "workers, index, message",
    [
        ([], 0, "at least one worker address"),
        (["node1"], 0, "is not host:port"),
        (["node1:http"], 0, "is not host:port"),
        (["a:1", "b:2"], 2, "--task-index must be between 0 and 1"),
    ],
)
def test_bad_cluster_configs_are_explained(workers, index, message):
    with pytest.raises(ValueError, match=message):
        distribute.cluster_config(workers, index)


def test_tf_config_is_read_and_checked(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.read_cluster_config() is None
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        distribute.read_cluster_config()
    monkeypatch.setenv("TF_CONFIG", json.dumps(distribute.cluster_config(["h:1", "h:2"], 0)))
    assert distribute.read_cluster_config()["task"]["index"] == 0


def test_free_ports_are_distinct():
    ports = free_ports(4)
    assert len(set(ports)) == 4 and all(0 < port < 65536 for port in ports)


def test_launcher_options_are_removed_before_the_workers_get_them():
    argv = ["train", "mlp", "--workers", "2", "--checkpoint-dir=/c", "--max-restarts", "1", "--epochs", "3"]
    assert _without_options(argv, {"--workers", "--checkpoint-dir", "--max-restarts"}) == [
        "train", "mlp", "--epochs", "3"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--workers", "2", "--replicas", "2"], "--replicas applies to one process"),
        (["--cluster", "a:1,b:2"], "--cluster and --task-index go together"),
        (["--workers", "2", "--cluster", "a:1", "--task-index", "0"], "not both"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--impl", "scratch", "--mixed-precision"], "--mixed-precision applies to the concise"),
    ],
)
def test_bad_cluster_options_give_a_clear_message(arguments, message, capsys):
    assert main(["train", "linear_regression", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_launch_needs_two_workers(tmp_path):
    with pytest.raises(ValueError, match="at least 2"):
        launch_local_workers(["linear_regression"], 1, checkpoint_dir=tmp_path)


# ---------------------------------------------------------------------------
# GPU-ready defaults, with faked device lists
# ---------------------------------------------------------------------------
class FakeDevice:
    def __init__(self, name):
        self.name = name


@pytest.fixture
def four_fake_gpus(monkeypatch):
    gpus = [FakeDevice(f"/device:GPU:{i}") for i in range(4)]
    real_physical = tf.config.list_physical_devices
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else real_physical(kind)
    )
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    return gpus


def test_every_visible_gpu_is_a_replica_by_default(four_fake_gpus):
    assert distribute.replica_devices() == [f"/device:GPU:{i}" for i in range(4)]


def test_replicas_picks_the_first_gpus(four_fake_gpus):
    assert distribute.replica_devices(2) == ["/device:GPU:0", "/device:GPU:1"]
    with pytest.raises(ValueError, match="only 4 GPUs exist"):
        distribute.replica_devices(5)


def test_mixed_precision_needs_a_gpu():
    with pytest.raises(ValueError, match="needs a GPU"), distribute.mixed_precision():
        pass
    assert keras.mixed_precision.global_policy().name == "float32"


def test_mixed_precision_on_gpus_computes_in_float16_with_loss_scaling(four_fake_gpus):
    with distribute.mixed_precision():
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        assert model.layers[0].compute_dtype == "float16"
        assert model.layers[0].kernel.dtype == "float32"
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.mixed_precision.global_policy().name == "float32", "the policy is restored"
    with pytest.raises(RuntimeError), distribute.mixed_precision():
        raise RuntimeError("a failed run")
    assert keras.mixed_precision.global_policy().name == "float32", "restored after an error"


# ---------------------------------------------------------------------------
# The concise path's fallback pieces
# ---------------------------------------------------------------------------
def test_keras_losses_and_metrics_become_per_example_functions():
    labels = tf.constant([0, 2])
    logits = tf.constant([[2.0, 0.0, 0.0], [0.0, 3.0, 1.0]])
    loss = per_example_loss(keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(labels, logits)
    np.testing.assert_allclose(loss(labels, logits), expected, rtol=1e-6)
    accuracy = per_example_metric(keras.metrics.SparseCategoricalAccuracy(name="accuracy"))
    np.testing.assert_array_equal(accuracy(labels, logits), [1.0, 0.0])
    with pytest.raises(ValueError, match="not a mean of per-example values"):
        per_example_metric(keras.metrics.AUC())


# ---------------------------------------------------------------------------
# Checkpoints: a stopped run, started again, ends as if it had never stopped
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("replicas", [1, 2])
def test_scratch_training_resumes_from_its_checkpoint_with_identical_results(tmp_path, replicas):
    strategy = distribute.get_strategy(replicas)
    config = linear.DEFAULTS.replace(verbose=0)
    uninterrupted = linear.run("scratch", config.replace(epochs=4), strategy)
    with checkpointing(tmp_path):  # a run that stops after epoch 2
        linear.run("scratch", config.replace(epochs=2), strategy)
    assert tf.train.latest_checkpoint(tmp_path / "scratch-1").endswith("ckpt-2")
    with checkpointing(tmp_path):  # started again, as a new process would
        resumed = linear.run("scratch", config.replace(epochs=4), strategy)
    assert tf.train.latest_checkpoint(tmp_path / "scratch-1").endswith("ckpt-4")
    assert not (tmp_path / "scratch-2").exists()
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in uninterrupted.history]
    for got, want in zip(weights_of(resumed.model), weights_of(uninterrupted.model), strict=True):
        np.testing.assert_array_equal(got, want)


def test_each_training_of_a_run_resumes_from_its_own_checkpoint(tmp_path):
    # The polynomial lecture fits three models of different sizes in one run.
    from coursework import polynomial_regression as polynomial

    strategy = distribute.get_strategy(2)
    config = polynomial.DEFAULTS.replace(epochs=3, batch_size=10, verbose=0)
    uninterrupted = polynomial.run("scratch", config, strategy)
    with checkpointing(tmp_path):
        polynomial.run("scratch", config, strategy)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scratch-1", "scratch-2", "scratch-3"]
    with checkpointing(tmp_path):
        restored = polynomial.run("scratch", config, strategy)  # every fit restored, none retrained
    assert restored.metrics == uninterrupted.metrics


def test_weights_of_several_fits_are_exported_by_name(tmp_path):
    from coursework.cli import export_weights

    first, second = tf.Module(), tf.Module()
    first.w, second.w = tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])
    path = export_weights({"normal": first, "underfit": second}, str(tmp_path), 1)
    with np.load(path) as arrays:
        assert arrays.files == ["normal/0", "underfit/0"]
        np.testing.assert_array_equal(arrays["underfit/0"], [[3.0]])
    single = load_weights(export_weights(first, str(tmp_path), 0))
    np.testing.assert_array_equal(single[0], [1.0, 2.0])


def test_the_adam_state_is_checkpointed_too():
    from coursework.scratch import SGD, Adam

    variable = tf.Variable(tf.zeros(3))
    adam = Adam(0.1)
    adam.build([variable])
    assert len(adam.variables) == 3  # step counter, first and second moment
    assert SGD(0.1).variables == []


def test_fit_resumes_after_an_interrupted_run(tmp_path):
    strategy = distribute.get_strategy(1)
    config = linear.DEFAULTS.replace(verbose=0)

    class StopAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    original_fit = keras.Model.fit

    def interrupted_fit(self, *args, callbacks=(), **kwargs):
        return original_fit(self, *args, callbacks=[*callbacks, StopAfterTwoEpochs()], **kwargs)

    with checkpointing(tmp_path):
        keras.Model.fit = interrupted_fit
        try:
            with pytest.raises(KeyboardInterrupt):
                linear.run("concise", config.replace(epochs=4), strategy)
        finally:
            keras.Model.fit = original_fit
    assert (tmp_path / "fit-1").is_dir()
    with checkpointing(tmp_path):  # started again, as a new process would
        resumed = linear.run("concise", config.replace(epochs=4), strategy)
    assert [record["epoch"] for record in resumed.history] == [3, 4]  # epochs 1-2 were restored


# ---------------------------------------------------------------------------
# Real clusters of local worker processes
# ---------------------------------------------------------------------------
def coursework(*arguments, env=None, timeout=600):
    completed = subprocess.run(
        [sys.executable, "-m", "coursework", *arguments],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_two_workers_train_linear_regression_like_one_process(tmp_path, impl):
    completed = coursework(
        "train", "linear_regression", "--impl", impl, "--workers", "2", "--epochs", "3",
        "--quiet", "--metrics-out", str(tmp_path / "m.json"), "--export-weights", str(tmp_path / "w"),
    )
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["workers"] == 2 and report["replicas"] == 2 and report["chief"] is True
    if impl == "concise":
        assert "Keras issue #20585" in completed.stdout
    chief, other = load_weights(tmp_path / "w" / "worker-0.npz"), load_weights(tmp_path / "w" / "worker-1.npz")
    for a, b in zip(chief, other, strict=True):
        np.testing.assert_array_equal(a, b)  # one model, kept identical on both workers
    config = linear.DEFAULTS.replace(epochs=3, verbose=0)
    single = linear.learned_parameters(linear.run(impl, config, distribute.get_strategy(1)).model)
    # The same global batches and steps; only the order of the float32 sums differs.
    by_size = {array.size: array.reshape(-1) for array in chief}
    workers = (by_size[2], float(by_size[1][0]))  # w and b
    w_bound, b_bound = sgd_rounding_bound(config, [workers, single])
    assert_within(workers[0], single[0], w_bound, "w")
    assert_within(workers[1], single[1], b_bound, "b")
    assert report["metrics"]["w_error"] < 1e-3


def _sigmoid_mlp_gradient_bounds(weights, images, labels, batch):
    """One step of the sigmoid MLP in float64: its gradients, and how far two float32 runs' can be apart.

    First order in the rounding. Forward, each hidden pre-activation is a sum
    of 784 + 1 terms and each logit of 256 + 1, with their `sum_bound`s; the
    sigmoid multiplies a difference by its slope ``h (1 - h)``, the softmax's
    Jacobian ``diag(p) - p p^T`` carries the logits' differences to the
    gradient ``(p - y) / batch``. Backward, the hidden units' gradient sums 10
    terms and every weight's gradient the batch's ``batch`` examples.
    """
    w = {name: tf.Variable(np.asarray(value, np.float64)) for name, value in weights.items()}
    x = tf.constant(images.reshape(len(images), -1), tf.float64)
    with tf.GradientTape() as tape:
        hidden = tf.sigmoid(x @ w["W1"] + w["b1"])
        logits = hidden @ w["W2"] + w["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
    names = sorted(w)
    found = tape.gradient(loss, [w[name] for name in names] + [hidden, logits])
    gradients = {name: g.numpy() for name, g in zip(names, found, strict=False)}
    delta_h, delta_o = np.abs(found[-2].numpy()), np.abs(found[-1].numpy())
    h, o, x = hidden.numpy(), logits.numpy(), np.abs(x.numpy())
    a = {name: np.abs(value) for name, value in weights.items()}
    slope = h * (1 - h)
    dh = slope * sum_bound(x @ a["W1"] + a["b1"], 784 + 1) + ELEMENTWISE * h
    do = sum_bound(h @ a["W2"] + a["b2"], 256 + 1) + dh @ a["W2"]
    shifted = o - o.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    dp = (p * (do + (p * do).sum(axis=1, keepdims=True))
          + p * (EPS32 * np.abs(shifted) + ELEMENTWISE + sum_bound(1.0, 10 + 1)))
    e_o = dp / batch + EPS32 * delta_o
    bounds = {"W2": dh.T @ delta_o + h.T @ e_o + sum_bound(h.T @ delta_o, batch),
              "b2": e_o.sum(0) + sum_bound(delta_o.sum(0), batch)}
    e_h = e_o @ a["W2"].T + sum_bound(delta_o @ a["W2"].T, 10)
    e_z = slope * e_h + delta_h * np.abs(1 - 2 * h) * dh + ELEMENTWISE * slope * delta_h
    delta_z = slope * delta_h
    bounds["W1"] = x.T @ e_z + sum_bound(x.T @ delta_z, batch)
    bounds["b1"] = e_z.sum(0) + sum_bound(delta_z.sum(0), batch)
    return gradients, bounds


@pytest.mark.slow
def test_two_workers_train_the_mlp_with_identical_copies(tmp_path, monkeypatch):
    """Two worker processes keep identical copies and take the one-process run's steps,
    up to float32 sums taken in another order.

    The MLP is made kink-free (sigmoid hidden units) and trained with plain SGD
    in the workers (`kink_free_worker`) and here, so that the rounding has a
    bound (`float32_rounding`): derived step by step along the same 8 steps
    replayed in float64 (`_sigmoid_mlp_gradient_bounds`) and summed by SGD.
    """
    from kink_free_worker import patches

    from coursework import classification, mlp

    data = write_fashion_mnist(tmp_path / "data")
    arguments = ["train", "mlp", "--impl", "scratch", "--epochs", "2", "--batch-size", "64",
                 "--lr", "0.5", "--data-dir", str(data), "--quiet",
                 "--export-weights", str(tmp_path / "w")]
    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    script = REPO / "tests" / "kink_free_worker.py"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen(
        [sys.executable, str(script), *arguments, "--cluster", cluster, "--task-index", str(index),
         *(["--metrics-out", str(tmp_path / "m.json")] if index == 0 else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env)
        for index in range(2)]
    for worker in workers:
        output, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0, output
    chief, other = load_weights(tmp_path / "w" / "worker-0.npz"), load_weights(tmp_path / "w" / "worker-1.npz")
    for a, b in zip(chief, other, strict=True):
        np.testing.assert_array_equal(a, b)  # one model, kept identical on both workers
    assert not (tmp_path / "w" / "worker-1.json").exists()
    assert json.loads((tmp_path / "m.json").read_text())["workers"] == 2

    with monkeypatch.context() as patched:
        for module, name, value in patches():  # as in the workers
            patched.setattr(module, name, value)
        config = mlp.DEFAULTS.replace(epochs=2, batch_size=64, learning_rate=0.5,
                                      data_dir=str(data), verbose=0)
        single = mlp.run("scratch", config, distribute.get_strategy(1)).model
    names = [variable.name.split(":")[0] for variable in single.trainable_variables]
    one = {name: variable.numpy() for name, variable in zip(names, single.trainable_variables,
                                                            strict=True)}
    cluster_weights = dict(zip(names, chief, strict=True))
    start = mlp.MLPScratch(seed=config.seed)
    weights = {name: getattr(start, name).numpy().astype(np.float64) for name in names}
    bound = {name: np.zeros_like(value) for name, value in weights.items()}
    splits = classification.load_splits(config)
    training.set_seed(config.seed)  # the batches of the runs, in their order
    train_data, _ = classification.make_pipelines(splits, config, num_replicas=1)
    for _ in range(config.epochs):
        for images, labels in train_data:
            gradients, steps = _sigmoid_mlp_gradient_bounds(weights, images.numpy(), labels.numpy(),
                                                            len(images))
            for name in names:
                weights[name] = weights[name] - config.learning_rate * gradients[name]
                bound[name] += (sgd_bound(config.learning_rate, steps[name][None])
                                + sgd_update_bound(config.learning_rate, gradients[name],
                                                   weights[name]))
    for name in names:
        assert_within(cluster_weights[name], one[name], bound[name], name)
        assert_within(weights[name], one[name], bound[name], f"{name} (float64 replay)")
    moved = np.abs(one["W2"] - start.W2.numpy())
    assert np.median(bound["W2"] / moved) < 0.1, "bound too loose to test"


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_the_run_ends_as_if_uninterrupted(tmp_path):
    arguments = ["train", "linear_regression", "--impl", "scratch", "--workers", "2", "--epochs", "4", "--quiet"]
    coursework(*arguments, "--export-weights", str(tmp_path / "plain"))
    completed = coursework(
        *arguments, "--export-weights", str(tmp_path / "restarted"),
        "--metrics-out", str(tmp_path / "m.json"), "--checkpoint-dir", str(tmp_path / "checkpoints"),
        env={"COURSEWORK_KILL_AFTER_EPOCH": "2", "COURSEWORK_KILL_WORKER": "1"},
    )
    assert "worker 1 stopped (killed by signal 9)" in completed.stderr
    assert "attempt 2 of 3" in completed.stderr
    for name in ("worker-0.npz", "worker-1.npz"):
        for got, want in zip(load_weights(tmp_path / "restarted" / name),
                             load_weights(tmp_path / "plain" / name), strict=True):
            np.testing.assert_array_equal(got, want)
    history = json.loads((tmp_path / "m.json").read_text())["history"]
    assert [record["epoch"] for record in history] == [1, 2, 3, 4]


def test_creating_a_strategy_logs_no_info_line(caplog):
    """A notebook kernel shows INFO records: "Using MirroredStrategy with devices" is hidden."""
    logger = tf.get_logger()
    before = logger.level
    with caplog.at_level(logging.INFO), distribute._info_lines_hidden():
        logger.info("Using MirroredStrategy with devices ...")
        logger.warning("a warning still shows")
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert logger.level == before
