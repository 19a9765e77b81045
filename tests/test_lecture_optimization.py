"""The optimization lecture: saddle point, trajectories, Adam check, batch-size study.

The saddle point and the trajectories are exact computations and are tested
against the issue's targets. The batch-size study trains on small synthetic
data here (the classification lectures' patterns plus noise) with small
batches, so a run takes seconds; `benchmarks/optimization.py` runs it on
Fashion-MNIST with the lecture's batch sizes 16, 256 and 4096.
"""

import json

import numpy as np
import pytest
import tensorflow as tf
from test_lecture_classification import synthetic_split, write_idx_folder

from coursework import optimization, scratch
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.topics import load_topic

SMALL = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "verbose": 0}
SMALL_BATCHES = (8, 32, 128)


@pytest.fixture(scope="module")
def small_data():
    return synthetic_split(256, seed=1), synthetic_split(128, seed=2)


def test_saddle_point_of_the_material_example():
    saddle = optimization.analyse_saddle()
    assert saddle["gradient"] == [0.0, 0.0]
    np.testing.assert_allclose(saddle["eigenvalues"], [-2.0, 2.0])
    np.testing.assert_allclose(saddle["direction"], [2**-0.5, 2**-0.5])
    assert saddle["loss_after"] < saddle["loss_before"] == 1.0


def test_notebook_demonstrations_print_the_figures(capsys):
    optimization.show_saddle()
    optimization.show_trajectories()
    printed = capsys.readouterr().out
    assert "Hessian eigenvalues: [-2.0, 2.0]" in printed
    assert "quadratic  gd " in printed and "rosenbrock gd " in printed
    assert "hand-written Adam vs Keras after 100 steps" in printed


def test_lecture_hessian_of_rosenbrock_by_hand():
    x = tf.constant([1.0, 1.0], tf.float64)
    H = optimization.hessian(optimization.rosenbrock, x)
    # d²/dx1² = 2 - 400 (x2 - 3 x1²) = 802, d²/dx1dx2 = -400 x1, d²/dx2² = 200
    np.testing.assert_allclose(H.numpy(), [[802.0, -400.0], [-400.0, 200.0]])


@pytest.fixture(scope="module")
def steps():
    return {impl: optimization.count_steps(optimization.trajectories(impl))
            for impl in ("scratch", "concise")}


def test_momentum_needs_at_most_a_third_of_gradient_descents_steps(steps):
    for impl in ("scratch", "concise"):
        counts = steps[impl]
        for kind in optimization.OPTIMIZERS:
            for problem in optimization.PROBLEMS:
                assert counts[kind][problem] is not None, (impl, kind, problem)
        assert counts["momentum"]["quadratic"] * 3 <= counts["gd"]["quadratic"], counts
        assert counts["momentum"]["rosenbrock"] < counts["gd"]["rosenbrock"], counts


def test_hand_written_and_keras_optimizers_take_the_same_paths(steps):
    for kind in optimization.OPTIMIZERS:
        for problem in optimization.PROBLEMS:
            ours, theirs = steps["scratch"][kind][problem], steps["concise"][kind][problem]
            assert abs(ours - theirs) <= 1, (kind, problem, ours, theirs)


def test_steps_to_reach_counts_the_first_step_inside_the_tolerance():
    path = np.array([[1.0, 0.0], [0.01, 0.0], [0.0005, 0.0], [0.002, 0.0]])
    assert optimization.steps_to_reach(path, (0.0, 0.0)) == 2
    assert optimization.steps_to_reach(path[:2], (0.0, 0.0)) is None


def test_hand_written_adam_matches_keras_after_100_steps():
    assert optimization.adam_difference() <= 1e-6


def test_scratch_sgd_with_momentum_validates_and_needs_build():
    with pytest.raises(ValueError, match="momentum must be in"):
        scratch.SGD(0.1, momentum=1.0)
    sgd = scratch.SGD(0.1, momentum=0.5)
    variable = tf.Variable([1.0])
    with pytest.raises(RuntimeError, match="build"):
        sgd.apply_gradients([(tf.constant([1.0]), variable)])


