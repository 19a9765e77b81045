"""Lecture: optimization — saddle points, momentum, Adam and the batch size.

Training a network minimizes its loss by following the gradient. This lecture
looks at three things that decide how well that works, and measures each:

1. **Critical points.** Where the gradient is zero, the loss may have a
   minimum, a maximum or a *saddle point*. The Hessian (the matrix of second
   derivatives, computed here with two nested `tf.GradientTape`s) tells them
   apart by the signs of its eigenvalues. Our example is the smallest network
   with a saddle: ``y = w1 * w2 * x`` with squared loss on the single training
   example (x, y) = (1, 1), so ``L(w) = (w1 * w2 - 1)²``. At w = (0, 0) the gradient is zero, the
   Hessian ``[[0, -2], [-2, 0]]`` has eigenvalues -2 and 2, and one step along
   the eigenvector (1, 1) of -2 lowers the loss: gradient descent, which sees
   a zero gradient, would stay there forever.
2. **Momentum and Adam.** Gradient descent zigzags across a narrow valley: an
   *ill-conditioned* loss, steep in one direction and flat in another, forces
   a learning rate small enough for the steep direction, and then the flat
   one takes forever. **Momentum** keeps a velocity, a decaying sum of past
   steps (``v <- momentum * v - lr * g``, ``w <- w + v``): steps along the
   valley add up, steps across it cancel. **Adam** divides each coordinate's
   step by a running root mean square of its gradients, so every coordinate
   moves at about the learning rate whatever its curvature. We draw the three
   on an ill-conditioned quadratic and on the Rosenbrock function and count
   the steps each needs to get within 1e-3 of the minimum. The hand-written
   `coursework.scratch.SGD` (with momentum) and `coursework.scratch.Adam` are
   checked against Keras's along the way.
3. **The batch size.** The Fashion-MNIST MLP of `coursework.mlp`, trained for
   the same number of epochs with global batches of 16, 256 and 4096. A large
   batch takes few, accurate steps and keeps parallel hardware busy, so an
   epoch is fast; a small batch takes many noisy steps, which costs time per
   epoch but in a fixed number of epochs usually reaches a better model. The
   learning rate is scaled with the batch (see `scaled_learning_rate`).

The two implementations differ only in who writes the optimizers: "scratch"
uses the hand-written ones (and, for the MLP, the training step of
`coursework.linear_regression.make_train_step`),
"concise" Keras's ``SGD``, ``Adam`` and ``fit``. The headline figures are the
metrics ``saddle_eigenvalues``, ``steps_gd``, ``steps_momentum``,
``steps_adam``, ``adam_max_diff`` and ``batch_table``.

Run it with ``coursework train optimization --data-dir FOLDER --epochs 2
--metrics-out m.json --plot curves.png`` (FOLDER holding Fashion-MNIST's four
IDX files; without ``--data-dir`` the data comes from tensorflow-datasets).
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from coursework import mlp
from coursework.classification import Splits, load_splits, run_classifier
from coursework.scratch import SGD, Adam
from coursework.topics import RunConfig, RunResult, check_implementation

# ---------------------------------------------------------------------------
# Setup: the lecture's settings.
# ---------------------------------------------------------------------------
DEFAULTS = RunConfig(epochs=5, learning_rate=0.003, batch_size=256)
"""For the batch-size study: epochs per batch size, and the learning rate at the
*reference* global batch size ``batch_size`` (the MLP lecture's settings)."""

BATCH_SIZES = (16, 256, 4096)
"""Global batch sizes of the batch-size study."""

TOLERANCE = 1e-3
"""A trajectory has reached the minimum once its distance to it is at most this."""


# ---------------------------------------------------------------------------
# Saddle point: the Hessian with nested gradient tapes, and the way out.
# ---------------------------------------------------------------------------
def saddle_loss(w):
    """Squared loss of the network ``y = w1 * w2 * x`` on the one example (1, 1)."""
    x, y = 1.0, 1.0
    return (w[0] * w[1] * x - y) ** 2


def hessian(f: Callable[[tf.Tensor], tf.Tensor], x) -> tf.Tensor:
    """The Hessian of a scalar function `f` at the 1-D point `x`, shape (n, n).

    The inner tape records f and gives its gradient g(x). That computation
    happens while the outer tape records, so the outer tape can take the
    Jacobian of g, which is the Hessian. (A single tape cannot: the gradient
    it returns is computed after it stopped recording.)
    """
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            value = f(x)
        gradient = inner.gradient(value, x)
    return outer.jacobian(gradient, x)


def analyse_saddle() -> dict[str, object]:
    """Gradient, Hessian eigenvalues and one escape step at w = (0, 0).

    Returns:
        ``gradient``, ``eigenvalues`` (ascending), ``direction`` (the unit
        eigenvector of the most negative eigenvalue), and the loss before and
        after one step of length ``step`` along that direction.
    """
    w = tf.constant([0.0, 0.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(w)
        loss = saddle_loss(w)
    gradient = tape.gradient(loss, w)
    eigenvalues, eigenvectors = np.linalg.eigh(hessian(saddle_loss, w).numpy())
    direction = eigenvectors[:, 0] * np.sign(eigenvectors[0, 0])  # (1, 1) / sqrt(2)
    step = 0.5
    return {
        "gradient": gradient.numpy().tolist(),
        "eigenvalues": eigenvalues.tolist(),
        "direction": direction.tolist(),
        "step": step,
        "loss_before": float(loss),
        "loss_after": float(saddle_loss(w + step * direction)),
    }


def show_saddle() -> None:
    """Prints the saddle point's gradient, Hessian eigenvalues and escape step."""
    saddle = analyse_saddle()
    print(f"gradient at (0, 0): {saddle['gradient']}")
    print(f"Hessian eigenvalues: {saddle['eigenvalues']}  (both signs: a saddle)")
    direction = ", ".join(f"{value:.4f}" for value in saddle["direction"])
    print(f"escape direction (eigenvector of {saddle['eigenvalues'][0]:g}): ({direction})")
    print(f"loss {saddle['loss_before']:g} at (0, 0), {saddle['loss_after']:.4f} after a step "
          f"of {saddle['step']:g} along it")


# ---------------------------------------------------------------------------
# Trajectories: gradient descent, momentum and Adam on two hard functions.
# ---------------------------------------------------------------------------
def quadratic(x):
    """``0.1 x1² + 2 x2²``: curvatures 0.2 and 4, condition number 20."""
    return 0.1 * x[0] ** 2 + 2.0 * x[1] ** 2


def rosenbrock(x):
    """``(1 - x1)² + 100 (x2 - x1²)²``: a curved, flat-bottomed valley."""
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


PROBLEMS = {
    "quadratic": {
        "function": quadratic,
        "start": (-5.0, -2.0),
        "minimum": (0.0, 0.0),
        "learning_rate": 0.1,  # gradient descent and momentum share it
        "momentum": 0.8,
        "adam_learning_rate": 0.1,
        "max_steps": 2_000,
        "window": ((-5.5, 5.5), (-2.5, 2.5)),
    },
    "rosenbrock": {
        "function": rosenbrock,
        "start": (-1.2, 1.0),
        "minimum": (1.0, 1.0),
        "learning_rate": 0.001,
        "momentum": 0.9,
        "adam_learning_rate": 0.1,
        "max_steps": 20_000,
        "window": ((-1.6, 1.6), (-0.6, 2.0)),
    },
}
"""Each problem's function, start, minimum, optimizer settings and plot window."""

OPTIMIZERS = ("gd", "momentum", "adam")


def make_optimizer(kind: str, impl: str, problem: dict):
    """Gradient descent, momentum or Adam, hand-written or Keras's, for `problem`."""
    rate, momentum = problem["learning_rate"], problem["momentum"]
    if kind == "gd":
        return SGD(rate) if impl == "scratch" else keras.optimizers.SGD(rate)
    if kind == "momentum":
        if impl == "scratch":
            return SGD(rate, momentum=momentum)
        # Keras's sign convention is the material's: v = momentum * v - lr * g; w = w + v.
        return keras.optimizers.SGD(rate, momentum=momentum)
    if kind == "adam":
        rate = problem["adam_learning_rate"]
        return Adam(rate) if impl == "scratch" else keras.optimizers.Adam(rate)
    raise ValueError(f"Unknown optimizer {kind!r}; use one of {', '.join(OPTIMIZERS)}.")


def descend(function, start, optimizer, steps: int) -> np.ndarray:
    """Runs `optimizer` on `function` from `start` for `steps` steps.

    The whole loop is one `tf.function` (a graph ``while`` loop), so thousands
    of steps take a fraction of a second.

    Returns:
        The path: the point before each step and after the last, shape
        (steps + 1, 2).
    """
    point = tf.Variable(start, dtype=tf.float32)
    optimizer.build([point])

    @tf.function
    def take_steps():
        path = tf.TensorArray(tf.float32, size=steps + 1).write(0, point.read_value())
        for step in tf.range(steps):
            with tf.GradientTape() as tape:
                value = function(point)
            optimizer.apply_gradients([(tape.gradient(value, point), point)])
            path = path.write(step + 1, point.read_value())
        return path.stack()

    return take_steps().numpy()


def steps_to_reach(path: np.ndarray, minimum, tolerance: float = TOLERANCE) -> int | None:
    """The first step after which the path is within `tolerance` of `minimum`, or None."""
    distances = np.linalg.norm(path - np.asarray(minimum), axis=1)
    inside = np.flatnonzero(distances <= tolerance)
    return int(inside[0]) if inside.size else None


def trajectories(impl: str) -> dict[str, dict[str, np.ndarray]]:
    """The paths of the three optimizers on both problems, ``paths[problem][optimizer]``."""
    return {
        name: {
            kind: descend(
                problem["function"],
                problem["start"],
                make_optimizer(kind, impl, problem),
                problem["max_steps"],
            )
            for kind in OPTIMIZERS
        }
        for name, problem in PROBLEMS.items()
    }


def count_steps(paths: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, int | None]]:
    """Steps each optimizer needs to get within `TOLERANCE`, ``steps[optimizer][problem]``."""
    return {
        kind: {
            name: steps_to_reach(paths[name][kind], PROBLEMS[name]["minimum"])
            for name in PROBLEMS
        }
        for kind in OPTIMIZERS
    }


def adam_difference(steps: int = 100, seed: int = 0) -> float:
    """Largest difference between the hand-written Adam and Keras's after `steps` steps.

    Both minimize the same function of a (3, 4) parameter from the same start.
    """
    start = np.random.default_rng(seed).normal(size=(3, 4)).astype(np.float32)
    ours, theirs = tf.Variable(start), tf.Variable(start)
    mine, keras_adam = Adam(0.01), keras.optimizers.Adam(0.01)
    mine.build([ours])
    keras_adam.build([theirs])

    def loss(w):
        return tf.reduce_sum(tf.sin(w) * w**2)

    for _ in range(steps):
        for optimizer, variable in ((mine, ours), (keras_adam, theirs)):
            with tf.GradientTape() as tape:
                value = loss(variable)
            optimizer.apply_gradients([(tape.gradient(value, variable), variable)])
    return float(np.max(np.abs(ours.numpy() - theirs.numpy())))


def show_trajectories() -> None:
    """Prints the steps each optimizer needs, hand-written and Keras's, and the Adam check."""
    for impl in ("scratch", "concise"):
        steps = count_steps(trajectories(impl))
        print(f"{impl}: steps to within {TOLERANCE:g} of the minimum")
        for name in PROBLEMS:
            counts = ", ".join(f"{kind} {steps[kind][name]}" for kind in OPTIMIZERS)
            print(f"  {name:<10} {counts}")
    print(f"hand-written Adam vs Keras after 100 steps: max difference {adam_difference():.3g}")


# ---------------------------------------------------------------------------
# Batch size: the Fashion-MNIST MLP with small, medium and large global batches.
# ---------------------------------------------------------------------------
def scaled_learning_rate(config: RunConfig, batch_size: int) -> float:
    """The learning rate for `batch_size`, from the one at ``config.batch_size``.

    A minibatch gradient is a mean of B per-example gradients: its noise has a
    variance proportional to 1/B. For plain SGD the *linear* scaling rule
    (Goyal et al., 2017) multiplies the learning rate by k when the batch
    grows k-fold, so that one large step stands for k small ones. Adam,
    which the MLP trains with, already divides each step by the root mean
    square of the gradients; for it the rule that keeps the noise of the
    updates the same is the *square-root* rule (Malladi et al., 2022):
    ``lr = lr_ref * sqrt(B / B_ref)``.
    """
    return config.learning_rate * math.sqrt(batch_size / config.batch_size)


def batch_size_study(
    impl: str,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    splits: Splits,
    batch_sizes: Sequence[int] = BATCH_SIZES,
) -> tuple[list[dict], list[dict], dict[int, object]]:
    """Trains the MLP once per global batch size, with the same epochs and data.

    Under `MirroredStrategy` with R replicas the global batch is split: each
    replica computes the gradient of ``B / R`` examples and the replicas add
    theirs up before every step. The optimizer therefore sees one gradient per
    *global* batch, and the learning rate follows the global batch size; the
    per-replica batch only decides how much work each device does per step
    (and how often they must synchronize: once per step, so ``60000 / B``
    times per epoch).

    Returns:
        ``(table, history, models)``: one row per batch size (global and
        per-replica batch, learning rate, steps per epoch, seconds per epoch,
        test accuracy), every run's per-epoch records tagged with its
        ``batch_size``, and the trained models by batch size.
    """
    replicas = strategy.num_replicas_in_sync
    table, history, models = [], [], {}
    for batch_size in batch_sizes:
        run_config = config.replace(
            batch_size=batch_size, learning_rate=scaled_learning_rate(config, batch_size)
        )
        result = run_classifier(
            impl,
            run_config,
            strategy,
            build_scratch=lambda: mlp.MLPScratch(seed=config.seed),
            build_concise=lambda: mlp.build_concise_model(seed=config.seed),
            data=splits,
        )
        seconds = [record["seconds"] for record in result.history]
        # The first epoch also traces and compiles the training step.
        timed = seconds[1:] or seconds
        table.append(
            {
                "batch_size": batch_size,
                "per_replica_batch_size": batch_size // replicas,
                "learning_rate": run_config.learning_rate,
                "steps_per_epoch": steps_per_epoch(len(splits[0][1]), batch_size, replicas),
                "seconds_per_epoch": sum(timed) / len(timed),
                "test_accuracy": result.metrics["test_accuracy"],
            }
        )
        history += [{"batch_size": batch_size, **record} for record in result.history]
        models[batch_size] = result.model
    return table, history, models


def steps_per_epoch(examples: int, batch_size: int, replicas: int) -> int:
    """Steps in one epoch: the last, smaller batch is dropped under several replicas."""
    return examples // batch_size if replicas > 1 else math.ceil(examples / batch_size)


def format_table(table: list[dict]) -> str:
    """The batch-size table as aligned text."""
    lines = ["global batch  per replica  learning rate  steps/epoch  s/epoch  test accuracy"]
    for row in table:
        lines.append(
            f"{row['batch_size']:>12}  {row['per_replica_batch_size']:>11}  "
            f"{row['learning_rate']:>13.6g}  {row['steps_per_epoch']:>11}  "
            f"{row['seconds_per_epoch']:>7.2f}  {row['test_accuracy']:>13.4f}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Run the three parts.
# ---------------------------------------------------------------------------
def run(
    impl: str,
    config: RunConfig,
    strategy: tf.distribute.Strategy,
    data: Splits | None = None,
    batch_sizes: Sequence[int] = BATCH_SIZES,
) -> RunResult:
    """The saddle point, the trajectories and the batch-size study.

    Args:
        impl: "scratch" (hand-written optimizers and training loop) or
            "concise" (Keras's optimizers and ``fit``).
        config: The batch-size study's settings (`DEFAULTS` unless
            overridden): ``learning_rate`` applies at the reference global
            batch ``batch_size`` and is scaled for the others;
            ``data_dir`` a folder of Fashion-MNIST's IDX files, or None for
            tensorflow-datasets.
        strategy: The `MirroredStrategy` the MLP trains under.
        data: Arrays to train the MLP on instead of Fashion-MNIST; for tests
            only, and labelled as such in the ``batch_data`` metric.
        batch_sizes: Global batch sizes of the study (tests use small ones).

    Returns:
        The MLP runs' per-epoch records (each with its ``batch_size``) as
        history, and the metrics ``saddle_eigenvalues``, ``saddle_loss_before``,
        ``saddle_loss_after``, ``steps_gd``, ``steps_momentum``, ``steps_adam``
        (each ``{"quadratic": n, "rosenbrock": n}``, None where the minimum
        was not reached), ``adam_max_diff``, ``batch_table`` and ``batch_data``;
        the model is the MLP trained with the reference batch size (or else
        with the last one).

    Raises:
        ValueError: If `impl`, a hyperparameter or the data is invalid.
        FileNotFoundError: If Fashion-MNIST cannot be found.
    """
    check_implementation(impl)
    if not batch_sizes or any(size < 1 for size in batch_sizes):
        raise ValueError(f"batch_sizes must be positive integers, got {batch_sizes}.")
    saddle = analyse_saddle()
    steps = count_steps(trajectories(impl))
    splits = load_splits(config, data)
    train_count, test_count = len(splits[0][1]), len(splits[1][1])
    source = "Fashion-MNIST" if data is None else "TEST DATA given to run(), not Fashion-MNIST"
    if data is None and config.data_dir:
        source += f" from {config.data_dir}"
    usable = [size for size in batch_sizes if size <= train_count]
    if not usable:
        raise ValueError(
            f"Every batch size of {list(batch_sizes)} exceeds the {train_count} training examples."
        )
    table, history, models = batch_size_study(impl, config, strategy, splits, usable)
    metrics = {
        "saddle_eigenvalues": saddle["eigenvalues"],
        "saddle_loss_before": saddle["loss_before"],
        "saddle_loss_after": saddle["loss_after"],
        "steps_gd": steps["gd"],
        "steps_momentum": steps["momentum"],
        "steps_adam": steps["adam"],
        "adam_max_diff": adam_difference(),
        "batch_table": table,
        "batch_data": f"{source}: {train_count} training and {test_count} test examples"
        + (f"; batch sizes above {train_count} left out" if len(usable) < len(batch_sizes) else ""),
    }
    if config.verbose:
        print(format_table(table))
    model = models.get(config.batch_size, models[usable[-1]])
    return RunResult(history=history, metrics=metrics, model=model)


# ---------------------------------------------------------------------------
# Plot: trajectories over the contours, and test accuracy per batch size.
# ---------------------------------------------------------------------------
def plot_result(result: RunResult, path: str | pathlib.Path, title: str = "") -> pathlib.Path:
    """Draws the trajectories and the batch-size curves into one PNG.

    The trajectories are recomputed (they take a second) with the hand-written
    optimizers; the batch-size curves come from ``result.history``.

    Args:
        result: What `run` returned.
        path: Where to write the PNG; parent folders are created.
        title: Optional figure title.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    paths = trajectories("scratch")
    steps = count_steps(paths)
    figure, axes = plt.subplots(1, 4, figsize=(20, 4.5))
    for axis, (name, problem) in zip(axes[:2], PROBLEMS.items(), strict=True):
        (x_low, x_high), (y_low, y_high) = problem["window"]
        grid_x, grid_y = np.meshgrid(
            np.linspace(x_low, x_high, 200), np.linspace(y_low, y_high, 200)
        )
        values = problem["function"](np.stack([grid_x, grid_y]))
        levels = np.geomspace(max(values.min(), 1e-3), values.max(), 20)
        axis.contour(grid_x, grid_y, values, levels=levels, colors="0.75", linewidths=0.7)
        for kind in OPTIMIZERS:
            reached = steps[kind][name]
            trail = paths[name][kind][: (reached or problem["max_steps"]) + 1]
            label = f"{kind}: {reached if reached is not None else 'not'} steps"
            axis.plot(trail[:, 0], trail[:, 1], marker=".", markersize=2, linewidth=1, label=label)
        axis.plot(*problem["minimum"], marker="*", markersize=12, color="black")
        axis.set_xlim(x_low, x_high)
        axis.set_ylim(y_low, y_high)
        axis.set_title(f"{name} (to within {TOLERANCE:g} of the minimum)")
        axis.legend(fontsize=8)
    batch_sizes = sorted({record["batch_size"] for record in result.history})
    for batch_size in batch_sizes:
        records = [r for r in result.history if r["batch_size"] == batch_size]
        epochs = [r["epoch"] for r in records]
        accuracy = [r.get("val_accuracy", math.nan) for r in records]
        elapsed = np.cumsum([r["seconds"] for r in records])
        axes[2].plot(epochs, accuracy, marker="o", label=f"batch {batch_size}")
        axes[3].plot(elapsed, accuracy, marker="o", label=f"batch {batch_size}")
    axes[2].set_xlabel("epoch")
    axes[3].set_xlabel("training time (s)")
    for axis in axes[2:]:
        axis.set_ylabel("test accuracy")
        axis.grid(True, alpha=0.3)
        if batch_sizes:
            axis.legend()
    axes[2].set_title("MLP on Fashion-MNIST, by global batch size")
    axes[3].set_title("the same runs against wall time")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


if __name__ == "__main__":
    from coursework.distribute import get_strategy

    for implementation in ("scratch", "concise"):
        result = run(implementation, DEFAULTS.replace(verbose=2), get_strategy())
        print(f"{implementation}: {result.metrics}")
