"""The weight-decay checks: the example class graded end to end, and the spec's own parts.

The class (examples/weight_decay/submissions) has a correct student written
differently (alice), three students who make the classic mistakes (bob, carol,
erin), one who never rejects bad input and diverges (frank) and a hostile one
(dave); the reference and the released stub are graded with them.
"""

import math

import numpy as np
import pytest

from autograder.checks import NO_EXPECTED
from autograder.specs import weight_decay as spec
from solutions import weight_decay as sol

# What each student must score out of 10. A function earns its points in
# proportion to the cases passed (polynomial_features 6 cases, l2_penalty 4,
# k_fold_split 9, ridge_regression 7, cross_validate 5, train_weight_decay 3),
# rounded to 2 decimals.
SCORES = {
    "alice": 10.0,  # correct: NumPy throughout, ridge by an augmented lstsq, hand-written gradients
    # bob: no factorial 3/6 (the ValueError cases and max_degree 1); penalty without 1/2 0/4;
    # folds one too long 5/9 (the ValueError cases, and leave-one-out's last fold); penalised
    # bias 2/7; fold losses summed 0/5; training right, but it cannot take float64 tensors 2/3.
    "bob": 0.5 + 0 + 1.11 + 0.57 + 0 + 1.33,
    # carol: features right; the norm as penalty 0/4; the remainder dropped 6/9 (fails the three
    # splits with a remainder); ridge on the summed loss 3/7 (lambd = 0 twice and the ValueError
    # case); NumPy floats 1/5 (the ValueError case); the penalty forgotten in training 1/3
    # (only lambd = 0 passes).
    "carol": 1 + 0 + 1.33 + 0.86 + 0.4 + 0.67,
    # erin: features from x**1 2/6 (the ValueError cases); the norm halved 0/4; folds counted
    # from 1 4/9; the doubled penalty 3/7 (as carol's); losses without 1/2 0/5; small initial
    # weights 1/3 (lambd = 0 must keep the large norm of N(1, 1); float64 tensors make her
    # code raise).
    "erin": 0.33 + 0 + 0.89 + 0.86 + 0 + 0.67,
    # frank: right on good inputs but no ValueError anywhere: 4/6, 4/4, 5/9, 6/7, 4/5; his
    # gradient ascent diverges in every training case 0/3.
    "frank": 0.67 + 1 + 1.11 + 1.71 + 1.6 + 0,
    "dave": 0.0,  # hostile: liars, a patched NumPy, floods of output, os._exit
    "reference": 10.0,  # solutions/weight_decay.py
    "stub": 0.0,  # assignments/weight_decay.py as released
}

HINTS = {
    "bob": ["Divide column i by i!", "divide by 2, so that its gradient is w",
            "The validation part of fold i is examples i*m up to (i+1)*m - 1",
            "Do not penalise the bias", "Average the k folds' losses"],
    "carol": ["take no square root", "Keep the n - k*m examples left over",
              "The loss is the mean over the examples, not the sum", "Return Python floats",
              "The weights did not decay"],
    "erin": ["Start at i = 0", "take no square root", "Folds count from 0",
             "whose gradient is lambd * w: do not double it", "halve the squared error",
             "Start w from N(1, 1)"],
    "frank": ["Raise ValueError when max_degree < 1", "Raise ValueError when k < 2",
              "Raise ValueError when lambd < 0", "Raise ValueError when k is out of range",
              "Training diverged"],
}


@pytest.fixture(scope="module")
def graded(example_classes):
    return example_classes("weight_decay")


def test_class_gets_the_expected_scores(graded):
    assert graded.status == 0
    assert graded.scores() == pytest.approx(SCORES, abs=0.011)


@pytest.mark.parametrize("student", sorted(HINTS))
def test_mistakes_come_with_their_hints(graded, student):
    text = graded.feedback(student)
    for hint in HINTS[student]:
        assert hint in text, (student, hint)


def test_every_hint_is_shown_to_some_student(graded):
    assert graded.hints_not_in_feedback() == []


def test_hostile_student_is_contained(graded):
    text = graded.feedback("dave")
    assert "train_weight_decay" in text and "PASS" not in text
    assert "raise NotImplementedError" in graded.feedback("stub")


# ---------------------------------------------------------------------------
# The spec's public expectations, and its mistakes, against the reference.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("check", spec.SPEC.checks, ids=lambda check: check.function)
def test_public_cases_pass_on_the_reference(check):
    function = getattr(sol, check.function)
    for case in check.cases():
        if not case.public:
            continue
        assert case.expected is not NO_EXPECTED or case.raises
        args = [getattr(a, "array", a) for a in case.args]
        if case.raises:
            with pytest.raises(ValueError):
                function(*args, **case.kwargs)
            continue
        got = function(*args, **case.kwargs)
        plain = tuple(np.asarray(x) if not isinstance(x, float) else x for x in got) \
            if isinstance(got, tuple) else np.asarray(got)
        assert check.compare(plain, case.expected, case) is None, case.name


def test_ridge_mistakes_differ_from_the_reference():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(15, 3)), rng.normal(size=(15, 1))
    w, b = sol.ridge_regression(X, y, 2.0)
    for mistake in (spec.penalised_bias, spec.summed_loss, spec.penalty_without_half_in_ridge):
        wrong_w, _ = mistake(X, y, 2.0)
        assert not np.allclose(wrong_w, np.asarray(w), rtol=1e-3)
    np.testing.assert_allclose(spec._ridge(X, y, 2.0)[0], np.asarray(w), rtol=1e-8)


def test_fold_mistakes_differ_from_the_reference_where_they_should():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    right = [np.asarray(part) for part in sol.k_fold_split(X, y, 3, 1)]
    for mistake in (spec.fold_off_by_one, spec.fold_counted_from_one, spec.remainder_dropped):
        wrong = mistake(X, y, 3, 1)
        assert any(a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(wrong, right, strict=True))


def test_training_bounds_separate_decay_from_no_decay():
    (X, y), (X_test, y_test) = spec.lecture_data()
    for lambd in (0.0, 3.0):
        w, b = sol.train_weight_decay(X, y, lambd)
        case = next(c for c in spec.train_cases() if c.args[2] == lambd and not c.kwargs)
        assert spec.compare_training((w, np.asarray(b)), None, case) is None
    assert math.isinf(spec.NORM_BOUNDS[0.0][1])
