"""The lectures the `coursework` command can train, and what a run takes and gives.

A topic is a lecture module in `coursework/` that defines:

* ``DEFAULTS``: a `RunConfig` with the lecture's hyperparameters;
* ``run(impl, config, strategy) -> RunResult`` training the ``"scratch"`` or the
  ``"concise"`` implementation with the same data and hyperparameters.

Adding a lecture means writing that module and naming it in `TOPICS`.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType

TOPICS: dict[str, str] = {
    "linear_regression": "coursework.linear_regression",
    "softmax_regression": "coursework.softmax_regression",
    "mlp": "coursework.mlp",
    "dropout_mlp": "coursework.dropout_mlp",
    "rnn_lm": "coursework.rnn_lm",
    "text_classification": "coursework.text_classification",
    "conv_basics": "coursework.conv_basics",
    "lenet": "coursework.lenet",
    "lenet_classic": "coursework.lenet_classic",
    "optimization": "coursework.optimization",
    "polynomial_regression": "coursework.polynomial_regression",
    "weight_decay": "coursework.weight_decay",
}
"""Topic name to lecture module."""

IMPLEMENTATIONS = ("scratch", "concise")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Hyperparameters and settings of one training run.

    Attributes:
        epochs: Passes over the training data.
        learning_rate: Optimizer step size.
        batch_size: Global batch size (split between the replicas).
        seed: Seed for data order, initialization and dropout.
        data_dir: Optional folder with the lecture's data files.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    """

    epochs: int
    learning_rate: float
    batch_size: int
    seed: int = 0
    data_dir: str | None = None
    verbose: int | str = "auto"

    def replace(self, **changes) -> RunConfig:
        """Returns a copy with the given fields changed (None values ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclasses.dataclass
class RunResult:
    """What a training run produced.

    Attributes:
        history: Per-epoch records (see `coursework.training`).
        metrics: The lecture's headline figures, e.g. ``{"test_accuracy": 0.85}``.
        model: The trained model.
        samples: Text the model produced, by name (e.g. a language model's
            continuation of a prefix); empty for most lectures.
    """

    history: list[dict[str, float]]
    metrics: dict[str, float]
    model: object = dataclasses.field(repr=False, default=None)
    samples: dict[str, str] = dataclasses.field(default_factory=dict)


def load_topic(name: str) -> ModuleType:
    """Imports the lecture module of topic `name`.

    Args:
        name: A key of `TOPICS`.

    Returns:
        The lecture module.

    Raises:
        ValueError: If no such topic exists.
    """
    if name not in TOPICS:
        known = ", ".join(sorted(TOPICS))
        raise ValueError(f"Unknown topic {name!r}. Known topics: {known}.")
    return importlib.import_module(TOPICS[name])


def check_implementation(impl: str) -> None:
    """Raises `ValueError` unless `impl` is "scratch" or "concise"."""
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"Unknown implementation {impl!r}; use 'scratch' or 'concise'.")
