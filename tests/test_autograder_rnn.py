"""The recurrent-network checks: the example class graded end to end with the CLI.

The class (`examples/rnn/submissions`) plus the reference solution and the
released stub are graded once; every hint of the spec must show for at least
one student, and the hostile student must score only what she got right.
"""

import pytest

# What each student must score out of 10, and why. A function earns its points in proportion
# to the cases passed (5 per function but 1 for build_text_classifier), rounded to 2 decimals.
SCORES = {
    "alice": 10.0,  # correct, written differently (Counter, tf.scan, tf.clip_by_global_norm, LSTM)
    # bob: ascending vocabulary passes only "min_freq above every count" (2 * 1/5); no recurrent
    # term passes only the large-magnitude case, where tanh saturates (2 * 1/5); clipping each
    # gradient alone passes only the norm-below-theta case (2 * 1/5); mean of exp passes only
    # the uniform logits (1 * 1/5); tokenize and the classifier are right.
    "bob": 1 + 0.4 + 0.4 + 0.4 + 0.2 + 2,
    # carol: no "<unk>" (0), ReLU (0), clipping into the input list passes only the case where
    # nothing is scaled (2 * 1/5), no mask_zero (0); tokenize and perplexity are right.
    "carol": 1 + 0 + 0 + 0.4 + 1 + 0,
    # mallory: her tokenizer never returns, her RNN floods the output and exits, her perplexity
    # kills its process and her classifier cannot read the reference. Her vocabulary is a list
    # subclass that claims to equal anything: build_vocab promises a list, and the type name is
    # checked (it earned 0.4 for the one case ["<unk>"] answers before that check). What counts
    # is the unscaled gradients case.
    "mallory": 0 + 0 + 0 + 0.4 + 0 + 0,
    "reference": 10.0,  # solutions/rnn.py
    "stub": 0.0,  # assignments/rnn.py as released
}


@pytest.fixture(scope="module")
def graded(example_classes):
    return example_classes("rnn")


def test_class_gets_the_expected_scores(graded):
    assert graded.status == 0
    assert graded.scores() == pytest.approx(SCORES)


def test_every_hint_shows_for_some_student(graded):
    assert graded.hints_not_in_feedback() == []
    feedback = {student: graded.feedback(student) for student in SCORES}
    assert "Sort by descending frequency" in feedback["bob"]
    assert "clipping each one by its own norm" in feedback["bob"]
    assert "not the mean of exp" in feedback["bob"]
    assert "previous state's term" in feedback["bob"]
    assert '"<unk>" comes first' in feedback["carol"]
    assert "not ReLU" in feedback["carol"]
    assert "instead of assigning into grads" in feedback["carol"]
    assert "mask_zero=True" in feedback["carol"]
    assert "raise NotImplementedError" in feedback["stub"]
