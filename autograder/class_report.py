"""After grading a class: where did it struggle? ``OUT/class_report.md`` and two charts.

Written by ``autograder grade`` beside ``grades.csv``:

* ``class_report.md``: the score summary; for each graded function, how many
  students passed every case (its pass rate), the mean points and the share of
  cases passed, and what went wrong by kind (wrong output, raised, timed out…);
  then the hints that fired, most frequent first, with the number of students
  ("12 students: the bias is missing");
* ``scores.png``: a histogram of the scores;
* ``pass_rates.png``: a bar chart of the functions' pass rates.

Everything is counted from the grades' fields (each case's `CaseOutcome.status`
and hint), never by reading report text back; its words come from
`autograder.feedback`. Student names and anything a student wrote appear
nowhere in it, so it can be shared with the class.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograder import feedback
from autograder.checks import AssignmentSpec
from autograder.grading import SubmissionGrade

REPORT_NAME = "class_report.md"
SCORES_CHART = "scores.png"
PASS_RATES_CHART = "pass_rates.png"


@dataclasses.dataclass
class FunctionSummary:
    """How the class did on one graded function.

    Attributes:
        function: The function's name.
        points: Its points.
        students: Students graded.
        passing: Students who passed every case.
        mean_points: The class's mean points on it.
        cases_passed: Cases passed over all students.
        cases_run: Cases run over all students.
        statuses: Failing cases by status ("failed", "raised", "timed_out", …).
        hints: Students for whom each hint fired, by hint.
    """

    function: str
    points: float
    students: int = 0
    passing: int = 0
    mean_points: float = 0.0
    cases_passed: int = 0
    cases_run: int = 0
    statuses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    hints: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def pass_rate(self) -> float:
        """The share of students who passed every case (0 to 1)."""
        return self.passing / self.students if self.students else 0.0


def summarize(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> list[FunctionSummary]:
    """One `FunctionSummary` per graded function, in the spec's order."""
    summaries = {
        check.function: FunctionSummary(check.function, check.points) for check in spec.checks
    }
    totals = collections.Counter()
    for grade in grades:
        by_function = {function.function: function for function in grade.functions}
        for name, summary in summaries.items():
            summary.students += 1
            function = by_function.get(name)
            if function is None:
                continue
            totals[name] += function.score
            outcomes = function.outcomes
            if outcomes and all(outcome.passed for outcome in outcomes):
                summary.passing += 1
            summary.cases_run += len(outcomes)
            summary.cases_passed += sum(outcome.passed for outcome in outcomes)
            summary.statuses.update(
                outcome.status for outcome in outcomes if not outcome.passed
            )
            summary.hints.update({outcome.hint for outcome in outcomes if outcome.hint})
    for name, summary in summaries.items():
        summary.mean_points = totals[name] / summary.students if summary.students else 0.0
    return list(summaries.values())


def class_report_markdown(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> str:
    """The Markdown of ``class_report.md`` (see the module docstring)."""
    summaries = summarize(grades, spec)
    scores = [grade.score for grade in grades]
    lines = [f"# {feedback.class_report_title(spec.name)}", ""]
    if not grades:
        return "\n".join(lines + [feedback.NO_SUBMISSIONS, ""])
    full = sum(score >= spec.max_score for score in scores)
    zero = sum(score == 0 for score in scores)
    not_graded = sum(grade.problem is not None for grade in grades)
    lines += [
        feedback.class_summary(scores, spec.max_score, full, zero, not_graded),
        "",
        f"![{feedback.SCORES_CHART_TEXT}]({SCORES_CHART}) "
        f"![{feedback.PASS_RATES_CHART_TEXT}]({PASS_RATES_CHART})",
        "",
        f"## {feedback.CLASS_FUNCTIONS}",
        "",
        "| " + " | ".join(feedback.CLASS_TABLE_COLUMNS) + " |",
        "|" + "---|" * len(feedback.CLASS_TABLE_COLUMNS),
    ]
    number = feedback.short_number
    for summary in summaries:
        share = summary.cases_passed / summary.cases_run if summary.cases_run else 0.0
        lines.append(
            f"| `{summary.function}` | {number(summary.points)} | "
            f"{feedback.of_students(summary.passing, summary.students)} | "
            f"{summary.pass_rate:.0%} | {number(summary.mean_points)} | {share:.0%} | "
            f"{feedback.went_wrong(summary.statuses.most_common())} |"
        )
    fired = [
        (count, index, summary.function, hint)
        for index, summary in enumerate(summaries)
        for hint, count in summary.hints.items()
    ]
    fired.sort(key=lambda item: (-item[0], item[1], item[3]))
    lines += ["", f"## {feedback.CLASS_HINTS}", ""]
    if not fired:
        lines.append(feedback.NO_HINT_FIRED)
    for count, _, function, hint in fired:
        lines.append(f"- **{feedback.students(count)}** (`{function}`): {hint}")
    hardest = min(summaries, key=lambda summary: (summary.pass_rate, summary.function))
    lines += ["", feedback.lowest_pass_rate(f"`{hardest.function}`", hardest.pass_rate), ""]
    return "\n".join(lines)


def plot_scores(scores: Sequence[float], max_score: float, path: Path) -> None:
    """A histogram of the scores, one bar per point (or finer for small totals)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axis = plt.subplots(figsize=(6, 3.5))
    bins = max(1, min(20, int(round(max_score)))) if max_score > 0 else 1
    axis.hist(scores, bins=bins, range=(0, max(max_score, 1e-9)), edgecolor="white")
    axis.set_xlabel(feedback.SCORE_AXIS)
    axis.set_ylabel(feedback.STUDENTS_AXIS)
    axis.set_title(feedback.scores_chart_title(max_score))
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    figure.savefig(path, dpi=100, format="png")
    plt.close(figure)


def plot_pass_rates(summaries: Sequence[FunctionSummary], path: Path) -> None:
    """A bar chart of each function's pass rate, in percent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(4.0, 1.1 * len(summaries) + 1), 3.5))
    names = [summary.function for summary in summaries]
    rates = [100 * summary.pass_rate for summary in summaries]
    axis.bar(range(len(names)), rates)
    axis.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axis.set_ylim(0, 100)
    axis.set_ylabel(feedback.PASS_RATE_AXIS)
    axis.set_title(feedback.PASS_RATES_CHART_TEXT)
    figure.tight_layout()
    figure.savefig(path, dpi=100, format="png")
    plt.close(figure)


def _write_atomically(path: Path, write) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_class_report(
    grades: Sequence[SubmissionGrade], spec: AssignmentSpec, out: Path
) -> Path:
    """Writes ``class_report.md``, ``scores.png`` and ``pass_rates.png`` into `out`.

    Returns:
        The path of ``class_report.md``.
    """
    out.mkdir(parents=True, exist_ok=True)
    report = out / REPORT_NAME
    text = class_report_markdown(grades, spec)
    _write_atomically(report, lambda path: path.write_text(text, encoding="utf-8"))
    scores = [grade.score for grade in grades]
    _write_atomically(out / SCORES_CHART, lambda path: plot_scores(scores, spec.max_score, path))
    summaries = summarize(grades, spec)
    _write_atomically(out / PASS_RATES_CHART, lambda path: plot_pass_rates(summaries, path))
    return report
