"""The Time Machine: a small book for character-level language models.

H. G. Wells's *The Time Machine* (about 180 KB of text, public domain) is the
corpus Dive into Deep Learning trains its first language models on. This module
turns it into numbers in four steps:

1. **load** the text (`load_text`): downloaded once with
   ``keras.utils.get_file`` and checked against its SHA-1, or read from a folder
   holding ``timemachine.txt`` (``coursework train rnn_lm --data-dir FOLDER``);
2. **preprocess** it as D2L does (`preprocess`): lower case, and every run of
   characters that are not letters becomes one space;
3. **tokenize** it into characters (`tokenize`) and map each token to an index
   with a **vocabulary** (`Vocab`): 26 letters, the space and ``<unk>``, 28
   tokens;
4. **partition** the long sequence of indices into minibatches of inputs X and
   targets Y, Y being X shifted by one token (`random_partition`,
   `sequential_partition`, and `subsequences` for evaluation).
"""

from __future__ import annotations

import collections
import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
"""Where D2L publishes the book."""
SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
"""SHA-1 of the file at `URL`."""
FILE_NAME = "timemachine.txt"
UNKNOWN = "<unk>"


# ---------------------------------------------------------------------------
# Loading the text.
# ---------------------------------------------------------------------------
def load_text(data_dir: str | Path | None = None) -> str:
    """Reads The Time Machine.

    Args:
        data_dir: A folder holding ``timemachine.txt``, or None to download the
            book with ``keras.utils.get_file`` (cached in ``~/.keras/datasets``
            after the first time).

    Returns:
        The raw text of the book.

    Raises:
        FileNotFoundError: If the file is missing and cannot be downloaded.
        ValueError: If the file is not the expected one (its SHA-1 differs).
    """
    if data_dir is None:
        path = _download()
    else:
        path = Path(data_dir) / FILE_NAME
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist. The data folder must hold {FILE_NAME} "
                f"(download it from {URL}), or leave out --data-dir to download it."
            )
    content = path.read_bytes()
    digest = hashlib.sha1(content).hexdigest()
    if digest != SHA1:
        raise ValueError(
            f"{path} is not D2L's copy of The Time Machine: its SHA-1 is {digest}, expected "
            f"{SHA1}. Download it again from {URL}."
        )
    return content.decode("utf-8")


def _download() -> Path:
    import keras

    try:
        return Path(keras.utils.get_file(FILE_NAME, URL, file_hash=SHA1, hash_algorithm="sha1"))
    except Exception as error:  # network errors, or a corrupt download Keras rejects
        raise FileNotFoundError(
            f"The Time Machine could not be downloaded from {URL}: {type(error).__name__}: "
            f"{error}. Connect once to download it (Keras caches it in ~/.keras/datasets), or "
            f"pass --data-dir FOLDER with {FILE_NAME} in it."
        ) from error


# ---------------------------------------------------------------------------
# Preprocessing, tokens and the vocabulary.
# ---------------------------------------------------------------------------
def preprocess(text: str) -> str:
    """D2L's preprocessing: non-letters to spaces, then lower case.

    Every run of characters other than the letters A-Z and a-z (digits,
    punctuation, line breaks) becomes a single space.

    Args:
        text: Raw text.

    Returns:
        Lower-case letters and single spaces only.
    """
    return re.sub("[^A-Za-z]+", " ", text).lower()


def tokenize(lines: Sequence[str], token: str = "word") -> list[list[str]]:
    """Splits each line into tokens.

    Args:
        lines: Strings.
        token: "word" to split on whitespace, "char" for characters.

    Returns:
        One list of tokens per line.

    Raises:
        ValueError: If `token` is another kind.
    """
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"Unknown token kind {token!r}; use 'word' or 'char'.")


def _flatten(tokens: Iterable) -> list[str]:
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], list | tuple):
        return [token for line in tokens for token in line]
    return tokens


