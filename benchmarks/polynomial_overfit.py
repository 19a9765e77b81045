"""Benchmark: does training longer make the polynomial lecture's overfit target hold?

The target of `coursework.polynomial_regression` is ``test_loss_overfit >
train_loss_overfit`` for the fit on all 20 features x^i/i!. This script
replays, in float64 NumPy, the lecture's minibatch SGD (its data, initial
weights, batch 10 and half squared error; the examples shuffled by NumPy, not
by tf.data) for each seed, and prints, per seed:

* the loss of the true polynomial itself on the training and test sets (the
  noise each set happened to draw);
* the overfit fit's training and test loss after the lecture's 100 epochs at
  0.08, after 375 (Dive into Deep Learning's classic ratio, 1500 epochs for
  the overfit against 400 for the others, applied to our 100), 1500 and 6000;
* the same at D2L's own step (0.01 on the squared error without the ½, i.e.
  0.02 here) after 400 and 1500 epochs;
* Adam at 0.01 and 0.1 after 100 and 400 epochs (a change of optimizer);
* the least-squares solution of the 20-feature fit (what "fitting the noise"
  ends at; SGD cannot reach it, the features' condition number is 1e16-1e17).

It ends with, for each setting, in how many seeds the target holds (for the
true rule: in how many the test set drew more noise than the training set).
NumPy only: about 15 s of CPU for 20 seeds.

Usage::

    python benchmarks/polynomial_overfit.py [--seeds 0 1 2 ...] [--markdown FILE.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from coursework.linear_regression import initial_weights
from coursework.polynomial_regression import DEFAULTS, MAX_DEGREE, TRUE_W, synthetic_data

SGD_SETTINGS = {  # name: (learning rate on the half squared error, epochs recorded)
    "SGD 0.08": (DEFAULTS.learning_rate, (100, 375, 1500, 6000)),
    "SGD 0.02 (D2L)": (0.02, (400, 1500)),
}
ADAM_SETTINGS = {"Adam 0.01": (0.01, (100, 400)), "Adam 0.1": (0.1, (100, 400))}


def half_loss(features, labels, w) -> float:
    """Mean of (X w - y)² / 2."""
    return float(np.mean((features @ w - labels) ** 2) / 2)


def train(features, labels, seed, learning_rate, epochs, adam=False) -> dict[int, np.ndarray]:
    """Minibatch SGD (or Adam) on the half squared error; the weights after each of `epochs`."""
    w = initial_weights(features.shape[1], seed=seed).astype(np.float64)
    m, v, step = np.zeros_like(w), np.zeros_like(w), 0
    rng = np.random.default_rng([seed, 3])
    saved = {}
    for epoch in range(1, max(epochs) + 1):
        order = rng.permutation(len(features))
        for start in range(0, len(features), DEFAULTS.batch_size):
            batch = order[start : start + DEFAULTS.batch_size]
            gradient = features[batch].T @ (features[batch] @ w - labels[batch]) / len(batch)
            if adam:  # Keras's defaults: beta 0.9 and 0.999, epsilon 1e-7
                step += 1
                m = 0.9 * m + 0.1 * gradient
                v = 0.999 * v + 0.001 * gradient**2
                w = w - learning_rate * (m / (1 - 0.9**step)) / (
                    np.sqrt(v / (1 - 0.999**step)) + 1e-7
                )
            else:
                w = w - learning_rate * gradient
        if epoch in epochs:
            saved[epoch] = w.copy()
    return saved


def measure(seed: int) -> dict:
    """The figures of one seed: per setting, the overfit fit's (train, test) loss."""
    (_, train_x, train_y), (_, test_x, test_y) = synthetic_data(seed)
    train_x, train_y, test_x, test_y = (
        np.asarray(a, np.float64) for a in (train_x, train_y, test_x, test_y)
    )
    true_w = np.zeros((MAX_DEGREE, 1))
    true_w[: len(TRUE_W), 0] = TRUE_W
    row = {"true rule": (half_loss(train_x, train_y, true_w), half_loss(test_x, test_y, true_w))}
    for settings, adam in ((SGD_SETTINGS, False), (ADAM_SETTINGS, True)):
        for name, (learning_rate, epochs) in settings.items():
            for epoch, w in train(train_x, train_y, seed, learning_rate, epochs, adam).items():
                row[f"{name}, {epoch} ep"] = (half_loss(train_x, train_y, w),
                                              half_loss(test_x, test_y, w))
    least_squares, *_ = np.linalg.lstsq(train_x, train_y, rcond=None)
    row["least squares"] = (half_loss(train_x, train_y, least_squares),
                            half_loss(test_x, test_y, least_squares))
    row["condition number"] = float(np.linalg.cond(train_x))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(20)))
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the tables as Markdown")
    args = parser.parse_args(argv)
    rows = {seed: measure(seed) for seed in args.seeds}
    settings = [name for name in rows[args.seeds[0]] if name != "condition number"]
    lines = ["Overfit fit (20 features): training / test loss, ✓ when test > train.", "",
             "| seed | " + " | ".join(settings) + " |", "|---:|" + "---|" * len(settings)]
    for seed, row in rows.items():
        cells = [f"{row[name][0]:.4g} / {row[name][1]:.4g}"
                 + ("" if name == "true rule" else " " + "✗✓"[row[name][1] > row[name][0]])
                 for name in settings]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    lines += ["", "| setting | seeds where test > train | seeds where it fails |", "|---|---:|---|"]
    for name in settings:
        holds = [seed for seed, row in rows.items() if row[name][1] > row[name][0]]
        failing = [seed for seed in rows if seed not in holds]
        lines.append(f"| {name} | {len(holds)}/{len(rows)} | {' '.join(map(str, failing))} |")
    conditions = [row["condition number"] for row in rows.values()]
    lines += ["", f"Condition number of the 100 x 20 training features: "
                  f"{min(conditions):.1e} to {max(conditions):.1e}."]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
