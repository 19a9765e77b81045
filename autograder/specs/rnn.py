"""Checks of the recurrent-network assignment (`solutions/rnn.py`).

`build_text_classifier` is graded on its structure (an `Embedding`, one
recurrent layer, a `Dense` of logits), on masking and on a brief training.
Masking is seen in the predictions: the held-out inputs are sent twice, once
padded at the end and once at the start; a model whose recurrent layer skips
the padding gives the same logits for both.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from autograder.cases import rng_for, standard_cases
from autograder.checks import AssignmentSpec, Case, FunctionCheck, Hint, close_to, problem
from autograder.models import Recipe, metric_problem, significant_layers, summary_problem
from autograder.sandbox import Tensor

EXACT = close_to(rtol=0.0, atol=0.0, dtype="any")

# tokenize(lines, token="word") ---------------------------------------------------------------
TOKENIZE = FunctionCheck(
    "tokenize", points=1, compare=EXACT, returns=("list",),
    description="lines to lists of words or characters",
    cases=(
        Case("words", (["the time machine", "by h g wells"],),
             expected=[["the", "time", "machine"], ["by", "h", "g", "wells"]], public=True),
        Case("characters", (["ab c"],), {"token": "char"}, expected=[["a", "b", " ", "c"]],
             public=True),
        Case("unknown kind raises ValueError", (["abc"],), {"token": "byte"}, raises="ValueError",
             public=True),
        Case("runs of spaces, tabs and an empty line", (["a  b\tc ", "", " d"],)),
        Case("characters of several lines", (["xy", "", "z z"], "char")),
    ),
)


# build_vocab(tokens, min_freq=0, reserved_tokens=()) ------------------------------------------
def _vocab(tokens, min_freq=0, reserved_tokens=(), ascending=False, unk=True):
    nested = tokens and isinstance(tokens[0], list)
    flat = [t for line in tokens for t in line] if nested else tokens
    counts = {t: flat.count(t) for t in flat}
    order = sorted(counts, key=lambda t: ((1 if ascending else -1) * counts[t], t))
    head = (["<unk>"] if unk else []) + list(reserved_tokens)
    return head + [t for t in order if counts[t] >= min_freq and t not in head]


SENTENCES = [["b", "a", "c", "a"], ["b", "d", "a", "e", "e"]]
BUILD_VOCAB = FunctionCheck(
    "build_vocab", points=2, compare=EXACT, returns=("list",),
    description='"<unk>", reserved tokens, then by descending frequency, ties alphabetically',
    cases=(
        Case("token lists", (SENTENCES,), expected=["<unk>", "a", "b", "e", "c", "d"],
             public=True),
        Case("min_freq 2 and two reserved tokens", (SENTENCES, 2, ["<pad>", "<bos>"]),
             expected=["<unk>", "<pad>", "<bos>", "a", "b", "e"], public=True),
        Case("a flat list of characters", (list("the time traveller"),)),
        Case("a reserved token that also occurs", ([["x", "<pad>", "x", "y"]], 0, ["<pad>"])),
        Case("min_freq above every count", ([["p", "q"]], 5)),
    ),
    hints=(
        Hint("Sort by descending frequency, the most frequent token first: sorted(..., key="
             "lambda item: (-count, token)).", like=functools.partial(_vocab, ascending=True)),
        Hint('"<unk>" comes first, at index 0, whatever the tokens: unknown tokens map to it.',
             like=functools.partial(_vocab, unk=False)),
    ),
)


# rnn_forward(inputs, state, params) ----------------------------------------------------------
def _forward(inputs, state, params, activation=tf.tanh, recurrent=True):
    inputs = tf.convert_to_tensor(inputs)
    W_xh, W_hh, b_h, W_hq, b_q = (tf.cast(p, inputs.dtype) for p in params)
    H, outputs = tf.cast(state, inputs.dtype), []
    for X in tf.unstack(inputs):
        H = activation(X @ W_xh + (H @ W_hh if recurrent else 0) + b_h)
        outputs.append(H @ W_hq + b_q)
    return tf.stack(outputs), H


def _rnn_inputs(rng, n, scale):
    def normal(*shape):
        return rng.normal(0, 0.5, shape)

    return rng.normal(0, scale, (5, n, 4)), normal(n, 6), [normal(4, 6), normal(6, 6), normal(6),
                                                           normal(6, 3), normal(3)]


RNN_FORWARD = FunctionCheck(
    "rnn_forward", points=2,
    description="H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h), O_t = H_t W_hq + b_q",
    cases=standard_cases(_rnn_inputs, seed=601, batch=3, large=1e3, known=[Case(
        "one input, two steps", (np.array([[[1.0]], [[0.0]]], "f4"), np.zeros((1, 1), "f4"),
                                 [np.ones((1, 1), "f4"), np.full((1, 1), 2.0, "f4"),
                                  np.zeros(1, "f4"), np.ones((1, 1), "f4"), np.zeros(1, "f4")]),
        expected=(np.tanh(np.array([[[1.0]], [[2 * np.tanh(1.0)]]], "f4")),
                  np.tanh(np.array([[2 * np.tanh(1.0)]], "f4"))), public=True)]),
    compare=close_to(rtol=1e-4, atol=1e-5, float64=(1e-6, 1e-9)),
    hints=(
        Hint("Each step adds the previous state's term H_{t-1} W_hh: without it the network "
             "forgets everything between steps.",
             like=lambda inputs, state, params: _forward(inputs, state, params, recurrent=False)),
        Hint("The hidden state uses tanh, not ReLU: tf.tanh(X_t W_xh + H W_hh + b_h).",
             like=lambda inputs, state, params: _forward(inputs, state, params, tf.nn.relu)),
    ),
)


# grad_clipping(grads, theta) -----------------------------------------------------------------
def _clipping_cases():
    rng = rng_for(602)
    big = [rng.normal(size=(3, 4)) * 3, rng.normal(size=4) * 3]
    return [
        Case("two tf.Tensor gradients of global norm 5, theta 1",
             ([Tensor(np.array([[3.0, 0.0]], "f4")), Tensor(np.array([4.0], "f4"))], 1.0),
             expected={"return": [np.array([[0.6, 0.0]], "f4"), np.array([0.8], "f4")],
                       "input": [np.array([[3.0, 0.0]], "f4"), np.array([4.0], "f4")]},
             public=True),
        Case("norm below theta: unchanged", ([Tensor(np.array([0.3, 0.4], "f4"))], 1.0)),
        Case("tf.Tensor float32 gradients, theta 0.5",
             ([Tensor(g.astype("f4")) for g in big], 0.5)),
        Case("NumPy float64 arrays, theta 2", ([g.copy() for g in big], 2.0)),
        Case("one gradient much larger than the other, theta 1",
             ([Tensor(np.full(3, 10.0, "f4")), Tensor(np.full(2, 0.1, "f4"))], 1.0)),
    ]


def _compare_clipping(got, expected, case):
    original = [np.asarray(getattr(g, "array", g)) for g in case.args[0]]
    found = close_to(rtol=0.0, atol=0.0, dtype="any")(got["input"], original, case)
    if found:
        return problem("clipping.mutated")
    return close_to(rtol=1e-5, atol=1e-6)(got["return"], expected["return"], case)


def _clip_each(grads, theta):
    return [g * tf.minimum(1.0, theta / tf.norm(g)) for g in map(tf.convert_to_tensor, grads)]


GRAD_CLIPPING = FunctionCheck(
    "grad_clipping", points=2, adapter="inplace", compare=_compare_clipping,
    view=lambda out: {"return": out["return"], "input": out["args"][0]},
    description="a new list, every gradient scaled by min(1, theta / global L2 norm)",
    cases=_clipping_cases,
    hints=(
        Hint("Scale all gradients by one factor from their global norm, "
             "sqrt(sum of every squared element of every gradient); clipping each one by its "
             "own norm changes the direction of the step.",
             like=_clip_each),
        Hint("Build a new list ([g * scale for g in grads]) instead of assigning into grads.",
             when="clipping.mutated"),
    ),
)


# perplexity(logits, labels) ------------------------------------------------------------------
def _perplexity_inputs(rng, n, scale):
    return rng.normal(0, scale, (n, 6, 28)), rng.integers(0, 28, (n, 6))


def _mean_of_exp(logits, labels):
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.cast(labels, tf.int32), tf.cast(logits, tf.float64))
    return float(tf.reduce_mean(tf.exp(losses)))


PERPLEXITY = FunctionCheck(
    "perplexity", points=1, returns=("float",), description="exp of the mean token cross-entropy",
    cases=standard_cases(_perplexity_inputs, seed=603, batch=4, large=None, known=[Case(
        "uniform logits over 28 tokens", (np.zeros((2, 3, 28), "f4"), np.array([[0, 1, 2]] * 2)),
        expected=28.0, public=True)], extra=[Case(
            "confident logits (scale 5)", _perplexity_inputs(rng_for(604), 6, 5.0))]),
    compare=close_to(rtol=1e-4, atol=0.0, dtype="any"),
    hints=(Hint("Perplexity is exp of the mean cross-entropy, not the mean of exp of each "
                "token's cross-entropy (which is larger).", like=_mean_of_exp),),
)


# build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2) -----------
LENGTH = 12
RECURRENT = ("SimpleRNN", "GRU", "LSTM", "Bidirectional")


@functools.cache
def marker_texts() -> dict:
    """Token ids, 0-padded at the end: class c texts hold one of its two marker words."""
    rng = rng_for(605)

    def draw(count):
        labels = rng.permutation(np.arange(count) % 3)
        x = np.zeros((count, LENGTH), np.int32)
        for row, label in enumerate(labels):
            length = int(rng.integers(3, LENGTH - 2))
            x[row, :length] = rng.integers(10, 50, length)
            x[row, int(rng.integers(0, length))] = 1 + 2 * label + int(rng.integers(0, 2))
        return x, labels.astype(np.int64)

    x, y = draw(360)
    x_eval, y_eval = draw(96)
    front = np.stack([np.roll(row, LENGTH - np.count_nonzero(row)) for row in x_eval])
    return {"x": x, "y": y, "x_eval": np.concatenate([x_eval, front]), "y_eval": y_eval}


RECIPE = Recipe(data=marker_texts, optimizer_config={"learning_rate": 0.01}, epochs=4,
                target=0.85)


def _compare_classifier(got, expected, case):
    found = summary_problem(got)
    if found:
        return found
    num_classes = case.args[3] if len(case.args) > 3 else case.kwargs.get("num_classes", 2)
    kinds = [layer["kind"] for layer in significant_layers(got)]
    if len(kinds) != 3 or kinds[0] != "Embedding" or kinds[1] not in RECURRENT or (
            kinds[2] != "Dense"):
        return problem("layers.recurrent", layers=kinds, recurrent=RECURRENT)
    if got.get("output_shape") != [2, num_classes]:
        return problem("model.output_shape", batch=2, input_shape=(LENGTH,),
                       got=got.get("output_shape"), expected=[2, num_classes])
    activation = significant_layers(got)[2]["activation"]
    if activation != "linear":
        return problem("model.logits", activation=activation)
    predictions = np.asarray(got.get("predictions", []), float)
    if predictions.ndim == 2 and len(predictions) == 2 * len(RECIPE.data()["y_eval"]):
        end, start = np.split(predictions, 2)
        if not np.allclose(end, start, rtol=1e-3, atol=1e-4):
            return problem("model.masking")
        got = {**got, "predictions": end}
    return metric_problem(got, RECIPE, (num_classes,))


BUILD_TEXT_CLASSIFIER = FunctionCheck(
    "build_text_classifier", points=2, adapter="keras_model", compare=_compare_classifier,
    needs_reference=False, timeout=180,
    description="Embedding(mask_zero=True), a recurrent layer, Dense logits; uncompiled",
    options={"input_shape": [LENGTH], "input_dtype": "int32", "train": RECIPE.options()},
    cases=(Case("50 token ids, 3 classes, 16-dim embeddings and states, trained briefly",
                (50, 16, 16, 3), public=True),),
    hints=(Hint("Pass mask_zero=True to the Embedding, so that the recurrent layer skips the "
                "padding (token id 0).", when="model.masking"),),
)


SPEC = AssignmentSpec("rnn", (TOKENIZE, BUILD_VOCAB, RNN_FORWARD, GRAD_CLIPPING, PERPLEXITY,
                              BUILD_TEXT_CLASSIFIER))
