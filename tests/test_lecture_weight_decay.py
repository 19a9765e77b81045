"""The weight-decay lecture: the factors that make concise equal scratch, K-fold, the run."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from float32_rounding import sum_bound
from linear_sgd_rounding import mean_half_squared_error_bound, replay_linear_sgd

from coursework import weight_decay as lecture
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.polynomial_regression import half_squared_error

METRICS = {
    "test_loss", "train_loss", "w_norm", "test_loss_no_decay", "w_norm_no_decay",
    "chosen_lambda", "chosen_test_loss", "best_test_loss",
}


@pytest.fixture
def small_grid(monkeypatch):
    """Two λ and two folds: the run's model selection in 6 trainings instead of 25."""
    monkeypatch.setattr(lecture, "LAMBDA_GRID", (0.0, 3.0))
    monkeypatch.setattr(lecture, "NUM_FOLDS", 2)


def test_data_have_the_lectures_shapes_and_parameters():
    (X, y), (X_test, y_test) = lecture.load_data(seed=0)
    assert X.shape == (20, 200) and y.shape == (20, 1)
    assert X_test.shape == (100, 200) and y_test.shape == (100, 1)
    residual = np.vstack([y, y_test]) - np.vstack([X, X_test]) @ lecture.TRUE_W[:, None] - 0.05
    assert abs(residual.mean()) < 0.005 and 0.007 < residual.std() < 0.013


def test_initial_weights_are_drawn_from_n_1_1():
    w = lecture.initial_weights(200, seed=0)
    assert w.shape == (200, 1)
    assert 0.8 < w.mean() < 1.2 and 0.8 < w.std() < 1.2
    np.testing.assert_array_equal(w, lecture.initial_weights(200, seed=0))


def test_keras_regularizer_with_half_lambda_is_lambda_times_the_penalty():
    """Keras's L2(f) adds f Σw², without the ½: the concise model passes f = λ / 2."""
    w = lecture.initial_weights(200, seed=3)
    model = lecture.build_concise_model(w, lambd=3.0)
    model(np.zeros((1, 200), np.float32))
    penalty = float(lecture.l2_penalty(w))
    exact = float(np.sum(w.astype(np.float64) ** 2))
    rounding = sum_bound(exact, 200 + 2)  # 200 squares added up, a few more roundings
    assert abs(penalty - exact / 2) <= rounding / 2
    assert abs(float(sum(model.losses)) - 3.0 * penalty) <= 1.5 * rounding
    assert 1.5 * rounding < 1e-3 * 3.0 * penalty  # a missing or extra ½ would show


def test_half_squared_error_is_half_of_keras_mse():
    """Keras's MeanSquaredError has no ½ either: both models use the halved error."""
    labels = np.array([[1.0], [2.0], [-1.0]], np.float32)
    predictions = np.array([[0.5], [3.0], [1.0]], np.float32)
    keras_mse = float(keras.losses.MeanSquaredError()(labels, predictions))
    assert float(tf.reduce_mean(half_squared_error(labels, predictions))) == pytest.approx(
        keras_mse / 2
    )


@pytest.mark.parametrize("replicas, batch_size", [(1, 5), (2, 10)])
def test_concise_and_scratch_end_with_the_same_weights_from_the_same_start(replicas, batch_size):
    """Same initial weights, same example order (no shuffle), λ = 3: the same steps.

    Both implementations must end where SGD on the objective, replayed in
    float64, ends, to within the float32 rounding bound of
    `linear_sgd_rounding.replay_linear_sgd` (derived there from
    `float32_rounding`); the bound is far smaller than the difference either
    classic factor-of-2 mistake would make (Keras's ``L2(λ)`` where the
    objective needs ``L2(λ / 2)``, or Keras's MSE without the ½).
    """
    strategy = get_strategy(replicas)
    config = lecture.DEFAULTS.replace(epochs=25, batch_size=batch_size, verbose=0)
    train_set, _ = lecture.load_data(seed=0)
    start = lecture.initial_weights(seed=1)
    settings = dict(learning_rate=config.learning_rate, batch_size=batch_size,
                    epochs=config.epochs)
    replay = replay_linear_sgd(*train_set, start, lambd=3.0, **settings)
    for mistake in (replay_linear_sgd(*train_set, start, lambd=6.0, **settings),
                    replay_linear_sgd(*train_set, start, lambd=3.0, loss_factor=2.0, **settings)):
        assert parameter_distance(mistake.w, mistake.b, replay) > 10 * replay.bound, "too loose"
    for impl in ("scratch", "concise"):
        model, _ = lecture.train(impl, train_set, 3.0, config, strategy,
                                 initial_w=start, shuffle=False)
        w, b = lecture.learned_parameters(model)
        assert np.abs(w - start).max() > 0.1  # it did move
        distance = parameter_distance(w, b, replay)
        assert distance <= replay.bound, (
            f"{impl}: ends {distance:.3g} from float64 SGD on the objective, more than the "
            f"float32 rounding bound {replay.bound:.3g}"
        )


