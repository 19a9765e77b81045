"""Model expectations: how every spec grades a function that builds a Keras model.

A model-building function is graded by what it returns, in this order:

1. a `keras.Model`, uncompiled (the training code picks optimizer and loss);
2. its layers: the kinds in order (`Layer`), activation layers folded into
   the layer before them, ``Reshape`` counted as ``Flatten``;
3. that it outputs logits (no activation on its last layer), when asked;
4. the layers' settings (units, activation, dropout rate, filters, ...);
5. its output shape on a batch of 2 inputs, and its parameter count;
6. a brief training with the spec's `Recipe` (optimizer, loss, epochs, data):
   the sandbox trains the model and sends back its predictions on held-out
   inputs, and the grader computes the metric with labels the student's code
   never sees.

The sandbox only follows the recipe it is sent (`autograder.sandbox.harness`);
every choice is here and in the specs. Each problem has a dotted kind for
hints: ``model.not_a_model``, ``model.compiled``, ``layers.missing.<Kind>``,
``layers.extra.<Kind>``, ``layers.order``, ``model.logits``,
``layers.config.<key>``, ``model.output_shape``, ``model.params``,
``model.training``, ``model.metric``.

Example::

    BUILD = model_check(
        "build_softmax_model", points=3,
        arguments={"num_classes": 10},
        expect=lambda num_classes: ModelExpectation(
            layers=(Layer("Flatten"), Layer("Dense", units=num_classes)),
            output_shape=(num_classes,), param_count=784 * num_classes + num_classes),
        recipe=IMAGE_RECIPE,
        cases=[Case("default: 10 classes", (), public=True), Case("12 classes", (12,))],
    )
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.checks import Case, FunctionCheck, Hint, Mismatch, array_or_none, problem
from autograder.feedback import describe, is_unsupported
from autograder.sandbox.source import meaningful_line

ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax", "LeakyReLU": "leaky_relu",
                     "ELU": "elu", "PReLU": "prelu"}
"""Layers that only apply an activation, folded into the layer before them."""
ALIASES = {"Reshape": "Flatten"}
"""Layer classes counted as another kind (a Reshape to (n, d) flattens too)."""


@dataclasses.dataclass(frozen=True)
class Layer:
    """One expected layer: its kind (Keras class name) and the settings that must match.

    Example: ``Layer("Dense", units=256, activation="relu")``. Settings left
    out are not checked; ``activation`` defaults to unchecked too.
    """

    kind: str
    settings: dict = dataclasses.field(default_factory=dict)

    def __init__(self, kind: str, **settings: Any):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "settings", settings)


@dataclasses.dataclass(frozen=True)
class ModelExpectation:
    """What one call's model must look like.

    Attributes:
        layers: The expected layers in order (InputLayer and activation layers
            excluded; see the module docstring).
        output_shape: The output shape of one example, e.g. ``(10,)``.
        param_count: The number of parameters, or None to leave it unchecked.
        logits: Whether the last layer must have no activation.
    """

    layers: tuple[Layer, ...]
    output_shape: tuple[int, ...] | None = None
    param_count: int | None = None
    logits: bool = True


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A brief training, as data: the sandbox follows it, the grader judges the result.

    Attributes:
        data: Returns ``{"x", "y", "x_eval", "y_eval"}`` arrays (seeded).
        optimizer: Keras optimizer class name ("Adam", "SGD", ...).
        optimizer_config: Its settings, e.g. ``{"learning_rate": 0.003}``.
        loss: Keras loss class name ("SparseCategoricalCrossentropy", ...).
        loss_config: Its settings, e.g. ``{"from_logits": True}``.
        epochs: Epochs of training.
        batch_size: Batch size.
        seed: Seed set before the model is built (weights, shuffling, dropout).
        metric: "accuracy" (argmax over the last axis against ``y_eval``) or
            "mse" (mean squared error against ``y_eval``).
        target: The least accuracy, or the largest mse, a correct model reaches.
    """

    data: Callable[[], dict]
    optimizer: str = "Adam"
    optimizer_config: dict = dataclasses.field(default_factory=lambda: {"learning_rate": 0.003})
    loss: str = "SparseCategoricalCrossentropy"
    loss_config: dict = dataclasses.field(default_factory=lambda: {"from_logits": True})
    epochs: int = 2
    batch_size: int = 32
    seed: int = 0
    metric: str = "accuracy"
    target: float = 0.8

    def __post_init__(self):
        if self.metric not in ("accuracy", "mse"):
            raise ValueError(f"Recipe.metric must be 'accuracy' or 'mse', got {self.metric!r}")

    def options(self) -> dict:
        """The adapter's ``train`` options: what the sandbox needs to train."""
        data = self.data()
        return {
            "x": data["x"], "y": data["y"], "x_eval": data["x_eval"],
            "optimizer": {"class_name": self.optimizer, "config": dict(self.optimizer_config)},
            "loss": {"class_name": self.loss, "config": dict(self.loss_config)},
            "epochs": self.epochs, "batch_size": self.batch_size, "seed": self.seed,
        }

    def facts(self) -> dict:
        """What a problem's sentence says of the recipe (`autograder.feedback.recipe_phrase`)."""
        return {"epochs": self.epochs, "optimizer": self.optimizer, "loss": self.loss,
                "batch_size": self.batch_size}


