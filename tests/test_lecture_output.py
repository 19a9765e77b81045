"""What the lectures print and draw: checked paths, no escape codes, no TensorFlow start-up lines, plain plots."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coursework import plotting, topics
from coursework.cli import main
from coursework.quiet_start import STARTUP_LINE

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--metrics-out", "{tmp}"], "is a folder; give a file name, such as"),
        (["--plot", "{tmp}"], "is a folder; give a file name"),
        (["--plot", "{file}/curves.png"], "is a file, not a folder"),
        (["--metrics-out", "{file}/sub/m.json"], "is a file, not a folder"),
        (["--plot", "{tmp}/curves.txt"], "must end in .png"),
        (["--metrics-out", "{tmp}/same.png", "--plot", "{tmp}/same.png"], "the same file"),
    ],
)
def test_output_paths_are_checked_before_training(arguments, message, tmp_path, monkeypatch,
                                                  capsys):
    (tmp_path / "a-file").write_text("")

    def no_training(name):
        raise AssertionError("training started before the output paths were checked")

    monkeypatch.setattr(topics, "load_topic", no_training)
    filled = [a.format(tmp=tmp_path, file=tmp_path / "a-file") for a in arguments]
    assert main(["train", "linear_regression", *filled]) == 2
    error = capsys.readouterr().err
    assert error.startswith("coursework: error: --") and message in error
    assert "Traceback" not in error


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_piped_output_has_no_escape_codes_and_no_tensorflow_start_up_lines(impl, tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "coursework", "train", "linear_regression", "--impl", impl,
         "--epochs", "2"],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    output = completed.stdout
    assert not re.search(r"[\x1b\r\x08]", output), repr(output[:500])
    assert "Epoch 2/2" in output or impl == "concise"
    assert len([line for line in output.splitlines() if " - loss: " in line]) == 2
    startup = [line for line in completed.stderr.splitlines() if STARTUP_LINE.match(line)]
    assert startup == [], startup[:3]


def test_plots_have_integer_epoch_ticks_and_plain_loss_labels():
    history = [{"epoch": e, "loss": 0.9 - 0.1 * e, "accuracy": 0.5 + e / 10,
                "seconds": 1.0, "examples_per_second": 10.0} for e in (1, 2, 3)]
    figure = plotting.history_figure(history)
    try:
        figure.canvas.draw()
        loss_axis, accuracy_axis = figure.axes
        for axis in (loss_axis, accuracy_axis):
            epochs = [tick for tick in axis.get_xticks() if 1 <= tick <= 3]
            assert epochs and all(float(tick).is_integer() for tick in epochs)
        labels = [label.get_text() for label in loss_axis.get_yticklabels(minor=True)]
        labels += [label.get_text() for label in loss_axis.get_yticklabels()]
        shown = [label for label in labels if label]
        assert shown, "the loss axis has labels"
        for label in shown:
            assert re.fullmatch(r"\d+(\.\d+)?", label), label  # "0.6", never 6×10⁻¹
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
