"""The class report: pass rates, hints by frequency and charts, counted from the outcomes."""

from autograder.checks import AssignmentSpec, Case, FunctionCheck
from autograder.class_report import class_report_markdown, summarize, write_class_report
from autograder.grading import CaseOutcome, FunctionGrade, SubmissionGrade

BIAS = "The bias b is missing: add b."
SHAPE = "Keep the shape (n, 1)."
HALF = "The loss lacks its factor 1/2."


def _check(name, points):
    return FunctionCheck(name, points, lambda: [Case("a"), Case("b")], lambda *a: None)


SPEC = AssignmentSpec("demo", (_check("linreg", 2), _check("squared_loss", 1)))


def _function(name, points, *results):
    """results: True for a passing case, or the hint (or None) of a failing one."""
    outcomes = [
        CaseOutcome(f"case {index}", status="passed") if result is True
        else CaseOutcome(f"case {index}", status="raised" if result is None else "failed",
                         message="wrong", hint=result)
        for index, result in enumerate(results)
    ]
    passed = sum(outcome.passed for outcome in outcomes)
    return FunctionGrade(name, points, points * passed / len(outcomes), outcomes)


def _student(name, linreg, squared_loss, problem=None):
    grade = SubmissionGrade(name, None, 3.0, problem=problem)
    grade.functions = [_function("linreg", 2, *linreg), _function("squared_loss", 1, *squared_loss)]
    return grade


GRADES = [
    _student("Ann_Q", (True, True), (True, True)),
    _student("Ben_Q", (BIAS, BIAS), (HALF, True)),  # the same hint twice counts one student
    _student("Cid_Q", (BIAS, SHAPE), (True, True)),
    _student("Dee_Q", (True, BIAS), (HALF, HALF)),
    _student("Eve_Q", (None, None), (None, None), problem="syntax error"),
]


def test_pass_rates_and_hint_counts_come_from_the_outcomes():
    linreg, loss = summarize(GRADES, SPEC)
    assert (linreg.passing, linreg.students, loss.passing) == (1, 5, 2)
    assert linreg.hints == {BIAS: 3, SHAPE: 1}
    assert loss.hints == {HALF: 2}
    assert linreg.cases_passed == 3 and linreg.cases_run == 10
    assert linreg.statuses == {"failed": 5, "raised": 2}


def test_report_lists_hints_most_frequent_first_and_names_no_student():
    report = class_report_markdown(GRADES, SPEC)
    lines = report.splitlines()
    hints = [line for line in lines if line.startswith("- **")]
    assert hints == [
        f"- **3 students** (`linreg`): {BIAS}",
        f"- **2 students** (`squared_loss`): {HALF}",
        f"- **1 student** (`linreg`): {SHAPE}",
    ]
    assert "| `linreg` | 2 | 1 of 5 | 20% |" in report
    assert "| `squared_loss` | 1 | 2 of 5 | 40% |" in report
    assert "5 students graded" in report and "1 with full marks, 1 with zero" in report
    assert "1 of them could not be graded at all" in report
    assert "Lowest pass rate: `linreg` (20%)" in report
    for name in ("Ann_Q", "Ben_Q", "Cid_Q", "Dee_Q", "Eve_Q", "syntax error"):
        assert name not in report


def test_write_class_report_writes_markdown_and_two_pngs(tmp_path):
    path = write_class_report(GRADES, SPEC, tmp_path / "out")
    assert path == tmp_path / "out" / "class_report.md"
    assert "scores.png" in path.read_text() and "pass_rates.png" in path.read_text()
    for chart in ("scores.png", "pass_rates.png"):
        data = (tmp_path / "out" / chart).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "class_report.md", "pass_rates.png", "scores.png"
    ]


def test_an_empty_class_gets_a_report_too(tmp_path):
    assert "No submissions were graded." in class_report_markdown([], SPEC)