def parameter_distance(w, b, replay) -> float:
    """The Euclidean distance of the parameters ``(w, b)`` from the replay's."""
    w_difference = np.asarray(w, np.float64).reshape(-1) - replay.w.reshape(-1)
    return float(np.sqrt(np.sum(w_difference**2) + (b - replay.b) ** 2))


def test_k_fold_split_validates_consecutive_examples_and_keeps_the_remainder():
    features = np.arange(23, dtype=np.float32)[:, None]
    labels = features * 10
    (train_x, train_y), (valid_x, valid_y) = lecture.k_fold_split(features, labels, 5, 1)
    assert valid_x.ravel().tolist() == [4, 5, 6, 7]
    assert train_x.ravel().tolist() == [0, 1, 2, 3, *range(8, 23)]
    np.testing.assert_array_equal(train_y, train_x * 10)
    with pytest.raises(ValueError):
        lecture.k_fold_split(features, labels, 5, 5)


@pytest.mark.parametrize("impl, replicas", [("scratch", 1), ("concise", 2)])
def test_run_reports_the_interface_metrics(impl, replicas, small_grid):
    config = lecture.DEFAULTS.replace(epochs=3, verbose=0)
    if replicas == 2:
        config = config.replace(batch_size=10)  # a global batch of 5 does not split in two
    result = lecture.run(impl, config, get_strategy(replicas))
    metrics = result.metrics
    assert set(metrics) == METRICS
    assert metrics["chosen_lambda"] in (0.0, 3.0)
    assert metrics["best_test_loss"] <= metrics["chosen_test_loss"]
    assert metrics["w_norm"] < metrics["w_norm_no_decay"]
    assert metrics["test_loss"] < metrics["test_loss_no_decay"]
    record = result.history[-1]
    assert {"loss", "squared_loss", "val_loss", "val_squared_loss"} <= set(record)
    # the float32 evaluation after the last epoch against the float64 one of the same weights
    (_, _), (test_features, test_labels) = lecture.load_data(config.seed)
    bound = mean_half_squared_error_bound(test_features, test_labels,
                                          *lecture.learned_parameters(result.model))
    assert abs(record["val_squared_loss"] - metrics["test_loss"]) <= bound
    assert bound < 1e-3 * metrics["test_loss"], "the bound is too loose to test anything"
    assert record["loss"] > record["squared_loss"]  # the objective includes the penalty


def test_command_line_takes_the_weight_decay(tmp_path, small_grid, capsys):
    path = tmp_path / "m.json"
    status = main(["train", "weight_decay", "--impl", "scratch", "--epochs", "2",
                   "--weight-decay", "10", "--quiet", "--metrics-out", str(path)])
    assert status == 0, capsys.readouterr().err
    report = json.loads(path.read_text())
    assert report["config"]["weight_decay"] == 10.0
    assert set(report["metrics"]) == METRICS


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "weight_decay", "--weight-decay", "-1"], "--weight-decay must be at least 0"),
        (["train", "linear_regression", "--weight-decay", "3"], "does not apply to linear_regression"),
        (["train", "weight_decay", "--replicas", "2"], "multiple of the number of replicas"),
    ],
)
def test_bad_weight_decay_arguments_give_a_clear_message(arguments, message, capsys):
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_default_run_meets_the_weight_decay_and_k_fold_targets():
    result = lecture.run("scratch", lecture.DEFAULTS.replace(verbose=0), get_strategy(1))
    metrics = result.metrics
    assert metrics["test_loss_no_decay"] >= 100 * metrics["test_loss"]
    assert metrics["chosen_test_loss"] <= 2 * metrics["best_test_loss"]
