"""The polynomial-regression lecture: its data, its three fits, under 1 and 2 replicas."""

import math

import numpy as np
import pytest
from linear_sgd_rounding import replay_linear_sgd

from coursework import polynomial_regression as lecture
from coursework.data import make_dataset
from coursework.distribute import get_strategy
from coursework.linear_regression import initial_weights

METRICS = {
    "weights_error",
    "train_loss_normal", "test_loss_normal",
    "train_loss_underfit", "test_loss_underfit",
    "train_loss_overfit", "test_loss_overfit",
}


def test_features_are_powers_over_factorials():
    x = np.array([-1.5, 0.0, 2.0])
    expected = [[v**i / math.factorial(i) for i in range(20)] for v in x]
    np.testing.assert_allclose(lecture.polynomial_features(x), expected, rtol=1e-6)


def test_data_follow_the_true_polynomial():
    (x, features, labels), (x_test, test_features, test_labels) = lecture.synthetic_data(seed=1)
    assert features.shape == (100, 20) and labels.shape == (100, 1)
    assert test_features.shape == (100, 20) and x_test.shape == (100,)
    all_features = np.vstack([features, test_features])[:, :4].astype(np.float64)
    all_labels = np.vstack([labels, test_labels]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(all_features, all_labels, rcond=None)
    np.testing.assert_allclose(solution.ravel(), lecture.TRUE_W, atol=0.1)  # noise 0.1, 200 points
    residual = all_labels - np.vstack([features, test_features]) @ np.r_[lecture.TRUE_W, [0] * 16][:, None]
    assert 0.08 < residual.std() < 0.12


@pytest.mark.parametrize("replicas", [1, 2])
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_run_trains_three_fits_and_reports_the_interface_metrics(impl, replicas):
    config = lecture.DEFAULTS.replace(epochs=2, verbose=0)
    result = lecture.run(impl, config, get_strategy(replicas))
    assert set(result.metrics) == METRICS
    assert all(np.isfinite(value) for value in result.metrics.values())
    assert set(result.model) == {"normal", "underfit", "overfit"}
    assert [record["epoch"] for record in result.history] == [1, 2]
    for name in ("normal", "underfit", "overfit"):
        assert {f"loss_{name}", f"val_loss_{name}"} <= set(result.history[0])
        assert result.history[1][f"loss_{name}"] < result.history[0][f"loss_{name}"]
    assert lecture.learned_weights(result.model["overfit"]).shape == (20,)
    # the underfit straight line cannot follow the cubic, even after two epochs
    assert result.metrics["test_loss_underfit"] > result.metrics["test_loss_normal"]


def test_scratch_steps_do_not_depend_on_the_number_of_replicas():
    """Each fit ends, under 1 and 2 replicas, where float64 SGD ends, to float32 rounding.

    The examples come in their stored order (no shuffle) so that
    `linear_sgd_rounding.replay_linear_sgd` can replay the same steps and bound
    how far two float32 runs of them can end apart (its docstring derives the
    bound from `float32_rounding`). The bound is far smaller than what a
    gradient scaled by the number of replicas would change.
    """
    config = lecture.DEFAULTS.replace(epochs=1, verbose=0)
    (_, features, labels), _ = lecture.synthetic_data(config.seed)
    for name, num_inputs in lecture.FITS.items():
        start = initial_weights(num_inputs, seed=config.seed).reshape(-1)
        replay = replay_linear_sgd(
            features[:, :num_inputs], labels, start, learning_rate=config.learning_rate,
            batch_size=config.batch_size, epochs=config.epochs, bias=False,
        )
        halved = replay_linear_sgd(
            features[:, :num_inputs], labels, start, learning_rate=config.learning_rate / 2,
            batch_size=config.batch_size, epochs=config.epochs, bias=False,
        )
        assert np.linalg.norm(halved.w - replay.w) > 100 * replay.bound, "bound too loose"
        for replicas in (1, 2):
            in_order = make_dataset(features, labels, config.batch_size, num_replicas=replicas,
                                    training=False)
            model, _ = lecture.train_fit("scratch", num_inputs,
                                         lecture.first_columns(in_order, num_inputs), None,
                                         config, get_strategy(replicas))
            w = lecture.learned_weights(model)
            distance = np.linalg.norm(w - replay.w.reshape(-1))
            assert distance <= replay.bound, (
                f"{name} fit, {replicas} replica(s): ends {distance:.3g} from float64 SGD, "
                f"more than the float32 rounding bound {replay.bound:.3g}"
            )


def test_plot_fits_draws_one_png(tmp_path):
    result = lecture.run("scratch", lecture.DEFAULTS.replace(epochs=2, verbose=0), get_strategy(1))
    path = lecture.plot_fits(result, tmp_path / "fits" / "three.png", title="three fits")
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_default_run_recovers_the_weights_and_underfits():
    result = lecture.run("scratch", lecture.DEFAULTS.replace(verbose=0), get_strategy(1))
    metrics = result.metrics
    assert metrics["weights_error"] < 0.05
    assert metrics["test_loss_underfit"] >= 10 * metrics["test_loss_normal"]
    # The overfit target (test loss above train loss) depends on the draw of the
    # data (17 of 20 seeds; benchmarks/polynomial_overfit.py and docs/results.md).
