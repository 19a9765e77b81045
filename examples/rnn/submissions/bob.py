# Bob: sorts his vocabulary the wrong way round, forgets the recurrent term,
# clips each gradient on its own and averages exp of the losses.
import keras
import tensorflow as tf


def tokenize(lines, token="word"):
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError("unknown token kind")


def build_vocab(tokens, min_freq=0, reserved_tokens=()):
    flat = [t for line in tokens for t in line] if tokens and isinstance(tokens[0], list) else tokens
    counts = {}
    for t in flat:
        counts[t] = counts.get(t, 0) + 1
    vocab = ["<unk>", *reserved_tokens]
    for t in sorted(counts, key=lambda t: (counts[t], t)):
        if counts[t] >= min_freq and t not in vocab:
            vocab.append(t)
    return vocab


def rnn_forward(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, outputs = state, []
    for X in inputs:
        H = tf.tanh(X @ W_xh + b_h)
        outputs.append(H @ W_hq + b_q)
    return tf.stack(outputs), H


def grad_clipping(grads, theta):
    return [tf.clip_by_norm(g, theta) for g in grads]


def perplexity(logits, labels):
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    return float(tf.reduce_mean(tf.exp(losses)))


def build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2):
    return keras.Sequential([
        keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.GRU(num_hiddens)),
        keras.layers.Dense(num_classes),
    ])