class Vocab:
    """A vocabulary: tokens to indices and back.

    Index 0 is ``<unk>``, which any token outside the vocabulary maps to; then
    come the reserved tokens in order, then the other tokens seen at least
    `min_freq` times, the most frequent first (ties alphabetically).

    Args:
        tokens: A list of tokens, or a list of lists of tokens.
        min_freq: Tokens seen fewer times are left out.
        reserved_tokens: Tokens to include whatever their frequency.
    """

    def __init__(self, tokens: Iterable = (), min_freq: int = 0, reserved_tokens=()):
        counts = collections.Counter(_flatten(tokens))
        self.token_freqs = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        self.idx_to_token = [UNKNOWN, *reserved_tokens]
        known = set(self.idx_to_token)
        for token, count in self.token_freqs:
            if count >= min_freq and token not in known:
                self.idx_to_token.append(token)
                known.add(token)
        self.token_to_idx = {token: index for index, token in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def indices(self, tokens: Iterable[str]) -> list[int]:
        """Maps tokens to indices, unknown tokens to 0."""
        return [self.token_to_idx.get(token, 0) for token in tokens]

    def to_tokens(self, indices: Iterable[int]) -> list[str]:
        """Maps indices back to tokens."""
        return [self.idx_to_token[int(index)] for index in indices]


def load_corpus(data_dir: str | Path | None = None) -> tuple[np.ndarray, Vocab]:
    """The book as one sequence of character indices, and its vocabulary.

    Args:
        data_dir: See `load_text`.

    Returns:
        ``(corpus, vocab)``: an int32 array of 173,428 indices and the 28-token
        vocabulary.
    """
    text = preprocess(load_text(data_dir))
    vocab = Vocab(tokenize([text], "char"))
    return np.asarray(vocab.indices(text), np.int32), vocab


# ---------------------------------------------------------------------------
# Partitioning into minibatches: Y is X shifted by one token.
# ---------------------------------------------------------------------------
def _check_partition(corpus, batch_size: int, num_steps: int) -> np.ndarray:
    if batch_size < 1 or num_steps < 1:
        raise ValueError(
            f"batch_size and num_steps must be at least 1, got {batch_size} and {num_steps}."
        )
    corpus = np.asarray(corpus, np.int32)
    if corpus.ndim != 1:
        raise ValueError(f"The corpus must be one sequence of indices, got shape {corpus.shape}.")
    return corpus


def subsequences(corpus, num_steps: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cuts the corpus into consecutive, non-overlapping subsequences.

    Args:
        corpus: A sequence of token indices.
        num_steps: Tokens per subsequence.
        offset: Index of the first token used.

    Returns:
        ``(X, Y)``: int32 arrays of shape (n, num_steps), where row i of X holds
        tokens ``offset + i * num_steps`` onwards and ``Y[i, t]`` is the token
        after ``X[i, t]``.

    Raises:
        ValueError: If `num_steps` is below 1 or the corpus is not 1-D.
    """
    corpus = _check_partition(corpus, 1, num_steps)
    count = max(len(corpus) - offset - 1, 0) // num_steps
    starts = offset + np.arange(count)[:, None] * num_steps + np.arange(num_steps)
    return corpus[starts], corpus[starts + 1]


def random_partition(corpus, batch_size: int, num_steps: int, seed: int = 0):
    """Random partitioning: minibatches of subsequences from anywhere in the text.

    Every time the dataset is iterated (every epoch) the corpus is cut at a new
    random offset (0 to ``num_steps - 1``) into non-overlapping subsequences of
    `num_steps` tokens, which are shuffled into minibatches; the last,
    incomplete minibatch is dropped. Rows of a minibatch are unrelated, so a
    model starts every minibatch from a fresh hidden state. Over the epochs the
    model sees every cut of the text.

    Args:
        corpus: A sequence of token indices.
        batch_size: Subsequences per minibatch.
        num_steps: Tokens per subsequence.
        seed: Seed of the offsets and the order.

    Returns:
        A `tf.data.Dataset` of ``(X, Y)`` int32 batches of shape
        (batch_size, num_steps), ``Y[i, t]`` the token after ``X[i, t]``, with
        the same known number of batches every epoch.

    Raises:
        ValueError: If the corpus is too short for one minibatch.
    """
    import tensorflow as tf

    corpus = _check_partition(corpus, batch_size, num_steps)
    count = (len(corpus) - num_steps) // num_steps  # subsequences at any offset < num_steps
    if count < batch_size:
        raise ValueError(
            f"A corpus of {len(corpus)} tokens has {count} subsequences of {num_steps} tokens, "
            f"fewer than one minibatch of {batch_size}."
        )
    tokens = tf.constant(corpus)
    positions = tf.range(count)[:, None] * num_steps + tf.range(num_steps)

    def cut(offset):
        starts = tf.cast(offset, tf.int32) + positions
        return tf.data.Dataset.from_tensor_slices(
            (tf.gather(tokens, starts), tf.gather(tokens, starts + 1))
        )

    offsets = tf.data.Dataset.range(num_steps).shuffle(
        num_steps, seed=seed, reshuffle_each_iteration=True
    )
    dataset = offsets.take(1).flat_map(cut)
    dataset = dataset.shuffle(count, seed=seed + 1, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(count // batch_size))
    return dataset.prefetch(tf.data.AUTOTUNE)


def sequential_partition(corpus, batch_size: int, num_steps: int):
    """Sequential partitioning: each row of a minibatch continues the previous one.

    The corpus is split into `batch_size` contiguous streams, one per row;
    minibatch k holds the k-th window of `num_steps` tokens of every stream.
    Row i of a minibatch continues row i of the previous minibatch, so a model
    may carry its hidden state over from one minibatch to the next (cut off
    from the gradient) instead of starting afresh.

    Args:
        corpus: A sequence of token indices.
        batch_size: Streams, i.e. rows per minibatch.
        num_steps: Tokens per row.

    Returns:
        A `tf.data.Dataset` of ``(X, Y)`` int32 batches of shape
        (batch_size, num_steps), ``Y[i, t]`` the token after ``X[i, t]``.

    Raises:
        ValueError: If the corpus is too short for one minibatch.
    """
    import tensorflow as tf

    corpus = _check_partition(corpus, batch_size, num_steps)
    stream_length = (len(corpus) - 1) // batch_size
    num_batches = stream_length // num_steps
    if num_batches < 1:
        raise ValueError(
            f"A corpus of {len(corpus)} tokens in {batch_size} streams gives streams of "
            f"{stream_length} tokens, shorter than {num_steps} steps."
        )
    used = batch_size * stream_length
    inputs = corpus[:used].reshape(batch_size, stream_length)
    targets = corpus[1 : used + 1].reshape(batch_size, stream_length)
    windows = [
        (inputs[:, k * num_steps : (k + 1) * num_steps],
         targets[:, k * num_steps : (k + 1) * num_steps])
        for k in range(num_batches)
    ]
    return tf.data.Dataset.from_tensor_slices(
        (np.stack([X for X, _ in windows]), np.stack([Y for _, Y in windows]))
    )
