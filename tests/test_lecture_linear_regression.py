"""The linear-regression lecture reaches its target under 1 and 2 replicas."""

import numpy as np
import pytest

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


def test_scratch_steps_do_not_depend_on_the_number_of_replicas():
    config = lecture.DEFAULTS.replace(epochs=1, verbose=0)
    one = lecture.learned_parameters(lecture.run("scratch", config, get_strategy(1)).model)
    two = lecture.learned_parameters(lecture.run("scratch", config, get_strategy(2)).model)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-5)
    assert one[1] == pytest.approx(two[1], rel=1e-5)


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
