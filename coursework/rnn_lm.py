"""Lecture: a character-level language model on The Time Machine, from scratch and with Keras.

A **language model** gives the probability of the next token given the ones
before it. Trained on a book, one character at a time, it learns spelling,
frequent words and a little grammar; run greedily from a prefix, it writes.

A **recurrent neural network** (RNN) reads the characters one by one and keeps
a hidden state ``H_t`` summarizing what it has read; at every step it predicts
the next character from that state::

    H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)     # X_t: the one-hot character
    O_t = H_t W_hq + b_q                          # logits of the next character

Three things make training it work:

* **random partitioning** of the book into subsequences of 32 characters, a new
  cut every epoch (`coursework.time_machine.random_partition`);
* **gradient clipping**: backpropagating through 32 steps multiplies the
  gradient 32 times by ``W_hh``, and now and then it explodes. Scaling all
  gradients together so that their global norm is at most 1 keeps one bad
  minibatch from throwing the parameters far away;
* **Adam** with a learning rate that decays to 0 along a cosine.

The figure of merit is the **perplexity**: exp of the mean per-token
cross-entropy, on held-out text. A model that spreads its bets evenly over the
28 tokens scores 28, a perfect one 1. (Dive into Deep Learning's chart averages
exp(loss) per minibatch instead; by Jensen's inequality that overstates it.)

The two implementations share the data, the initial weights (for the plain
RNN) and every hyperparameter:

* **from scratch**: `tf.Variable` parameters, the loop over time steps written
  out (`coursework.recurrent`), the hand-written Adam that all-reduces the
  replicas' gradients and then clips their global norm, in the training
  step of `coursework.linear_regression.make_train_step`;
* **concise**: ``SimpleRNN`` (or ``GRU`` with ``--cell gru``) and ``Dense``,
  trained with ``fit`` and Keras's Adam with ``global_clipnorm``, made to clip
  the replicas' summed gradient as the scratch Adam does
  (`coursework.keras_clipping`).

Run it with ``coursework train rnn_lm --impl scratch`` (``--cell gru`` for
gated units) or ``python -m coursework.rnn_lm`` for both implementations.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

from coursework import keras_clipping, time_machine
from coursework.data import make_dataset
from coursework.linear_regression import make_train_step
from coursework.recurrent import CELLS, glorot_uniform, run_over_time
from coursework.scratch import Adam, cosine_decay, parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import make_evaluator, set_seed, train_concise, train_scratch


# ---------------------------------------------------------------------------
# Setup: the lecture's hyperparameters (D2L's: hidden 32, batch 1024, 32 steps, 100 epochs).
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LanguageModelConfig(RunConfig):
    """`RunConfig` plus what a language model needs.

    Attributes:
        num_steps: Characters per training subsequence (steps of backpropagation).
        num_hiddens: Size of the hidden state.
        clip_norm: Largest global norm of a step's gradients.
        cell: "rnn" (tanh) or "gru".
        validation_fraction: The last part of the book, held out for validation.
        prefix: Text the model continues after training.
        num_predictions: Characters it writes after the prefix.
    """

    num_steps: int = 32
    num_hiddens: int = 32
    clip_norm: float = 1.0
    cell: str = "rnn"
    validation_fraction: float = 0.1
    prefix: str = "time traveller"
    num_predictions: int = 50


DEFAULTS = LanguageModelConfig(epochs=100, learning_rate=0.02, batch_size=1024)


# ---------------------------------------------------------------------------
# Data: The Time Machine as characters; training text cut at random, held-out text in order.
# ---------------------------------------------------------------------------
def split_corpus(corpus: np.ndarray, validation_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The book's first part for training, its last part for validation.

    Args:
        corpus: The book as token indices.
        validation_fraction: Share of the book held out, in (0, 1).

    Returns:
        ``(train_corpus, validation_corpus)``.

    Raises:
        ValueError: If the fraction is outside (0, 1).
    """
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}.")
    boundary = int(len(corpus) * (1.0 - validation_fraction))
    return corpus[:boundary], corpus[boundary:]