FLATTEN_HINT = Hint(
    "Add keras.layers.Flatten() before the first Dense layer: without it Dense acts on the last "
    "axis of each 28 × 28 image and the output keeps an extra axis.", when="layers.missing.Flatten")
"""The hint of an image classifier whose Dense layers get unflattened images."""
LOGITS_HINT = Hint(
    "Leave the last Dense layer without activation: the model outputs logits, and the loss "
    "(from_logits=True) applies the softmax.", when="model.logits")
"""The hint of a classifier that applies an activation to its logits."""


# ---------------------------------------------------------------------------
# A seeded data set for image classifiers.
# ---------------------------------------------------------------------------
IMAGE_SHAPE = (28, 28)


@functools.cache
def blob_images(classes: int = 10, seed: int = 100) -> dict[str, np.ndarray]:
    """Seeded 28 × 28 "images" that a linear model separates.

    Each class has a random prototype image; an example is its class's
    prototype plus strong Gaussian noise, so single pixels say little but a
    linear model over all 784 pixels separates the classes.

    Returns:
        ``x`` (256, 28, 28) and ``y`` (256,) to train on, ``x_eval`` (128, 28,
        28) and ``y_eval`` (128,) to measure the accuracy; images are float32
        around 0.5, labels int64 in [0, classes).
    """
    rng = np.random.default_rng([20261123, seed])
    prototypes = rng.normal(size=(classes, *IMAGE_SHAPE))

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.permutation(np.arange(count) % classes)
        noise = rng.normal(0.0, 2.0, size=(count, *IMAGE_SHAPE))
        images = 0.5 + 0.25 * (prototypes[labels] + noise)
        return images.astype(np.float32), labels.astype(np.int64)

    x, y = draw(256)
    x_eval, y_eval = draw(128)
    return {"x": x, "y": y, "x_eval": x_eval, "y_eval": y_eval}


IMAGE_RECIPE = Recipe(data=blob_images, target=0.8)
"""Two epochs of Adam (0.003) on `blob_images`: correct classifiers reach 0.94 to 1.0."""


# ---------------------------------------------------------------------------
# Judging a model summary.
# ---------------------------------------------------------------------------
def _activation(layer: dict) -> str:
    activation = layer.get("config", {}).get("activation")
    return "linear" if activation in (None, "linear") else str(activation)


