"""The linear-regression lecture reaches its target under 1 and 2 replicas."""

import numpy as np
import pytest
from float32_rounding import assert_within, sgd_bound, sgd_update_bound, sum_bound

from coursework import linear_regression as lecture
from coursework.distribute import get_strategy


@pytest.mark.parametrize("replicas", [1, 2])
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_recovers_true_parameters(impl, replicas):
    strategy = get_strategy(replicas)
    assert strategy.num_replicas_in_sync == replicas
    result = lecture.run(impl, lecture.DEFAULTS.replace(verbose=0), strategy)
    assert result.metrics["w_error"] < 1e-3
    assert result.metrics["b_error"] < 1e-3
    assert [record["epoch"] for record in result.history] == [1, 2, 3]
    losses = [record["loss"] for record in result.history]
    assert losses[-1] < losses[0]
    assert all(record["examples_per_second"] > 0 for record in result.history)


def sgd_rounding_bound(config, fitted):
    """How far runs of the lecture's SGD can end apart when their float32 sums are ordered differently.

    Each step's gradient is ``(1 / B) * sum(r_i * x_i)`` over the global batch
    of ``B`` examples (`squared_loss` has its factor 1/2), with residuals
    ``r_i = x_i . w + b - y_i`` (a sum of 4 terms). Both sums may round
    differently (`float32_rounding.sum_bound`), and every example enters one
    step of every epoch, so the gradients add up to
    ``learning_rate * epochs * (1 / B) * sum_i |x_i| * (sum_bound(R_i, 4) + sum_bound(R_i, B))``
    with ``R_i`` bounding ``|r_i|`` all along the runs (the weights move from
    their start to the fitted ones; this problem's step size makes every step
    contract an earlier difference, so first order holds); each update adds
    its own rounding (`sgd_update_bound`).

    Args:
        config: The runs' settings (epochs, batch size, learning rate, seed).
        fitted: The ``(w, b)`` each compared run ended with.

    Returns:
        ``(w_bound, b_bound)``.
    """
    features, labels = lecture.synthetic_data(lecture.TRUE_W, lecture.TRUE_B,
                                              lecture.NUM_EXAMPLES, seed=config.seed)
    start = lecture.initial_weights(features.shape[1], seed=config.seed).reshape(-1)
    largest_w = np.max(np.abs([start, *(w for w, _ in fitted), lecture.TRUE_W]), axis=0)
    largest_b = max(*(abs(b) for _, b in fitted), abs(lecture.TRUE_B))
    residual = np.abs(features) @ largest_w + largest_b + np.abs(labels.reshape(-1))  # R_i
    batch, rate = config.batch_size, config.learning_rate
    per_example = config.epochs * (sum_bound(residual, 4) + sum_bound(residual, batch)) / batch
    steps = config.epochs * (len(labels) // batch)
    gradient = np.max(np.abs(features) * residual[:, None], axis=0)  # |g| <= mean of |r_i x_i|
    w_bound = (sgd_bound(rate, np.abs(features) * per_example[:, None])
               + steps * sgd_update_bound(rate, gradient, largest_w))
    b_bound = (sgd_bound(rate, per_example)
               + steps * sgd_update_bound(rate, residual.max(), largest_b))
    return w_bound, b_bound


def test_scratch_steps_do_not_depend_on_the_number_of_replicas():
    """Same steps under 1 and 2 replicas, up to float32 sums taken in another order
    (`sgd_rounding_bound`); a halved step, as a replica-scaling mistake would make, exceeds it."""
    config = lecture.DEFAULTS.replace(epochs=1, verbose=0)
    one = lecture.learned_parameters(lecture.run("scratch", config, get_strategy(1)).model)
    two = lecture.learned_parameters(lecture.run("scratch", config, get_strategy(2)).model)
    w_bound, b_bound = sgd_rounding_bound(config, [one, two])
    assert_within(two[0], one[0], w_bound, "w")
    assert_within(two[1], one[1], b_bound, "b")
    assert np.all(w_bound < 1e-3 * np.abs(one[0])), "the bound is too loose to test anything"
    halved = config.replace(learning_rate=config.learning_rate / 2)
    slower = lecture.learned_parameters(lecture.run("scratch", halved, get_strategy(2)).model)
    with pytest.raises(AssertionError, match="float32 rounding bound"):
        assert_within(slower[0], one[0], w_bound, "w")


def test_runs_are_reproducible():
    config = lecture.DEFAULTS.replace(epochs=1, verbose=0)
    first = lecture.run("concise", config, get_strategy(1)).metrics
    second = lecture.run("concise", config, get_strategy(1)).metrics
    assert first == second


def test_synthetic_data_has_the_true_parameters():
    features, labels = lecture.synthetic_data(lecture.TRUE_W, lecture.TRUE_B, 5000, seed=1)
    assert features.shape == (5000, 2) and labels.shape == (5000, 1)
    design = np.hstack([features, np.ones((5000, 1))])
    solution, *_ = np.linalg.lstsq(design, labels, rcond=None)
    np.testing.assert_allclose(solution.ravel(), [*lecture.TRUE_W, lecture.TRUE_B], atol=1e-3)
