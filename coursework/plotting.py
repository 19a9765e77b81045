"""Training curves saved as PNG files, without a screen or a notebook."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: write files, never open windows

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import LogFormatter, MaxNLocator  # noqa: E402

_NOT_CURVES = {"epoch", "seconds", "examples_per_second"}


def curve_names(history: list[dict[str, float]]) -> list[str]:
    """Names the quantities a history tracks, without their ``val_`` twins.

    Args:
        history: Per-epoch records as returned by `coursework.training`.

    Returns:
        Quantity names in their order of appearance, e.g. ``["loss", "accuracy"]``.
    """
    names: list[str] = []
    for record in history:
        for key in record:
            name = key.removeprefix("val_")
            if key not in _NOT_CURVES and name not in names:
                names.append(name)
    return names


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels in plain notation ("0.2", "3", "0.001"), chosen as Matplotlib does."""

    def _num_to_string(self, x, vmin, vmax):
        return f"{x:.3g}"


def plot_history(history: list[dict[str, float]], path: str | Path, title: str = "") -> Path:
    """Plots each tracked quantity per epoch, training and validation, into a PNG.

    Args:
        history: Per-epoch records as returned by `coursework.training`.
        path: Where to write the PNG; parent folders are created.
        title: Optional figure title.

    Returns:
        The path written.

    Raises:
        ValueError: If `history` is empty.
    """
    if not history:
        raise ValueError("Cannot plot an empty training history.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = history_figure(history, title)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def history_figure(history: list[dict[str, float]], title: str = ""):
    """The figure `plot_history` saves: one panel per quantity, epochs on the x axis.

    Args:
        history: Per-epoch records, not empty.
        title: Optional figure title.

    Returns:
        The Matplotlib figure (the caller closes it).
    """
    names = curve_names(history)
    epochs = [record["epoch"] for record in history]
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in history[0]:
                axis.plot(epochs, [record[key] for record in history], marker="o", label=label)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs 1, 2, 3; never 1.5
        axis.set_ylabel(name)
        if name == "loss":
            axis.set_yscale("log")
            # Plain numbers ("0.6", "2"), not matplotlib's 6×10⁻¹.
            axis.yaxis.set_major_formatter(PlainLogFormatter(labelOnlyBase=False))
            axis.yaxis.set_minor_formatter(
                PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5))
            )
        axis.grid(True, alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
