"""Assignment: recurrent neural networks.

A recurrent neural network reads a sequence one step at a time and keeps a
*hidden state* that summarizes what it has read so far. You will implement the
pieces of a character-level language model and of a text classifier:

1. `tokenize`, splitting lines of text into words or characters;
2. `build_vocab`, the list of tokens a model knows, most frequent first;
3. `rnn_forward`, the loop of a recurrent network over time steps::

       H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)
       O_t = H_t W_hq + b_q

4. `grad_clipping`, which keeps one long sequence's exploding gradient from
   throwing the parameters far away: all gradients are scaled together so that
   their global L2 norm is at most ``theta``;
5. `perplexity`, the language model's figure of merit: exp of the mean
   per-token cross-entropy. A model that always spreads its bets evenly over
   28 characters has perplexity 28; a perfect one has perplexity 1;
6. `build_text_classifier`, a Keras model from token ids to class logits whose
   recurrent layer skips the padding.

Your file is graded on its own, so it must not import from `solutions`;
TensorFlow and Keras (and NumPy, if you like) are all you need.

Check your work with ``autograder check rnn.py --assignment rnn``.
"""

import collections

import keras
import tensorflow as tf


def tokenize(lines, token="word"):
    """Splits each line of text into tokens.

    Args:
        lines: A list of strings.
        token: "word" splits each line on whitespace; "char" gives its characters.

    Returns:
        A list with one list of tokens (strings) per line.

    Raises:
        ValueError: If `token` is neither "word" nor "char".
    """
    ### BEGIN SOLUTION
    splitters = {"word": str.split, "char": list}
    if token not in splitters:
        raise ValueError(f"token must be 'word' or 'char', got {token!r}.")
    return [splitters[token](line) for line in lines]
    ### END SOLUTION


def build_vocab(tokens, min_freq=0, reserved_tokens=()):
    """The vocabulary of a corpus, as the list of its tokens by index.

    Args:
        tokens: A list of lists of tokens (as `tokenize` returns), or a flat
            list of tokens.
        min_freq: Tokens seen fewer times than this are left out.
        reserved_tokens: Tokens that come right after "<unk>", in this order,
            whatever their frequency.

    Returns:
        ``idx_to_token``, a list of strings: "<unk>" first, then
        `reserved_tokens` in order, then every other token seen at least
        `min_freq` times, by descending frequency, ties in alphabetical order.
        No token appears twice.
    """
    ### BEGIN SOLUTION
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], list | tuple):
        tokens = [token for line in tokens for token in line]
    counts = collections.Counter(tokens)
    idx_to_token = ["<unk>"]
    for token in reserved_tokens:
        if token not in idx_to_token:
            idx_to_token.append(token)
    known = set(idx_to_token)
    for token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if count >= min_freq and token not in known:
            idx_to_token.append(token)
            known.add(token)
    return idx_to_token
    ### END SOLUTION


def rnn_forward(inputs, state, params):
    """Runs a recurrent network with tanh over every time step.

    Args:
        inputs: Shape (num_steps, batch, num_inputs), time first.
        state: The initial hidden state, shape (batch, num_hiddens).
        params: ``[W_xh, W_hh, b_h, W_hq, b_q]`` with shapes
            (num_inputs, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,),
            (num_hiddens, num_outputs), (num_outputs,).

    Returns:
        ``(outputs, state)``: the outputs ``O_t = H_t W_hq + b_q`` of every
        step, shape (num_steps, batch, num_outputs), and the final hidden state
        ``H_T``, shape (batch, num_hiddens), where
        ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``. Float results have the
        dtype of `inputs`.
    """
    ### BEGIN SOLUTION
    inputs = tf.convert_to_tensor(inputs)
    dtype = inputs.dtype
    W_xh, W_hh, b_h, W_hq, b_q = (tf.cast(p, dtype) for p in params)
    H = tf.cast(state, dtype)
    outputs = []
    for X in tf.unstack(inputs, axis=0):
        H = tf.tanh(tf.matmul(X, W_xh) + tf.matmul(H, W_hh) + b_h)
        outputs.append(tf.matmul(H, W_hq) + b_q)
    if outputs:
        stacked = tf.stack(outputs)
    else:
        stacked = tf.zeros((0, tf.shape(H)[0], tf.shape(W_hq)[1]), dtype)
    return stacked, H
    ### END SOLUTION


def grad_clipping(grads, theta):
    """Scales gradients so that their global L2 norm is at most `theta`.

    Args:
        grads: A list of gradient tensors (or arrays) of any shapes.
        theta: The largest global norm allowed, positive.

    Returns:
        A new list of tensors, each gradient multiplied by ``min(1, theta / g)``
        where ``g = sqrt(sum of the squares of every element of every
        gradient)``. The list passed in is not changed. Float results keep the
        gradients' dtype.
    """
    ### BEGIN SOLUTION
    grads = [tf.convert_to_tensor(grad) for grad in grads]
    if not grads:
        return []
    dtype = grads[0].dtype
    norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.cast(g, tf.float64))) for g in grads]))
    scale = tf.minimum(tf.constant(1.0, tf.float64), theta / tf.maximum(norm, 1e-300))
    return [tf.cast(tf.cast(grad, tf.float64) * scale, grad.dtype or dtype) for grad in grads]
    ### END SOLUTION


def perplexity(logits, labels):
    """The perplexity of predictions: exp of the mean per-token cross-entropy.

    Args:
        logits: Unnormalized scores, shape (..., vocab_size).
        labels: The true token indices, integers of shape (...).

    Returns:
        ``exp(mean over tokens of -log softmax(logits)[label])`` as a Python
        float.
    """
    ### BEGIN SOLUTION
    logits = tf.convert_to_tensor(logits)
    labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.cast(logits, tf.float64))
    return float(tf.exp(tf.reduce_mean(losses)))
    ### END SOLUTION


def build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2):
    """A recurrent text classifier with Keras layers.

    Args:
        vocab_size: Number of token ids, including 0, the padding.
        embedding_dim: Size of each token's embedding vector.
        num_hiddens: Units of the recurrent layer (per direction).
        num_classes: Number of classes (units of the output layer).

    Returns:
        An uncompiled `keras.Model` from integer token ids of shape
        (batch, length), 0 being padding, to logits of shape
        (batch, num_classes): ``Embedding(vocab_size, embedding_dim,
        mask_zero=True)``, then one recurrent layer (`SimpleRNN`, `GRU` or
        `LSTM` with `num_hiddens` units, optionally wrapped in `Bidirectional`),
        then ``Dense(num_classes)`` with no activation. Padding does not change
        the logits.
    """
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True),
            keras.layers.Bidirectional(keras.layers.GRU(num_hiddens)),
            keras.layers.Dense(num_classes),
        ],
        name="text_classifier",
    )
    ### END SOLUTION
