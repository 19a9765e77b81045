"""The reference solution of the recurrent-network assignment against independent oracles:
Keras's `SimpleRNN`, `tf.clip_by_global_norm` and `SparseCategoricalCrossentropy`."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import rnn


def test_tokenize_words_and_characters():
    assert rnn.tokenize(["the time  machine", ""]) == [["the", "time", "machine"], []]
    assert rnn.tokenize(["ab c"], token="char") == [["a", "b", " ", "c"]]
    with pytest.raises(ValueError):
        rnn.tokenize(["abc"], token="byte")


def test_build_vocab_puts_unk_and_reserved_first_then_by_frequency_and_alphabet():
    tokens = [["b", "a", "c", "a"], ["b", "d", "a", "e", "e"]]
    assert rnn.build_vocab(tokens) == ["<unk>", "a", "b", "e", "c", "d"]
    assert rnn.build_vocab(tokens, min_freq=2, reserved_tokens=["<pad>", "<bos>"]) == [
        "<unk>", "<pad>", "<bos>", "a", "b", "e"]
    assert rnn.build_vocab(["x", "y", "y"]) == ["<unk>", "y", "x"]  # a flat list
    assert rnn.build_vocab([["a", "<pad>"]], reserved_tokens=["<pad>"]) == ["<unk>", "<pad>", "a"]


def random_params(rng, num_inputs, num_hiddens, num_outputs, dtype=np.float32):
    shapes = [(num_inputs, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,),
              (num_hiddens, num_outputs), (num_outputs,)]
    return [rng.normal(0, 0.5, shape).astype(dtype) for shape in shapes]


def test_rnn_forward_matches_keras_simple_rnn():
    rng = np.random.default_rng(0)
    W_xh, W_hh, b_h, W_hq, b_q = params = random_params(rng, 5, 7, 3)
    inputs = rng.normal(size=(6, 4, 5)).astype(np.float32)  # (steps, batch, inputs)
    state = rng.normal(size=(4, 7)).astype(np.float32)
    layer = keras.layers.SimpleRNN(7, return_sequences=True, return_state=True)
    batch_first = np.transpose(inputs, (1, 0, 2))
    layer(batch_first)
    layer.set_weights([W_xh, W_hh, b_h])
    states, final = layer(batch_first, initial_state=[state])
    outputs, got_state = rnn.rnn_forward(inputs, state, params)
    expected = np.transpose(states.numpy(), (1, 0, 2)) @ W_hq + b_q
    assert outputs.shape == (6, 4, 3)
    np.testing.assert_allclose(np.asarray(outputs), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(got_state), final.numpy(), rtol=1e-5, atol=1e-5)


def test_rnn_forward_keeps_float64():
    rng = np.random.default_rng(1)
    params = random_params(rng, 3, 4, 2, np.float64)
    outputs, state = rnn.rnn_forward(rng.normal(size=(2, 1, 3)), np.zeros((1, 4)), params)
    assert outputs.dtype == tf.float64 and state.dtype == tf.float64


def test_grad_clipping_matches_clip_by_global_norm_and_leaves_the_input_alone():
    rng = np.random.default_rng(2)
    grads = [tf.constant(rng.normal(size=shape).astype(np.float32)) for shape in [(3, 2), (5,)]]
    originals = [g.numpy().copy() for g in grads]
    for theta in (0.1, 1.0, 1000.0):
        given = list(grads)
        got = rnn.grad_clipping(given, theta)
        expected, _ = tf.clip_by_global_norm(grads, theta)
        assert got is not given
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(np.asarray(g), e.numpy(), rtol=1e-6)
        for g, original in zip(given, originals, strict=True):
            np.testing.assert_array_equal(g.numpy(), original)


def test_grad_clipping_mutable_arrays_are_not_changed():
    grads = [np.full((2, 2), 3.0), np.full(3, 4.0)]
    rnn.grad_clipping(grads, 1.0)
    np.testing.assert_array_equal(grads[0], np.full((2, 2), 3.0))


def test_perplexity_is_exp_of_keras_mean_cross_entropy():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, size=(4, 5, 28)).astype(np.float32)
    labels = rng.integers(0, 28, size=(4, 5))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    got = rnn.perplexity(logits, labels)
    assert isinstance(got, float)
    assert got == pytest.approx(math.exp(float(loss)), rel=1e-5)
    uniform = rnn.perplexity(np.zeros((3, 28), np.float32), np.array([0, 5, 9]))
    assert uniform == pytest.approx(28.0)


def test_text_classifier_structure_masking_and_training():
    model = rnn.build_text_classifier(vocab_size=50, embedding_dim=8, num_hiddens=6, num_classes=3)
    assert not model.compiled
    embedding = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    assert len(embedding) == 1 and embedding[0].mask_zero
    ids = np.array([[5, 9, 3, 0, 0]], np.int32)
    padded = np.array([[5, 9, 3, 0, 0, 0, 0, 0, 0]], np.int32)
    np.testing.assert_allclose(model(ids).numpy(), model(padded).numpy(), rtol=1e-5, atol=1e-6)
    assert model(ids).shape == (1, 3)
    # It learns: class 0 texts use word 1, class 1 texts word 2, class 2 texts word 3.
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 300)
    texts = np.where(rng.uniform(size=(300, 7)) < 0.5, labels[:, None] + 1,
                     rng.integers(4, 50, (300, 7)))
    texts[:, 5:] = 0
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(texts, labels, epochs=8, batch_size=30, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
