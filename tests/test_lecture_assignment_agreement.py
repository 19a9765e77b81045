"""Lectures and assignments agree: the same names, argument order and factors, and each points to the other."""

import inspect

import numpy as np
import pytest
import tensorflow as tf

import solutions.linear_regression as linear_solution
import solutions.softmax_regression as softmax_solution
from coursework import classification
from coursework import linear_regression as linear_lecture
from coursework import softmax_regression as softmax_lecture

PAIRS = [
    (linear_lecture, linear_solution, ["squared_loss"]),
    (softmax_lecture, softmax_solution, ["cross_entropy"]),
]


@pytest.mark.parametrize("lecture, solution, names", PAIRS)
def test_shared_functions_have_the_same_arguments(lecture, solution, names):
    for name in names:
        lecture_arguments = list(inspect.signature(getattr(lecture, name)).parameters)
        solution_arguments = list(inspect.signature(getattr(solution, name)).parameters)
        assert lecture_arguments == solution_arguments, name


def test_linear_regression_functions_agree_with_the_assignment():
    rng = np.random.default_rng(0)
    y_hat, y = rng.normal(size=(6, 1)).astype("f4"), rng.normal(size=(6,)).astype("f4")
    ours = linear_lecture.squared_loss(y_hat, y).numpy()
    theirs = linear_solution.squared_loss(y_hat, y).numpy().reshape(-1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)  # the same ½
    np.testing.assert_allclose(ours, (y_hat.reshape(-1) - y) ** 2 / 2, rtol=1e-6)


def test_softmax_functions_agree_with_the_assignment_and_the_fused_loss():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4)).astype("f4")
    labels = np.array([0, 3, 1, 2, 3])
    probabilities = softmax_lecture.softmax(logits)
    np.testing.assert_allclose(probabilities, softmax_solution.softmax(logits), rtol=1e-5)
    ours = softmax_lecture.cross_entropy(probabilities, labels)
    np.testing.assert_allclose(ours, softmax_solution.cross_entropy(probabilities, labels),
                               rtol=1e-5)
    fused = classification.softmax_cross_entropy(labels, logits)
    np.testing.assert_allclose(ours, fused, rtol=1e-5)
    assert classification.cross_entropy is classification.softmax_cross_entropy  # former name
    assert tf.is_tensor(fused)


@pytest.mark.parametrize(
    "lecture, assignment",
    [("linear_regression", "linear_regression"), ("softmax_regression", "softmax_regression"),
     ("mlp", "mlp")],
)
def test_lecture_and_assignment_point_to_each_other(lecture, assignment):
    import importlib

    lecture_doc = importlib.import_module(f"coursework.{lecture}").__doc__
    solution_doc = importlib.import_module(f"solutions.{assignment}").__doc__
    stub_doc = importlib.import_module(f"assignments.{assignment}").__doc__
    assert f"assignments/{assignment}.py" in lecture_doc
    assert f"autograder start {assignment}" in lecture_doc
    assert f"coursework/{lecture}.py" in solution_doc and solution_doc == stub_doc
