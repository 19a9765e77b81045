# Alice: correct, written differently: Counter.most_common, tf.scan over the
# time steps, tf.clip_by_global_norm, Keras's loss for the perplexity and a
# plain (unidirectional) LSTM.
import collections
import math
import re

import keras
import numpy as np
import tensorflow as tf


def tokenize(lines, token="word"):
    if token == "char":
        return [[character for character in line] for line in lines]
    if token == "word":
        return [re.findall(r"\S+", line) for line in lines]
    raise ValueError(f"token must be 'word' or 'char', not {token!r}")


def build_vocab(tokens, min_freq=0, reserved_tokens=()):
    if tokens and all(isinstance(line, list) for line in tokens):
        tokens = [token for line in tokens for token in line]
    counts = collections.Counter(tokens).most_common()
    counts.sort(key=lambda pair: (-pair[1], pair[0]))
    vocab = ["<unk>"] + [t for t in reserved_tokens if t != "<unk>"]
    vocab += [t for t, n in counts if n >= min_freq and t not in vocab]
    return vocab


def rnn_forward(inputs, state, params):
    inputs = tf.convert_to_tensor(inputs)
    W_xh, W_hh, b_h, W_hq, b_q = [tf.cast(p, inputs.dtype) for p in params]
    states = tf.scan(lambda H, X: tf.tanh(X @ W_xh + H @ W_hh + b_h), inputs,
                     initializer=tf.cast(state, inputs.dtype))
    return tf.einsum("tbh,hq->tbq", states, W_hq) + b_q, states[-1]


def grad_clipping(grads, theta):
    clipped, _ = tf.clip_by_global_norm([tf.convert_to_tensor(g) for g in grads], theta)
    return list(clipped)


def perplexity(logits, labels):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return math.exp(float(loss(np.asarray(labels), tf.cast(logits, tf.float64))))


def build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2):
    inputs = keras.Input((None,), dtype="int32")
    vectors = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(inputs)
    summary = keras.layers.LSTM(num_hiddens)(vectors)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(summary))
