"""Lecture: classifying text with a bidirectional recurrent network, from scratch and with Keras.

Is a movie review positive or negative? The model reads it word by word:

1. ``TextVectorization`` turns each review into a sequence of word indices:
   the 20,000 most frequent words of the training reviews get indices 2 and up,
   any other word is 1 (out of vocabulary) and 0 pads every review to the same
   length (longer ones are cut);
2. an **embedding** maps each index to a learned vector of 64 numbers. With
   ``mask_zero=True`` it also marks the padding, so that the next layer skips it;
3. a **bidirectional** recurrent layer reads the review twice, forwards and
   backwards, with gated recurrent units (GRUs, see `coursework.recurrent`); its
   two final states summarize the end and the beginning of the review;
4. a ``Dense`` layer turns them into the logits of the classes.

Without the mask a GRU would read the padding too: a short review would be
followed by a hundred steps of the padding's embedding, which wash out what it
said. With it, a padded step leaves the state as it was, and the same review
gives the same logits however it is padded.

The two implementations share the vectorized data, the optimizer and every
hyperparameter:

* **from scratch**: the embedding is a `tf.Variable` matrix; the GRU cell and
  the loop over time steps (forwards and backwards, masked) are written out;
* **concise**: ``Embedding(mask_zero=True)``, ``Bidirectional(GRU)`` and
  ``Dense``, trained with ``fit``.

The data set is IMDB by default, or AG News (four news topics) with
``--dataset ag_news``. Run it with ``coursework train text_classification --impl
scratch`` or ``python -m coursework.text_classification`` for both.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from coursework import text_data
from coursework.classification import (
    METRICS,
    concise_optimizer,
    cross_entropy,
    scratch_optimizer,
)
from coursework.data import make_dataset
from coursework.linear_regression import make_train_step
from coursework.recurrent import GRUCell, run_over_time
from coursework.scratch import parameter
from coursework.topics import RunConfig, RunResult, check_implementation
from coursework.training import make_evaluator, set_seed, train_concise, train_scratch


# ---------------------------------------------------------------------------
# Setup: the lecture's hyperparameters.
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TextClassifierConfig(RunConfig):
    """`RunConfig` plus what a text classifier needs.

    Attributes:
        dataset: "imdb" or "ag_news" (see `coursework.text_data`).
        max_tokens: Size of the vocabulary, padding and out-of-vocabulary included.
        sequence_length: Tokens kept per text (padded or cut to this length).
        embedding_dim: Size of each word's vector.
        num_hiddens: Units of each direction's GRU.
    """

    dataset: str = "imdb"
    max_tokens: int = 20_000
    sequence_length: int = 500
    embedding_dim: int = 64
    num_hiddens: int = 64


DEFAULTS = TextClassifierConfig(epochs=2, learning_rate=0.002, batch_size=128)


# ---------------------------------------------------------------------------
# Data: texts to padded sequences of word indices; the vocabulary from the training texts.
# ---------------------------------------------------------------------------
def standardize(texts):
    """Lower case, HTML line breaks (IMDB has ``<br />``) and punctuation removed."""
    texts = tf.strings.lower(texts)
    texts = tf.strings.regex_replace(texts, "<br ?/?>", " ")
    return tf.strings.regex_replace(texts, r"[^\w\s']|'(\s|$)", " ")


def vectorize(
    train: text_data.TextSplit, test: text_data.TextSplit, config: TextClassifierConfig
) -> tuple[np.ndarray, np.ndarray, int]:
    """Maps every text to `config.sequence_length` word indices, 0 being padding.

    The vocabulary comes from the training texts only: the test texts play the
    part of reviews nobody has seen.

    Returns:
        ``(train_ids, test_ids, vocab_size)``, int32 arrays of shape (n, sequence_length).
    """
    vectorizer = keras.layers.TextVectorization(
        max_tokens=config.max_tokens,
        standardize=standardize,
        output_sequence_length=config.sequence_length,
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train.texts).batch(1024))

    def ids(texts):
        batches = tf.data.Dataset.from_tensor_slices(texts).batch(1024).map(vectorizer)
        return np.concatenate(list(batches.as_numpy_iterator())).astype(np.int32)

    return ids(train.texts), ids(test.texts), vectorizer.vocabulary_size()


def load_splits(config: TextClassifierConfig, data=None):
    """The ``(train, test)`` `TextSplit`s of the configured data set, or `data` when given."""
    if data is None:
        return text_data.load_dataset(config.dataset, config.data_dir)
    train, test = (text_data.TextSplit(list(texts), np.asarray(labels, np.int32))
                   for texts, labels in data)
    return train, test


# ---------------------------------------------------------------------------
# Model from scratch: an embedding matrix, two GRUs reading both ways, a linear output.
# ---------------------------------------------------------------------------
class BiGRUClassifierScratch(tf.Module):
    """Embedding, a masked bidirectional GRU and a linear layer, written out.

    Args:
        vocab_size: Number of word indices, padding included.
        embedding_dim: Size of each word's vector.
        num_hiddens: Units of each direction.
        num_classes: Number of classes.
        seed: Seed of the initial weights.
    """

    def __init__(self, vocab_size, embedding_dim, num_hiddens, num_classes, seed=0):
        super().__init__(name="bigru_classifier_scratch")
        rng = np.random.default_rng([seed, 10])
        # Keras's Embedding starts from uniform values in ±0.05.
        self.embedding = parameter(
            rng.uniform(-0.05, 0.05, (vocab_size, embedding_dim)).astype(np.float32), "embedding"
        )
        self.forward_cell = GRUCell(embedding_dim, num_hiddens, seed=seed, name="forward")
        self.backward_cell = GRUCell(embedding_dim, num_hiddens, seed=seed + 1, name="backward")
        limit = np.sqrt(6.0 / (2 * num_hiddens + num_classes))
        self.W = parameter(
            rng.uniform(-limit, limit, (2 * num_hiddens, num_classes)).astype(np.float32), "W"
        )
        self.b = parameter(tf.zeros(num_classes), "b")

    def __call__(self, token_ids, training=False):
        del training
        mask = token_ids != 0  # False at the padding
        vectors = tf.gather(self.embedding, token_ids)  # (batch, steps, embedding_dim)
        _, forward = run_over_time(self.forward_cell, vectors, mask=mask)
        _, backward = run_over_time(self.backward_cell, vectors, mask=mask, reverse=True)
        return tf.matmul(tf.concat([forward, backward], axis=-1), self.W) + self.b


# ---------------------------------------------------------------------------
# Concise model: Embedding(mask_zero=True), Bidirectional(GRU), Dense.
# ---------------------------------------------------------------------------
def build_concise_model(vocab_size, embedding_dim, num_hiddens, num_classes) -> keras.Model:
    """The same classifier with Keras layers; the mask travels from the embedding to the GRUs."""
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True),
            keras.layers.Bidirectional(keras.layers.GRU(num_hiddens, reset_after=False)),
            keras.layers.Dense(num_classes),
        ],
        name="bigru_classifier",
    )


# ---------------------------------------------------------------------------
# Train and evaluate.
# ---------------------------------------------------------------------------
def run(
    impl: str,
    config: TextClassifierConfig,
    strategy: tf.distribute.Strategy,
    data=None,
) -> RunResult:
    """Trains one implementation and reports its test accuracy.

    Args:
        impl: "scratch" or "concise".
        config: Hyperparameters (`DEFAULTS` unless overridden); ``data_dir`` an
            aclImdb folder, or None for tensorflow-datasets.
        strategy: The `MirroredStrategy` to train under.
        data: Optional ``((train_texts, train_labels), (test_texts,
            test_labels))`` to use instead of the data set.

    Returns:
        The history (``val_`` figures on the test split every epoch),
        ``{"test_accuracy", "test_loss"}`` and the trained model.

    Raises:
        ValueError: If `impl`, the data set or a hyperparameter is invalid.
        FileNotFoundError: If the data cannot be found.
    """
    check_implementation(impl)
    if not config.learning_rate > 0:
        raise ValueError(f"--lr must be positive, got {config.learning_rate}.")
    set_seed(config.seed)
    train, test = load_splits(config, data)
    num_classes = len(text_data.DATASETS[config.dataset].class_names)
    train_ids, test_ids, vocab_size = vectorize(train, test, config)
    replicas = strategy.num_replicas_in_sync
    train_data = make_dataset(
        train_ids, train.labels, config.batch_size, num_replicas=replicas, seed=config.seed
    )
    test_data = make_dataset(
        test_ids, test.labels, config.batch_size, num_replicas=replicas, training=False
    )
    steps_per_epoch = int(train_data.cardinality())
    if steps_per_epoch < 1:
        raise ValueError(
            f"The training split ({len(train.labels)} texts) has no complete batch of "
            f"{config.batch_size}; use a smaller --batch-size."
        )
    sizes = (vocab_size, config.embedding_dim, config.num_hiddens, num_classes)
    common = {
        "make_step": make_train_step,  # the step of coursework/linear_regression.py
        "strategy": strategy,
        "train_data": train_data,
        "epochs": config.epochs,
        "validation_data": test_data,
        "verbose": config.verbose,
    }
    if impl == "scratch":
        model, history = train_scratch(
            lambda: BiGRUClassifierScratch(*sizes, seed=config.seed),
            make_optimizer=lambda: scratch_optimizer(config, steps_per_epoch),
            loss=cross_entropy,
            metrics=METRICS,
            **common,
        )
    else:
        model, history = train_concise(
            lambda: build_concise_model(*sizes),
            make_optimizer=lambda: concise_optimizer(config, steps_per_epoch),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
            **common,
        )
    test_figures = make_evaluator(model, cross_entropy, METRICS)(test_data)
    metrics = {"test_accuracy": test_figures["accuracy"], "test_loss": test_figures["loss"]}
    return RunResult(history=history, metrics=metrics, model=model)


if __name__ == "__main__":
    from coursework.classification import train_both_implementations

    train_both_implementations(run, DEFAULTS)
