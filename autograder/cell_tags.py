"""Tags of notebook cells that are not part of a student's submission.

Generated student notebooks tag their check cells with `CHECK_CELL_TAG`
(`autograder.generate.student_notebooks` writes them); `autograder check` and
`autograder grade` leave tagged cells out when they read a notebook
(`autograder.submissions`), because check cells import `autograder`, which the
graded code's sandbox cannot.
"""

CHECK_CELL_TAG = "autograder-check"
"""Tag of the notebook cells that run checks; they are not part of a submission."""

SETUP_CELL_TAG = "autograder-setup"
"""Tag of the cells a generated notebook adds before the student's code (quiet TensorFlow)."""

NOT_SUBMITTED_TAGS = (CHECK_CELL_TAG, SETUP_CELL_TAG)
"""Cells with one of these tags are left out of a submission."""
