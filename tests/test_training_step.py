"""The scratch training step: taught once, in the linear-regression lecture, used by every lecture.

Issue 13: the lecture where the training loop is first taught shows the step
itself (tape, loss, gradients, update, run on every replica), and the later
lectures reuse that one step rather than a copy hidden in a utility module.
"""

import ast
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from autograder.generate.lecture_notebooks import lecture_notebook, lecture_source, split_lecture
from coursework import linear_regression, training
from coursework.distribute import get_strategy
from coursework.scratch import SGD
from coursework.topics import TOPICS, load_topic

STEP = "make_train_step"
STEP_HEADING = "Training step from scratch"


def called_names(source: str) -> set[str]:
    """Dotted names of everything `source` calls, e.g. "tf.nn.compute_average_loss"."""
    return {ast.unparse(node.func) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)}


STEP_CALLS = {
    "tf.GradientTape",  # the tape
    "tf.nn.compute_average_loss",  # the loss, averaged over the global batch
    "tape.gradient",  # the gradients
    "optimizer.apply_gradients",  # the update
    "strategy.run",  # on every replica
    "strategy.reduce",  # the replicas' sums added up
}


def test_the_linear_regression_lecture_shows_the_step_in_a_section_of_its_own():
    source = lecture_source("linear_regression").read_text()
    sections = {section.heading: section for section in split_lecture(source).sections}
    assert STEP_HEADING in sections, f"sections: {list(sections)}"
    code = sections[STEP_HEADING].code
    defined = {node.name: node for node in ast.parse(code).body if isinstance(node, ast.FunctionDef)}
    assert STEP in defined, f"the section defines {list(defined)}"
    assert sections[STEP_HEADING].demonstrations == ("show_training_step",)
    missing = STEP_CALLS - called_names(ast.unparse(defined[STEP]))
    assert not missing, f"the step does not show {sorted(missing)}"
    assert linear_regression.make_train_step.__module__ == "coursework.linear_regression"


def test_the_lecture_notebook_shows_the_step_as_a_section():
    source = lecture_source("linear_regression").read_text()
    cells = lecture_notebook("linear_regression", source).cells
    headings = [cell.source for cell in cells if cell.cell_type == "markdown"]
    position = next(i for i, cell in enumerate(cells) if cell.source.startswith(f"## {STEP_HEADING}"))
    assert cells[position + 1].cell_type == "code", headings
    assert f"def {STEP}(" in cells[position + 1].source


DISTRIBUTED_STEP_CALLS = {"tf.nn.compute_average_loss", "strategy.run"}
"""What only a distributed training step calls (the optimization lecture has tapes and updates)."""


def test_no_other_module_has_a_copy_of_the_step():
    folder = Path(training.__file__).parent
    copies = {
        path.name: sorted(DISTRIBUTED_STEP_CALLS & called_names(path.read_text()))
        for path in sorted(folder.glob("*.py"))
        if path.name != "linear_regression.py"
    }
    assert {name: calls for name, calls in copies.items() if calls} == {}


def test_the_step_takes_the_gradient_of_the_global_batch_mean_loss_on_two_replicas():
    """One step on 4 examples split between 2 replicas is plain SGD on their mean loss."""
    features = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0], [2.0, -1.0]], np.float32)
    labels = np.array([[1.0], [0.0], [2.0], [-1.0]], np.float32)
    strategy = get_strategy(2)
    with strategy.scope():
        model = linear_regression.LinearRegressionScratch(2)
        optimizer = SGD(0.1)
        optimizer.build(model.trainable_variables)
    w, b = model.w.numpy(), model.b.numpy()
    residuals = features @ w + b - labels  # squared_loss's gradient is the residual
    expected_w = w - 0.1 * features.T @ residuals / 4
    expected_b = b - 0.1 * residuals.mean()
    expected_loss = float(np.sum(residuals**2 / 2))

    step = linear_regression.make_train_step(
        model, optimizer, strategy=strategy, loss=linear_regression.scratch_loss,
        metrics={"twice": lambda y, p: 2 * linear_regression.scratch_loss(y, p)},
    )
    batches = tf.data.Dataset.from_tensor_slices((features, labels)).batch(4)
    iterator = iter(strategy.experimental_distribute_dataset(batches))
    totals = step(iterator, {name: tf.constant(0.0) for name in ["loss", "twice", "count"]})

    np.testing.assert_allclose(model.w.numpy(), expected_w, rtol=1e-5)
    np.testing.assert_allclose(model.b.numpy(), expected_b, rtol=1e-5)
    assert float(totals["count"]) == 4
    assert float(totals["loss"]) == pytest.approx(expected_loss, rel=1e-5)
    assert float(totals["twice"]) == pytest.approx(2 * expected_loss, rel=1e-5)