def test_learning_rate_follows_the_square_root_rule():
    config = optimization.DEFAULTS
    assert optimization.scaled_learning_rate(config, config.batch_size) == config.learning_rate
    assert optimization.scaled_learning_rate(config, 4096) == pytest.approx(
        4 * config.learning_rate)
    assert optimization.scaled_learning_rate(config, 16) == pytest.approx(
        config.learning_rate / 4)


@pytest.mark.parametrize("impl, replicas", [("scratch", 2), ("concise", 1)])
def test_run_reports_every_metric(impl, replicas, small_data):
    strategy = get_strategy(replicas)
    config = optimization.DEFAULTS.replace(**SMALL)
    result = optimization.run(impl, config, strategy, data=small_data, batch_sizes=SMALL_BATCHES)
    metrics = result.metrics
    assert metrics["saddle_eigenvalues"] == pytest.approx([-2.0, 2.0])
    assert metrics["steps_momentum"]["quadratic"] * 3 <= metrics["steps_gd"]["quadratic"]
    assert metrics["steps_adam"]["quadratic"] is not None
    assert metrics["adam_max_diff"] <= 1e-6
    assert "not Fashion-MNIST" in metrics["batch_data"]
    table = metrics["batch_table"]
    assert [row["batch_size"] for row in table] == list(SMALL_BATCHES)
    assert [row["per_replica_batch_size"] for row in table] == [b // replicas for b in SMALL_BATCHES]
    assert [row["steps_per_epoch"] for row in table] == [32, 8, 2]
    for row in table:
        assert row["seconds_per_epoch"] > 0 and 0 <= row["test_accuracy"] <= 1
    assert table[0]["learning_rate"] == pytest.approx(0.01 * 0.5)
    # The small batch takes 16 times the steps and learns the easy data.
    assert table[0]["test_accuracy"] > 0.6, table
    assert sorted({r["batch_size"] for r in result.history}) == list(SMALL_BATCHES)
    assert len(result.history) == len(SMALL_BATCHES) * SMALL["epochs"]
    json.dumps(metrics)  # the metrics file is JSON
    assert result.model is not None  # the MLP of the reference batch size, 32


def test_run_rejects_bad_input(small_data):
    config = optimization.DEFAULTS.replace(**SMALL)
    with pytest.raises(ValueError, match="Unknown implementation"):
        optimization.run("fast", config, get_strategy(1), data=small_data)
    with pytest.raises(ValueError, match="batch_sizes"):
        optimization.run("scratch", config, get_strategy(1), data=small_data, batch_sizes=(0,))


def test_cli_trains_the_topic_from_a_data_folder(tmp_path, small_data, capsys):
    """``coursework train optimization --data-dir ...`` with tiny IDX files."""
    folder = write_idx_folder(tmp_path / "data", small_data)
    metrics_path, plot_path = tmp_path / "m.json", tmp_path / "curves.png"
    status = main(["train", "optimization", "--impl", "scratch", "--replicas", "2",
                   "--epochs", "1", "--quiet", "--data-dir", str(folder),
                   "--metrics-out", str(metrics_path), "--plot", str(plot_path)])
    assert status == 0
    report = json.loads(metrics_path.read_text())
    metrics = report["metrics"]
    assert {"saddle_eigenvalues", "steps_gd", "steps_momentum", "steps_adam", "adam_max_diff",
            "batch_table"} <= set(metrics)
    assert [row["batch_size"] for row in metrics["batch_table"]] == [16, 256]  # 4096 > 256 examples
    assert metrics["batch_data"].startswith(f"Fashion-MNIST from {folder}: 256 training")
    assert plot_path.read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "saddle_eigenvalues = [-2.0, 2.0]" in printed and "adam_max_diff = 0" in printed
    assert load_topic("optimization") is optimization


@pytest.mark.slow
def test_batch_study_on_real_fashion_mnist(shared_data):
    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    config = optimization.DEFAULTS.replace(epochs=1, data_dir=str(folder), verbose=0)
    result = optimization.run("concise", config, get_strategy(2), batch_sizes=(4096,))
    row = result.metrics["batch_table"][0]
    assert row["steps_per_epoch"] == 60000 // 4096 and row["per_replica_batch_size"] == 2048
    assert row["test_accuracy"] > 0.6, row