def make_pipelines(
    corpus: np.ndarray, config: LanguageModelConfig, num_replicas: int
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Training minibatches by random partitioning, validation subsequences in order.

    Args:
        corpus: The book as token indices.
        config: Batch size, steps, seed and the validation fraction.
        num_replicas: Replicas the batches are split between.

    Returns:
        ``(train_data, validation_data)`` of ``(X, Y)`` batches, Y being X
        shifted by one character.
    """
    train_corpus, validation_corpus = split_corpus(corpus, config.validation_fraction)
    train_data = time_machine.random_partition(
        train_corpus, config.batch_size, config.num_steps, seed=config.seed
    )
    inputs, targets = time_machine.subsequences(validation_corpus, config.num_steps)
    validation_data = make_dataset(
        inputs, targets, config.batch_size, num_replicas=num_replicas, training=False
    )
    return train_data, validation_data


# ---------------------------------------------------------------------------
# Model from scratch: a recurrent cell, the loop over time, an output layer.
# ---------------------------------------------------------------------------
class RNNLMScratch(tf.Module):
    """A character language model: one-hot inputs, a recurrent cell, a linear output.

    Args:
        vocab_size: Number of tokens (28 for The Time Machine).
        num_hiddens: Size of the hidden state.
        cell: "rnn" or "gru" (see `coursework.recurrent`).
        seed: Seed of the initial weights.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, cell: str = "rnn", seed: int = 0):
        super().__init__(name="rnn_lm_scratch")
        self.vocab_size = vocab_size
        self.cell = CELLS[cell](vocab_size, num_hiddens, seed=seed)
        rng = np.random.default_rng([seed, 3])
        self.W_hq = parameter(glorot_uniform((num_hiddens, vocab_size), rng), "W_hq")
        self.b_q = parameter(tf.zeros(vocab_size), "b_q")

    def __call__(self, tokens, training=False):
        """Logits of the next token at every step, shape (batch, steps, vocab_size)."""
        del training  # no layer behaves differently while training
        inputs = tf.one_hot(tokens, self.vocab_size)  # (batch, steps, vocab_size)
        states, _ = run_over_time(self.cell, inputs)  # H_t for every t, from H_0 = 0
        return tf.matmul(states, self.W_hq) + self.b_q


# ---------------------------------------------------------------------------
# Concise model: one-hot, SimpleRNN or GRU, Dense.
# ---------------------------------------------------------------------------
class OneHot(keras.layers.Layer):
    """Token indices to one-hot vectors, a layer so that Keras models can start with it."""

    def __init__(self, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, tokens):
        return keras.ops.one_hot(tokens, self.depth)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth}


KERAS_CELLS = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU}


def build_concise_model(vocab_size: int, num_hiddens: int, cell: str = "rnn") -> keras.Model:
    """The language model with Keras layers; its output is the logits of every step.

    Args:
        vocab_size: Number of tokens.
        num_hiddens: Units of the recurrent layer.
        cell: "rnn" for ``SimpleRNN`` (tanh), "gru" for ``GRU``.

    Returns:
        An uncompiled model from (batch, steps) indices to (batch, steps, vocab_size) logits.
    """
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            OneHot(vocab_size),
            KERAS_CELLS[cell](num_hiddens, return_sequences=True),
            keras.layers.Dense(vocab_size),
        ],
        name=f"{cell}_lm",
    )


def build_concise_like_scratch(
    vocab_size: int, num_hiddens: int, cell: str = "rnn", seed: int = 0
) -> keras.Model:
    """The concise model, starting from the scratch model's initial weights.

    With ``cell="rnn"`` both implementations start from exactly the same
    parameters. Keras's ``GRU`` arranges its gates differently from
    `coursework.recurrent.GRUCell` (it applies the reset gate after the
    matrix product), so with ``cell="gru"`` it keeps Keras's own
    initialization, with the same initializers.
    """
    model = build_concise_model(vocab_size, num_hiddens, cell)
    if cell == "rnn":
        copy_scratch_weights(RNNLMScratch(vocab_size, num_hiddens, cell, seed=seed), model)
    return model


def copy_scratch_weights(scratch: RNNLMScratch, model: keras.Model) -> None:
    """Gives a concise ``SimpleRNN`` model the scratch RNN's parameters.

    ``SimpleRNN`` keeps W_xh as its ``kernel``, W_hh as its ``recurrent_kernel``
    and b_h as its ``bias``, the same equations: from the same weights both
    models compute the same logits.
    """
    cell = scratch.cell
    model.layers[1].set_weights([cell.W_xh.numpy(), cell.W_hh.numpy(), cell.b_h.numpy()])
    model.layers[2].set_weights([scratch.W_hq.numpy(), scratch.b_q.numpy()])


# ---------------------------------------------------------------------------
# Loss and perplexity: the mean per-token cross-entropy, and its exp.
# ---------------------------------------------------------------------------
def sequence_cross_entropy(labels, logits):
    """Each subsequence's mean per-token cross-entropy, shape (batch,).

    All subsequences have the same length, so the mean over a batch of these
    is the mean over its tokens, as Keras's ``SparseCategoricalCrossentropy``
    computes it.
    """
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32), logits)
    return tf.reduce_mean(losses, axis=-1)