def significant_layers(summary: dict) -> list[dict]:
    """The model's layers as kinds with settings: no InputLayer, activations folded in."""
    layers: list[dict] = []
    for layer in summary["layers"]:
        kind = str(layer.get("class_name"))
        config = dict(layer.get("config", {}))
        if kind == "InputLayer":
            continue
        activation = ACTIVATION_LAYERS.get(kind)
        if kind == "Activation":
            activation = _activation(layer)
        if activation is not None and layers and layers[-1]["activation"] == "linear":
            layers[-1]["activation"] = activation
            continue
        if activation is not None:
            layers.append({"kind": kind, "config": config, "activation": activation})
            continue
        layers.append({"kind": ALIASES.get(kind, kind), "config": config,
                       "activation": _activation(layer)})
    return layers


def _listing(layers: list[dict]) -> list[tuple[str, list]]:
    """The layers as (kind, settings) pairs: units, filters, rate, and a non-linear activation."""
    listing = []
    for layer in layers:
        settings = [layer["config"][key] for key in ("units", "filters", "rate")
                    if key in layer["config"]]
        if layer["activation"] != "linear":
            settings.append(layer["activation"])
        listing.append((layer["kind"], settings))
    return listing


def _layers_problem(layers: list[dict], expected: Sequence[Layer]) -> Mismatch:
    kinds, wanted = [layer["kind"] for layer in layers], [layer.kind for layer in expected]
    if kinds == wanted:
        return None
    listing = _listing(layers)
    have, need = Counter(kinds), Counter(wanted)
    for kind in dict.fromkeys(wanted):
        if have[kind] < need[kind]:
            return problem(f"layers.missing.{kind}", layer=kind, count=have[kind],
                           expected=need[kind], layers=listing)
    for kind in dict.fromkeys(kinds):
        if have[kind] > need[kind]:
            return problem(f"layers.extra.{kind}", layer=kind, count=have[kind],
                           expected=need[kind], layers=listing)
    return problem("layers.order", layers=listing, expected=wanted)


def _settings_problem(layers: list[dict], expected: Sequence[Layer]) -> Mismatch:
    keys = dict.fromkeys(key for layer in expected for key in layer.settings)
    for key in keys:
        for kind in dict.fromkeys(layer.kind for layer in expected if key in layer.settings):
            pairs = [(got, want) for got, want in zip(layers, expected, strict=True)
                     if want.kind == kind and key in want.settings]
            found = [got["activation"] if key == "activation" else got["config"].get(key)
                     for got, _ in pairs]
            wanted = [want.settings[key] for _, want in pairs]
            if all(_same(a, b) for a, b in zip(found, wanted, strict=True)):
                continue
            if len(found) == 1:
                found, wanted = found[0], wanted[0]
            return problem(f"layers.config.{key}", layer=kind, setting=key, got=found,
                           expected=wanted, several=isinstance(wanted, list))
    return None


def _same(got: Any, wanted: Any) -> bool:
    if isinstance(wanted, float) and isinstance(got, int | float):
        return math.isclose(got, wanted, rel_tol=1e-6)
    if isinstance(wanted, tuple | list) and isinstance(got, tuple | list):
        return list(got) == list(wanted)
    return got == wanted


def summary_problem(got: Any) -> Mismatch:
    """Whether a "keras_model" output is a summary of an uncompiled model."""
    if is_unsupported(got) or not isinstance(got, dict) or "layers" not in got:
        return problem("model.not_a_model", got=describe(got))
    if got.get("compiled"):
        return problem("model.compiled")
    return None


