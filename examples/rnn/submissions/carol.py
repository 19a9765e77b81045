# Carol: leaves "<unk>" out, uses ReLU in her RNN, clips the gradients by
# writing into the list she was given, and forgets mask_zero.
import numpy as np
import tensorflow as tf
from tensorflow import keras


def tokenize(lines, token="word"):
    if token not in ("word", "char"):
        raise ValueError(token)
    return [line.split() if token == "word" else [c for c in line] for line in lines]


def build_vocab(tokens, min_freq=0, reserved_tokens=()):
    if tokens and isinstance(tokens[0], list):
        tokens = sum(tokens, [])
    counts = {t: tokens.count(t) for t in set(tokens)}
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return list(reserved_tokens) + [t for t in ranked
                                    if counts[t] >= min_freq and t not in reserved_tokens]


def rnn_forward(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, outputs = state, []
    for X in inputs:
        H = tf.nn.relu(X @ W_xh + H @ W_hh + b_h)
        outputs.append(H @ W_hq + b_q)
    return tf.stack(outputs), H


def grad_clipping(grads, theta):
    norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    for i, g in enumerate(grads):
        grads[i] = g * min(1.0, theta / norm)
    return grads


def perplexity(logits, labels):
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    return float(np.exp(np.mean(losses)))


def build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2):
    return keras.Sequential([
        keras.layers.Embedding(vocab_size, embedding_dim),
        keras.layers.GRU(num_hiddens),
        keras.layers.Dense(num_classes),
    ])