def test_the_lecture_demonstrates_one_step(capsys):
    linear_regression.show_training_step()
    printed = capsys.readouterr().out
    assert "100 examples on 1 replica(s)" in printed
    before, after = map(float, re.search(r"before the step (\S+), after (\S+)", printed).groups())
    assert after < before


def test_the_step_is_a_required_argument_of_both_training_paths():
    for path in (training.train_scratch, training.train_concise):
        parameter = inspect.signature(path).parameters["make_step"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is inspect.Parameter.empty


# Each lecture run up to its training call, on the smallest inputs it takes.
_RNG = np.random.default_rng(0)


def _images(count):
    return _RNG.integers(0, 256, (count, 28, 28)).astype(np.uint8), np.arange(count) % 10


def _texts(count):
    words = np.array(["good", "bad", "film", "plot"])
    return [" ".join(_RNG.choice(words, 5)) for _ in range(count)], np.arange(count) % 2


def _corpus():
    from coursework import time_machine

    text = time_machine.preprocess("the time traveller smiled " * 40)
    vocab = time_machine.Vocab(time_machine.tokenize([text], "char"))
    return np.asarray(vocab.indices(text), np.int32), vocab


FASHION = {"data": (_images(32), _images(16))}
SMALL_INPUTS = {
    "linear_regression": ({}, {}),
    "polynomial_regression": ({}, {}),
    "weight_decay": ({}, {}),
    "conv_basics": ({}, {}),
    "softmax_regression": ({"batch_size": 16}, FASHION),
    "mlp": ({"batch_size": 16}, FASHION),
    "dropout_mlp": ({"batch_size": 16}, FASHION),
    "lenet": ({"batch_size": 16}, FASHION),
    "lenet_classic": ({"batch_size": 16}, FASHION),
    "optimization": ({"batch_size": 16}, {**FASHION, "batch_sizes": (16,)}),
    "rnn_lm": ({"batch_size": 16, "num_steps": 8}, {"corpus": _corpus()}),
    "text_classification": (
        {"batch_size": 16, "sequence_length": 8, "max_tokens": 20},
        {"data": (_texts(64), _texts(32))},
    ),
}


class _StopBeforeTraining(Exception):
    pass


def test_small_inputs_cover_every_lecture():
    assert set(SMALL_INPUTS) == set(TOPICS), "give a new lecture its small inputs here"


SLOW_TO_REACH_TRAINING = {"optimization"}
"""Lectures that compute for seconds (the optimization lecture's saddle and trajectories) first."""


@pytest.mark.parametrize("impl", ["scratch", "concise"])
@pytest.mark.parametrize("topic", [
    pytest.param(topic, marks=pytest.mark.slow) if topic in SLOW_TO_REACH_TRAINING else topic
    for topic in sorted(TOPICS)
])
def test_every_lecture_trains_with_the_linear_regression_lectures_step(topic, impl, monkeypatch):
    lecture = load_topic(topic)
    steps = []

    def spy(build_model, *, make_step, **settings):
        steps.append(make_step)
        raise _StopBeforeTraining

    paths = {name: getattr(training, name) for name in ("train_scratch", "train_concise")}
    for name, module in list(sys.modules.items()):
        if name.startswith("coursework."):
            for path, original in paths.items():
                if getattr(module, path, None) is original:
                    monkeypatch.setattr(module, path, spy)
    changes, inputs = SMALL_INPUTS[topic]
    config = lecture.DEFAULTS.replace(epochs=1, verbose=0, **changes)
    with pytest.raises(_StopBeforeTraining):
        lecture.run(impl, config, get_strategy(1), **inputs)
    assert steps == [linear_regression.make_train_step]