def metric_problem(got: dict, recipe: Recipe, output_shape: Sequence[int] | None) -> Mismatch:
    """Judges the predictions after the brief training, with the held-out labels."""
    error = got.get("training_error")
    if error:
        return problem("model.training", recipe=recipe.facts(), error_type=error.get("type"),
                       error=meaningful_line(str(error.get("message")))[:300])
    data = recipe.data()
    predictions = array_or_none(got.get("predictions"))
    wanted = (len(data["y_eval"]), *(output_shape or ()))
    if predictions is None or (output_shape is not None and predictions.shape != wanted):
        return problem("model.training", got=np.shape(predictions), expected=wanted)
    if not np.all(np.isfinite(predictions)):
        return problem("model.training")
    labels = np.asarray(data["y_eval"])
    if recipe.metric == "accuracy":
        value = float(np.mean(predictions.argmax(axis=-1) == labels))
        if value < recipe.target:
            return problem("model.metric", metric="accuracy", recipe=recipe.facts(),
                           value=value, target=recipe.target)
        return None
    value = float(np.mean((predictions.reshape(labels.shape) - labels) ** 2))
    if value > recipe.target:
        return problem("model.metric", metric="mse", recipe=recipe.facts(), value=value,
                       target=recipe.target)
    return None


def model_problem(got: Any, expectation: ModelExpectation, recipe: Recipe | None,
                  input_shape: Sequence[int]) -> Mismatch:
    """Everything wrong with a model summary, first problem first (see the module docstring)."""
    found = summary_problem(got)
    if found:
        return found
    layers = significant_layers(got)
    found = _layers_problem(layers, expectation.layers)
    if found:
        return found
    if expectation.logits and layers and layers[-1]["activation"] != "linear":
        return problem("model.logits", activation=layers[-1]["activation"])
    found = _settings_problem(layers, expectation.layers)
    if found:
        return found
    if expectation.output_shape is not None:
        wanted = [2, *expectation.output_shape]
        if got.get("output_shape") != wanted:
            return problem("model.output_shape", batch=2, input_shape=tuple(input_shape),
                           got=got.get("output_shape"), expected=wanted)
    if expectation.param_count is not None and got.get("param_count") != expectation.param_count:
        return problem("model.params", got=got.get("param_count"),
                       expected=expectation.param_count)
    if recipe is not None:
        return metric_problem(got, recipe, expectation.output_shape)
    return None


def bind(case: Case, arguments: dict) -> dict:
    """The case's arguments by name, with the function's defaults for the others."""
    names = list(arguments)
    bound = dict(arguments)
    bound.update(zip(names, case.args, strict=False))
    bound.update(case.kwargs)
    return bound


def model_check(
    function: str,
    *,
    points: float,
    arguments: dict,
    expect: Callable[..., ModelExpectation],
    cases: Sequence[Case] | Callable[[], Sequence[Case]],
    recipe: Recipe | None = IMAGE_RECIPE,
    input_shape: Sequence[int] = IMAGE_SHAPE,
    input_dtype: str = "float32",
    hints: Sequence[Hint] = (),
    description: str = "",
    timeout: float | None = None,
) -> FunctionCheck:
    """The `FunctionCheck` of a function returning a Keras model.

    Args:
        function: The function's name.
        points: Its points.
        arguments: Its parameters in order, with their defaults.
        expect: ``expect(**arguments) -> ModelExpectation`` for one call.
        cases: The calls (arguments only; nothing is compared with the reference).
        recipe: The brief training, or None to check the structure only.
        input_shape: The shape of one input example.
        input_dtype: The dtype of the inputs the model is first called on.
        hints: Hints, usually ``Hint(..., when="layers.missing.Flatten")``.
        description: One line on what the function must do.
        timeout: Seconds each call may take (building and training).
    """

    def compare(got: Any, expected: Any, case: Case) -> Mismatch:
        del expected
        return model_problem(got, expect(**bind(case, arguments)), recipe, input_shape)

    options = {"input_shape": [int(size) for size in input_shape], "input_dtype": input_dtype,
               "train": recipe.options() if recipe is not None else None}
    return FunctionCheck(
        function=function, points=points, cases=cases if callable(cases) else tuple(cases),
        compare=compare,
        adapter="keras_model", options=options, needs_reference=False, hints=tuple(hints),
        description=description, timeout=timeout,
    )