def add_perplexity(history: list[dict[str, float]]) -> list[dict[str, float]]:
    """Adds ``perplexity`` and ``val_perplexity``, exp of the mean token losses, to each epoch."""
    for record in history:
        for prefix in ("", "val_"):
            if f"{prefix}loss" in record:
                record[f"{prefix}perplexity"] = math.exp(record[f"{prefix}loss"])
    return history


# ---------------------------------------------------------------------------
# Generation: greedy, one character at a time.
# ---------------------------------------------------------------------------
def predict(prefix: str, num_predictions: int, model, vocab: time_machine.Vocab) -> str:
    """Continues `prefix` with the most likely character, `num_predictions` times.

    Each step feeds the model the text so far and appends the character with
    the highest logit at the last step.

    Args:
        prefix: The start of the text; characters outside the vocabulary map to ``<unk>``.
        num_predictions: Characters to add.
        model: A trained model from token indices to logits.
        vocab: The vocabulary the model was trained with.

    Returns:
        The prefix followed by the generated characters.
    """
    indices = vocab.indices(time_machine.preprocess(prefix))

    # Compiled once for texts of any length: each call is one graph run.
    @tf.function(input_signature=[tf.TensorSpec([1, None], tf.int32)])
    def next_token(tokens):
        return tf.argmax(model(tokens, training=False)[0, -1], output_type=tf.int32)

    for _ in range(num_predictions):
        indices.append(int(next_token(tf.constant([indices], tf.int32))))
    return "".join(vocab.to_tokens(indices))


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def run(
    impl: str,
    config: LanguageModelConfig,
    strategy: tf.distribute.Strategy,
    corpus: tuple[np.ndarray, time_machine.Vocab] | None = None,
) -> RunResult:
    """Trains one implementation and reports its validation perplexity and a sample.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden); ``data_dir`` a
            folder holding ``timemachine.txt``, or None to download it.
        strategy: The `MirroredStrategy` to train under.
        corpus: Optional ``(indices, vocab)`` to train on instead of the book.

    Returns:
        The history (with ``perplexity`` and ``val_perplexity`` every epoch),
        ``{"val_perplexity", "val_loss"}``, the trained model and the
        greedy continuation of ``config.prefix`` as ``samples["generated"]``.

    Raises:
        ValueError: If `impl`, the cell or a hyperparameter is invalid.
        FileNotFoundError: If the book cannot be found.
    """
    check_implementation(impl)
    if config.cell not in CELLS:
        raise ValueError(f"Unknown cell {config.cell!r}; use one of {', '.join(CELLS)}.")
    if not config.learning_rate > 0 or not config.clip_norm > 0:
        raise ValueError("The learning rate and clip_norm must be positive.")
    set_seed(config.seed)
    indices, vocab = corpus if corpus is not None else time_machine.load_corpus(config.data_dir)
    train_data, validation_data = make_pipelines(indices, config, strategy.num_replicas_in_sync)
    total_steps = config.epochs * int(train_data.cardinality())
    common = {
        "make_step": make_train_step,  # the step of coursework/linear_regression.py
        "strategy": strategy,
        "train_data": train_data,
        "epochs": config.epochs,
        "validation_data": validation_data,
        "verbose": config.verbose,
    }
    if impl == "scratch":
        model, history = train_scratch(
            lambda: RNNLMScratch(len(vocab), config.num_hiddens, config.cell, seed=config.seed),
            make_optimizer=lambda: Adam(
                cosine_decay(config.learning_rate, total_steps), clip_norm=config.clip_norm
            ),
            loss=sequence_cross_entropy,
            **common,
        )
    else:
        model, history = train_concise(
            lambda: build_concise_like_scratch(
                len(vocab), config.num_hiddens, config.cell, seed=config.seed
            ),
            make_optimizer=lambda: keras_clipping.Adam(
                keras.optimizers.schedules.CosineDecay(config.learning_rate, total_steps),
                global_clipnorm=config.clip_norm,
            ),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            **common,
        )
    validation = make_evaluator(model, sequence_cross_entropy, {})(validation_data)
    generated = predict(config.prefix, config.num_predictions, model, vocab)
    if config.verbose:
        print(f"Generated: {generated!r}")
    metrics = {"val_perplexity": math.exp(validation["loss"]), "val_loss": validation["loss"]}
    return RunResult(
        history=add_perplexity(history),
        metrics=metrics,
        model=model,
        samples={"generated": generated},
    )


if __name__ == "__main__":
    from coursework.distribute import get_strategy

    strategy = get_strategy()
    for implementation in ("scratch", "concise"):
        result = run(implementation, DEFAULTS.replace(verbose=2), strategy)
        print(f"{implementation}: validation perplexity {result.metrics['val_perplexity']:.3f}, "
              f"generated {result.samples['generated']!r}")
