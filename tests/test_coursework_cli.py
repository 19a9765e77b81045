"""The `coursework` command line."""

import json
import subprocess
import sys

import pytest

from coursework.cli import main


def test_train_writes_metrics_json_and_plot(tmp_path, capsys):
    metrics_path, plot_path = tmp_path / "m.json", tmp_path / "curves.png"
    status = main(["train", "linear_regression", "--impl", "scratch", "--replicas", "2",
                   "--epochs", "3", "--quiet", "--metrics-out", str(metrics_path),
                   "--plot", str(plot_path)])
    assert status == 0
    report = json.loads(metrics_path.read_text())
    assert report["topic"] == "linear_regression" and report["impl"] == "scratch"
    assert report["replicas"] == 2
    assert report["config"] == {"epochs": 3, "learning_rate": 0.06, "batch_size": 10, "seed": 0}
    assert report["metrics"]["w_error"] < 1e-3 and report["metrics"]["b_error"] < 1e-3
    assert len(report["history"]) == 3
    assert plot_path.read_bytes()[:4] == b"\x89PNG"
    assert "w_error" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "linear_regresion"], "Unknown topic 'linear_regresion'. Known topics: "),
        (["train", "linear_regression", "--epochs", "-2"], "--epochs must be at least 1, got -2"),
        (["train", "linear_regression", "--lr", "0"], "--lr must be positive"),
        (["train", "linear_regression", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["train", "linear_regression", "--data-dir", "/no/such/folder"], "is not a folder"),
        (["train", "linear_regression", "--replicas", "2", "--batch-size", "5"], "multiple of the number of replicas"),
    ],
)
def test_bad_input_gives_a_clear_message_and_nonzero_exit(arguments, message, capsys):
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_console_script_runs_in_a_fresh_process(tmp_path):
    """The installed entry point, end to end, with 2 logical CPU replicas."""
    metrics_path = tmp_path / "m.json"
    completed = subprocess.run(
        [sys.executable, "-m", "coursework", "train", "linear_regression", "--impl", "concise",
         "--replicas", "2", "--quiet", "--metrics-out", str(metrics_path)],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(metrics_path.read_text())
    assert report["replicas"] == 2
    assert report["metrics"]["w_error"] < 1e-3 and report["metrics"]["b_error"] < 1e-3
    unknown = subprocess.run([sys.executable, "-m", "coursework", "train", "nope"],
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "Unknown topic 'nope'" in unknown.stderr
