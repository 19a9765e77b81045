"""Test-session setup shared by every test.

TensorFlow fixes its devices when its runtime starts, so the logical CPUs that
let tests run `MirroredStrategy` with 2 replicas on one CPU are configured here,
before any test imports a model.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_REPLICAS = 2


def pytest_configure(config):
    from coursework.distribute import configure_cpu_replicas

    configure_cpu_replicas(TEST_REPLICAS)


@pytest.fixture
def shared_data():
    """The folder of real data sets, or a skip when this machine has none."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data sets not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_aclimdb(tmp_path_factory):
    """The real IMDB reviews in the official aclImdb layout, written from
    ../shared/data/imdb's JSON-lines shards (its README), or a skip without them."""
    import gzip
    import json

    from coursework.text_data import write_aclimdb

    shards = sorted((SHARED_DATA / "imdb").glob("imdb_*.jsonl.gz"))
    if not shards:
        pytest.skip(f"the IMDB shards are not in {SHARED_DATA / 'imdb'}")

    def reviews():
        for shard in shards:
            with gzip.open(shard, "rt", encoding="utf-8") as stream:
                yield from (json.loads(line) for line in stream)

    return write_aclimdb(reviews(), tmp_path_factory.mktemp("imdb") / "aclImdb")


def copy_class(source: Path, destination: Path) -> Path:
    """Copies an example class, keeping its symbolic links as links.

    A relative link is made absolute to what it points at from `source`, so
    that a link to the reference solution still reaches it from the copy
    (``shutil.copytree`` would copy the linked file's contents instead).
    """
    import shutil

    shutil.copytree(source, destination, symlinks=True)
    for link in sorted(destination.rglob("*")):
        if link.is_symlink():
            original = source / link.relative_to(destination)
            target = (original.parent / os.readlink(original)).resolve()
            link.unlink()
            link.symlink_to(target)
    return destination


@pytest.fixture(scope="session")
def example_classes(tmp_path_factory):
    """`example_classes(NAME)`: NAME's example class graded with the CLI, once per session.

    Returns:
        A function of the assignment's name giving its `example_classes.GradedClass`.
    """
    from example_classes import grade_example_class

    graded = {}

    def graded_class(assignment):
        if assignment not in graded:
            graded[assignment] = grade_example_class(
                assignment, tmp_path_factory.mktemp(f"class_{assignment}"))
        return graded[assignment]

    return graded_class


# ---------------------------------------------------------------------------
# The fast tier: `python -m pytest -m "not slow"` (about a minute on an idle
# 2-core machine); `python -m pytest` (CI, .ci/run) still runs everything.
# Tests are slow when they start the sandbox's fork server, grade a class,
# train a model for epochs, execute notebooks or build packages; they are
# marked here in one place, by module or by the fixture that makes them slow,
# besides the @pytest.mark.slow written on single tests.
# ---------------------------------------------------------------------------
SLOW_MODULES = {
    "test_sandbox", "test_sandbox_limits", "test_grading_under_load", "test_hint_coverage",
    "test_student_kit", "test_gradescope", "test_notebooks", "test_nbgrader", "test_multiworker",
    "test_lecture_classification", "test_lecture_cnn", "test_lecture_rnn_lm",
    "test_lecture_linear_regression", "test_lecture_output", "test_fashion_mnist",
    "test_coursework_cli", "test_docs_commands", "test_lecture_weight_decay",
    "test_lecture_optimization", "test_lecture_polynomial_regression",
}
SLOW_FIXTURES = {"example_classes", "graded", "softmax_graded", "mlp_graded", "sandbox", "kit"}
"""Fixtures that grade an example class or start a sandbox."""
SLOW_TESTS = {
    # `autograder check` / `grade` from the command line: each starts a sandbox.
    "test_student_check_passes_the_reference", "test_student_check_explains_mistakes",
    "test_student_check_of_the_stub", "test_student_check_works_without_the_solutions_package",
    "test_student_check_output_has_no_escape_sequences",
    "test_nbgrader_tree_and_nbgrader_csv_format", "test_public_checks_pass_on_the_reference",
    # Training for epochs.
    "test_scratch_and_concise_paths_train_the_same_model_alike",
    "test_text_classifier_structure_masking_and_training",
}
"""Single tests measured at several seconds each (`--durations`)."""
SLOW_TESTS |= {
    # Measured 15-23 s each in the fast tier (`--durations`, 2026-12-01): the text-classification
    # lecture run end to end and under two replicas, and a class graded with a limit missing.
    "test_lecture_runs_on_ag_news_offline", "test_one_epoch_under_two_replicas",
    "test_a_missing_kernel_limit_is_named_for_each_student_it_concerns",
}
SLOW_FIXTURES |= {"real_aclimdb"}  # writes the real IMDB reviews as an aclImdb tree (19 s)


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item.module, "__name__", "").rsplit(".", 1)[-1]
        name = getattr(item, "originalname", item.name)
        if (module in SLOW_MODULES or name in SLOW_TESTS
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.slow)
