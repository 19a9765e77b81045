"""The character language model lecture (`coursework.rnn_lm`) and the scratch recurrent cells.

The runs here train on a small repetitive text for a few epochs;
`benchmarks/rnn.py rnn_lm` trains on The Time Machine.
"""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from float32_rounding import (
    ELEMENTWISE,
    EPS32,
    assert_within,
    sgd_bound,
    sgd_update_bound,
    sum_bound,
)

from coursework import keras_clipping, recurrent, rnn_lm, scratch, time_machine
from coursework.cli import main
from coursework.distribute import get_strategy
from coursework.linear_regression import make_train_step
from coursework.training import set_seed, train_concise, train_scratch

TEXT = "the time traveller smiled and the time machine vanished " * 60
SMALL = {"epochs": 2, "batch_size": 16, "num_steps": 8, "num_hiddens": 16, "verbose": 0,
         "learning_rate": 0.05, "num_predictions": 10}


@pytest.fixture(scope="module")
def corpus():
    text = time_machine.preprocess(TEXT)
    vocab = time_machine.Vocab(time_machine.tokenize([text], "char"))
    return np.asarray(vocab.indices(text), np.int32), vocab


def test_scratch_rnn_and_keras_simple_rnn_from_the_same_weights_give_the_same_logits():
    scratch_model = rnn_lm.RNNLMScratch(vocab_size=28, num_hiddens=12, seed=4)
    concise = rnn_lm.build_concise_model(vocab_size=28, num_hiddens=12, cell="rnn")
    rnn_lm.copy_scratch_weights(scratch_model, concise)
    tokens = tf.constant(np.random.default_rng(0).integers(0, 28, (5, 9)), tf.int32)
    expected = concise(tokens).numpy()
    assert expected.shape == (5, 9, 28)
    np.testing.assert_allclose(scratch_model(tokens).numpy(), expected, rtol=1e-5, atol=1e-5)
    # ...and inside a compiled function, where the loop over time is a while loop.
    compiled = tf.function(scratch_model.__call__)
    np.testing.assert_allclose(compiled(tokens).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_scratch_gru_cell_matches_keras_gru_with_reset_before_the_product():
    cell = recurrent.GRUCell(num_inputs=6, num_hiddens=5, seed=2)
    layer = keras.layers.GRU(5, reset_after=False, return_sequences=True, return_state=True)
    inputs = np.random.default_rng(1).normal(size=(3, 7, 6)).astype(np.float32)
    layer(inputs)
    gates = ("z", "r", "h")
    layer.set_weights([
        np.concatenate([getattr(cell, f"W_x{g}").numpy() for g in gates], axis=1),
        np.concatenate([getattr(cell, f"W_h{g}").numpy() for g in gates], axis=1),
        np.concatenate([getattr(cell, f"b_{g}").numpy() for g in gates]),
    ])
    expected_outputs, expected_state = layer(inputs)
    outputs, state = recurrent.run_over_time(cell, inputs)
    np.testing.assert_allclose(outputs.numpy(), expected_outputs.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state.numpy(), expected_state.numpy(), rtol=1e-5, atol=1e-5)


def test_masked_steps_leave_the_state_unchanged_in_both_directions():
    cell = recurrent.RNNCell(num_inputs=3, num_hiddens=4, seed=0)
    inputs = np.random.default_rng(2).normal(size=(2, 5, 3)).astype(np.float32)
    padded = np.concatenate([inputs, np.ones((2, 3, 3), np.float32)], axis=1)
    mask = np.array([[True] * 5 + [False] * 3] * 2)
    for reverse in (False, True):
        _, expected = recurrent.run_over_time(cell, inputs, reverse=reverse)
        _, got = recurrent.run_over_time(cell, padded, mask=mask, reverse=reverse)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_clip_by_global_norm_matches_tensorflow():
    rng = np.random.default_rng(3)
    grads = [tf.constant(rng.normal(size=shape).astype(np.float32)) for shape in [(3, 4), (4,)]]
    for clip_norm in (0.5, 100.0):
        expected, _ = tf.clip_by_global_norm(grads, clip_norm)
        got = scratch.clip_by_global_norm(grads, clip_norm)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-6)


def test_scratch_optimizer_clips_the_summed_gradient_of_both_replicas():
    """Each replica's share has norm 0.6, under the limit 1; their sum has norm 1.2."""
    strategy = get_strategy(2)
    with strategy.scope():
        variable = scratch.parameter(tf.zeros(2))
        optimizer = scratch.SGD(1.0, clip_norm=1.0)

    def step():
        optimizer.apply_gradients([(tf.constant([0.6, 0.0]), variable)])

    strategy.run(tf.function(step))
    np.testing.assert_allclose(variable.numpy(), [-1.0, 0.0], rtol=1e-6)


def scratch_rnn_weights(model):
    """The scratch RNN's parameters in the order of the concise model's weights."""
    return [model.cell.W_xh, model.cell.W_hh, model.cell.b_h, model.W_hq, model.b_q]


def clipped_step_bound(model, tokens, labels, learning_rate, clip_norm):
    """How far two float32 SGD steps of the mean token loss, clipped, may differ.

    Every weight's gradient is the mean over the batch's tokens of each token's
    gradient, and each of those sums products along the paths back through
    the steps, the hidden units and the outputs: at most ``tokens * steps *
    (hiddens + vocabulary)`` products, summed in another order by each
    implementation (`sum_bound` of the tokens' absolute gradients). The
    clipping scale comes from a sum over every element of every gradient, off
    by a relative ``(elements + 4) * eps``; then the step and the weight's own
    rounding.
    """
    batch, steps = tokens.shape
    with tf.GradientTape() as tape:
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, model(tokens))
        losses = tf.reshape(losses, [-1])
    variables = scratch_rnn_weights(model)
    per_token = tape.jacobian(losses, variables)
    gradients = [tf.reduce_mean(jacobian, axis=0).numpy() for jacobian in per_token]
    abs_sums = [np.abs(jacobian.numpy()).sum(axis=0) / (batch * steps) for jacobian in per_token]
    norm = np.sqrt(sum(np.sum(grad.astype(np.float64) ** 2) for grad in gradients))
    scale = min(1.0, clip_norm / norm)
    products = batch * steps * steps * (model.cell.W_hh.shape[0] + model.vocab_size)
    elements = sum(grad.size for grad in gradients)
    bounds = []
    for variable, grad, abs_sum in zip(variables, gradients, abs_sums, strict=True):
        gradient_bound = scale * (sum_bound(abs_sum, products)
                                  + (elements + 4) * EPS32 * np.abs(grad))
        step = learning_rate * scale * np.abs(grad)
        bounds.append(sgd_bound(learning_rate, [gradient_bound])
                      + 2 * EPS32 * (np.abs(variable.numpy()) + step))
    return bounds


def test_concise_clips_the_summed_gradient_like_scratch_under_two_replicas(corpus):
    """One SGD step from the same weights, on a batch whose gradient is clipped: `fit` with
    `keras_clipping.SGD` and the scratch loop agree to rounding under 2 replicas, and
    Keras's own `global_clipnorm` (each replica's share clipped) does not."""
    indices, vocab = corpus
    batch, steps, hiddens, learning_rate, clip_norm = 8, 8, 16, 0.5, 0.05
    tokens = np.stack([indices[i * steps:(i + 1) * steps] for i in range(batch)])
    labels = np.stack([indices[i * steps + 1:(i + 1) * steps + 1] for i in range(batch)])
    data = tf.data.Dataset.from_tensor_slices((tokens, labels)).batch(batch)
    strategy = get_strategy(2)

    def build_scratch():
        return rnn_lm.RNNLMScratch(len(vocab), hiddens, "rnn", seed=3)

    start = build_scratch()
    bounds = clipped_step_bound(start, tokens, labels, learning_rate, clip_norm)
    scratch_model, _ = train_scratch(
        build_scratch, make_step=make_train_step, strategy=strategy, train_data=data, epochs=1,
        verbose=0,
        make_optimizer=lambda: scratch.SGD(learning_rate, clip_norm=clip_norm),
        loss=rnn_lm.sequence_cross_entropy)
    expected = [variable.numpy() for variable in scratch_rnn_weights(scratch_model)]

    def concise_weights(optimizer_class):
        model, _ = train_concise(
            lambda: rnn_lm.build_concise_like_scratch(len(vocab), hiddens, "rnn", seed=3),
            make_step=make_train_step, strategy=strategy, train_data=data, epochs=1, verbose=0,
            make_optimizer=lambda: optimizer_class(learning_rate, global_clipnorm=clip_norm),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return [variable.numpy() for variable in model.trainable_variables]

    for index, (got, want, bound) in enumerate(
            zip(concise_weights(keras_clipping.SGD), expected, bounds, strict=True)):
        assert_within(got, want, bound, f"weights {index}")
    plain = concise_weights(keras.optimizers.SGD)
    assert any(np.any(np.abs(got - want) > bound)
               for got, want, bound in zip(plain, expected, bounds, strict=True))


def test_perplexity_is_exp_of_the_mean_token_cross_entropy():
    rng = np.random.default_rng(5)
    logits = tf.constant(rng.normal(size=(4, 6, 28)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 28, (4, 6)), tf.int32)
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    per_sequence = rnn_lm.sequence_cross_entropy(labels, logits)
    assert float(tf.reduce_mean(per_sequence)) == pytest.approx(float(keras_loss), rel=1e-6)
    history = rnn_lm.add_perplexity([{"loss": 2.0, "val_loss": 1.5}])
    assert history[0]["perplexity"] == pytest.approx(math.exp(2.0))
    assert history[0]["val_perplexity"] == pytest.approx(math.exp(1.5))


@pytest.mark.parametrize("impl, cell", [
    ("scratch", "rnn"), ("concise", "gru"),
    pytest.param("concise", "rnn", marks=pytest.mark.slow),
    pytest.param("scratch", "gru", marks=pytest.mark.slow)])
def test_each_implementation_learns_the_text_and_writes(impl, cell, corpus):
    config = rnn_lm.DEFAULTS.replace(**SMALL, cell=cell, prefix="the time")
    result = rnn_lm.run(impl, config, get_strategy(1), corpus=corpus)
    first, last = result.history[0], result.history[-1]
    assert last["loss"] < first["loss"]
    assert last["val_perplexity"] == pytest.approx(math.exp(last["val_loss"]))
    assert result.metrics["val_perplexity"] == pytest.approx(math.exp(result.metrics["val_loss"]))
    assert result.metrics["val_perplexity"] < 15  # 23 characters: chance is 23
    generated = result.samples["generated"]
    assert generated.startswith("the time") and len(generated) == len("the time") + 10


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_training_under_two_replicas(impl, corpus):
    config = rnn_lm.DEFAULTS.replace(**SMALL)  # 2 epochs of 3 steps
    result = rnn_lm.run(impl, config, get_strategy(2), corpus=corpus)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert math.isfinite(result.metrics["val_perplexity"])


RNN_VARIABLES = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def _rnn_lm_step(weights, tokens, targets, vocab_size):
    """The scratch tanh language model's values and gradients for one batch, in float64.

    Returns:
        ``(values, gradients, deltas)``: the hidden states ``h`` (batch, steps + 1,
        hiddens, ``h[:, 0] = 0``) and logits ``o``; the gradient of the batch's
        mean loss for every variable; and for every ``h_t`` (all its uses), and ``o``.
    """
    w = {name: tf.Variable(np.asarray(value, np.float64)) for name, value in weights.items()}
    inputs = tf.one_hot(tokens, vocab_size, dtype=tf.float64)
    with tf.GradientTape() as tape:
        states = [tf.zeros((len(tokens), w["W_hh"].shape[0]), tf.float64)]
        for t in range(tokens.shape[1]):
            states.append(tf.tanh(inputs[:, t] @ w["W_xh"] + states[-1] @ w["W_hh"] + w["b_h"]))
        logits = tf.stack(states[1:], axis=1) @ w["W_hq"] + w["b_q"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits))
    found = tape.gradient(loss, [w[name] for name in RNN_VARIABLES] + [logits] + states[1:])
    gradients = {name: g.numpy() for name, g in zip(RNN_VARIABLES, found, strict=False)}
    deltas = {"o": found[len(RNN_VARIABLES)].numpy(),
              "h": np.stack([g.numpy() for g in found[len(RNN_VARIABLES) + 1:]], axis=1)}
    values = {"h": np.stack([state.numpy() for state in states], axis=1), "o": logits.numpy()}
    return values, gradients, deltas


def _propagate(jacobians, sources):
    """Bounds ``|sum_s J_t ... J_{s+1} r_s|`` for every t, given ``|r_s| <= sources[:, s]``.

    Args:
        jacobians: ``J_t`` for every example and step, shape (batch, steps, n, n);
            ``jacobians[:, t]`` carries a difference from step t - 1 (in the
            order of the loop) to step t.
        sources: Bounds on the differences that arise at each step, (batch, steps, n).

    Returns:
        The bound at every step, (batch, steps, n). The product of the
        Jacobians is taken before its absolute value: differences that the
        recurrence turns against each other are not counted as adding up.
    """
    batch, steps, size = sources.shape
    bound = np.zeros_like(sources)
    carried = []  # for every earlier source s: the product J_t ... J_{s+1}
    for t in range(steps):
        carried = [np.einsum("bij,bjk->bik", jacobians[:, t], product) for product in carried]
        carried.append(np.broadcast_to(np.eye(size), (batch, size, size)))
        bound[:, t] = sum(np.einsum("bij,bj->bi", np.abs(product), sources[:, s])
                          for s, product in enumerate(carried))
    return bound


def _rnn_lm_gradient_bounds(weights, tokens, values, deltas):
    """How far one step's gradients can be apart in two float32 runs that sum in other orders.

    First order in the rounding, with the values of the step (from the float64
    replay). Forward, ``a_t = x_t W_xh + h_{t-1} W_hh + b_h`` is a sum of
    ``hiddens + 2`` terms (the one-hot product picks a row exactly), and
    ``tanh`` multiplies its difference by its slope ``1 - h_t^2``; the
    difference made at step s reaches step t through the product of the
    Jacobians in between (`_propagate`). Backward through time, the gradient
    of ``h_t`` sums the logits' and the next step's contributions
    (``vocab + hiddens`` terms), carried back by the transposed Jacobians; each
    weight's gradient sums over the batch's examples and the steps
    (``batch * steps`` terms).
    """
    a = {name: np.abs(value) for name, value in weights.items()}
    W_hh = weights["W_hh"]
    batch, steps = tokens.shape
    hiddens, vocab = a["W_hq"].shape
    h = values["h"]  # h[:, t + 1] is h_t
    states = h[:, 1:]
    slope = 1 - states ** 2  # tanh' from its output
    # Forward: a_t's rounding, through tanh, carried on by d h_t / d h_{t-1} = diag(slope_t) W_hh^T.
    pre = a["W_xh"][tokens] + np.abs(h[:, :-1]) @ a["W_hh"] + a["b_h"]
    sources = slope * sum_bound(pre, hiddens + 2) + ELEMENTWISE * np.abs(states)
    forward = slope[..., :, None] * W_hh.T[None, None]
    d_states = _propagate(forward, sources)
    d_previous = np.concatenate([np.zeros_like(d_states[:, :1]), d_states[:, :-1]], axis=1)
    states = np.abs(states)
    do = sum_bound(states @ a["W_hq"] + a["b_q"], hiddens + 1) + d_states @ a["W_hq"]
    shifted = values["o"] - values["o"].max(axis=-1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    dp = (p * (do + (p * do).sum(axis=-1, keepdims=True))  # the softmax's Jacobian
          + p * (EPS32 * np.abs(shifted) + ELEMENTWISE + sum_bound(1.0, vocab + 1)))
    delta_o = np.abs(deltas["o"])
    e_o = dp / (batch * steps) + 2 * EPS32 * delta_o  # (p - y) / steps / batch
    terms = batch * steps
    flat = (-1, hiddens)
    bounds = {
        "W_hq": (d_states.reshape(flat).T @ delta_o.reshape(-1, vocab)
                 + states.reshape(flat).T @ e_o.reshape(-1, vocab)
                 + sum_bound(states.reshape(flat).T @ delta_o.reshape(-1, vocab), terms)),
        "b_q": e_o.sum((0, 1)) + sum_bound(delta_o.sum((0, 1)), terms),
    }
    # Backward through time, in reverse step order: a_t's gradient is
    # slope_t * (delta_o_t W_hq^T + delta_a_{t+1} W_hh^T).
    delta_h = np.abs(deltas["h"])
    delta_a = delta_h * slope
    incoming = delta_o @ a["W_hq"].T
    incoming[:, :-1] += delta_a[:, 1:] @ a["W_hh"].T
    sources = (slope * (e_o @ a["W_hq"].T + sum_bound(incoming, vocab + hiddens))
               + delta_h * 2 * states * d_states + ELEMENTWISE * delta_a)
    backward = slope[..., :, None] * W_hh[None, None]  # d a_t-gradient / d a_{t+1}-gradient
    e_a = _propagate(backward[:, ::-1], sources[:, ::-1])[:, ::-1]
    previous = np.abs(h[:, :-1]).reshape(flat)
    flat_a, flat_e = delta_a.reshape(flat), e_a.reshape(flat)
    one_hot = np.eye(vocab)[tokens.reshape(-1)]
    bounds["W_hh"] = (d_previous.reshape(flat).T @ flat_a + previous.T @ flat_e
                      + sum_bound(previous.T @ flat_a, terms))
    bounds["W_xh"] = one_hot.T @ flat_e + sum_bound(one_hot.T @ flat_a, terms)
    bounds["b_h"] = flat_e.sum(0) + sum_bound(flat_a.sum(0), terms)
    return bounds


def _clipped_bounds(gradients, bounds, clip_norm):
    """The bounds after `scratch.clip_by_global_norm`, which scales all the gradients at once.

    When the norm ``|g|`` is below `clip_norm` by more than it can differ
    (``d|g|``: the norm of the gradients' differences plus the rounding of the
    sum of ``N`` squares and of the root), neither run clips. Otherwise the
    scale ``c = min(1, clip_norm / |g|)``, continuous in the norm, differs by
    at most ``c d|g| / |g|`` plus the division's rounding, and the clipped
    gradients by ``c dg + |g| dc`` plus the product's rounding.
    """
    norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))
    count = sum(g.size for g in gradients.values())
    d_norm = (np.sqrt(sum(np.sum(b ** 2) for b in bounds.values()))
              + (sum_bound(1.0, count) / 2 + 2 * EPS32) * norm)
    if norm + d_norm < clip_norm:
        return gradients, bounds
    scale = min(1.0, clip_norm / norm)
    d_scale = scale * (d_norm / norm + EPS32)
    clipped = {name: scale * g for name, g in gradients.items()}
    return clipped, {name: scale * bounds[name] + np.abs(gradients[name]) * d_scale
                     + EPS32 * np.abs(clipped[name]) for name in gradients}


def test_scratch_steps_do_not_depend_on_the_number_of_replicas(corpus, monkeypatch):
    """Same steps under 1 and 2 replicas, up to float32 sums taken in another order.

    The lecture's scratch tanh model and loop, with plain SGD and its gradient
    clipping instead of Adam, so that the rounding has a bound
    (`float32_rounding` says why Adam allows none). The clipping norm is below
    every step's gradient norm here, so every step clips, after the
    all-reduce. The bound is derived step by step (`_rnn_lm_gradient_bounds`,
    `_clipped_bounds`) along the same steps replayed in float64, and summed by
    SGD (`sgd_bound`) with each update's own rounding. A step halved, as a
    replica-scaling mistake would do, must exceed it.
    """
    config = rnn_lm.DEFAULTS.replace(**{**SMALL, "epochs": 1, "clip_norm": 0.3})
    monkeypatch.setattr(rnn_lm, "cosine_decay", lambda learning_rate, steps: learning_rate)
    monkeypatch.setattr(rnn_lm, "Adam", lambda learning_rate, clip_norm: scratch.SGD(
        learning_rate, clip_norm=clip_norm))

    def trained_weights(replicas, config=config):
        model = rnn_lm.run("scratch", config, get_strategy(replicas), corpus=corpus).model
        return _rnn_weights(model)

    one, two = trained_weights(1), trained_weights(2)
    indices, vocab = corpus
    start = _rnn_weights(rnn_lm.RNNLMScratch(len(vocab), config.num_hiddens, seed=config.seed))
    weights = {name: value.astype(np.float64) for name, value in start.items()}
    bound = {name: np.zeros_like(value) for name, value in weights.items()}
    set_seed(config.seed)  # the batches of the runs, in their order
    train_data, _ = rnn_lm.make_pipelines(indices, config, num_replicas=1)
    norms = []
    for tokens, targets in train_data:
        tokens = tokens.numpy()
        values, gradients, deltas = _rnn_lm_step(weights, tokens, targets.numpy(), len(vocab))
        norms.append(np.sqrt(sum(np.sum(g ** 2) for g in gradients.values())))
        gradients, steps = _clipped_bounds(
            gradients, _rnn_lm_gradient_bounds(weights, tokens, values, deltas), config.clip_norm)
        for name in RNN_VARIABLES:
            weights[name] = weights[name] - config.learning_rate * gradients[name]
            bound[name] += (sgd_bound(config.learning_rate, steps[name][None])
                            + sgd_update_bound(config.learning_rate, gradients[name], weights[name]))
    assert min(norms) > config.clip_norm, "every step should clip"
    for name in RNN_VARIABLES:
        assert_within(two[name], one[name], bound[name], name)
        assert_within(weights[name], one[name], bound[name], f"{name} (float64 replay)")
        moved = np.abs(one[name] - start[name])
        assert np.median(bound[name][moved > 0] / moved[moved > 0]) < 0.1, (
            f"{name}: bound too loose to test")
    halved = trained_weights(2, config.replace(learning_rate=config.learning_rate / 2))
    for name in RNN_VARIABLES:
        with pytest.raises(AssertionError, match="float32 rounding bound"):
            assert_within(halved[name], one[name], bound[name], name)


def _rnn_weights(model):
    """The scratch model's variables by their names (``W_xh``, ..., ``b_q``) as arrays."""
    weights = {variable.name.split(":")[0]: variable.numpy()
               for variable in model.trainable_variables}
    assert set(weights) == set(RNN_VARIABLES), weights.keys()
    return weights


def test_greedy_generation_follows_the_highest_logit(corpus):
    _, vocab = corpus

    def always_e(tokens, training=False):
        return tf.one_hot(tf.fill(tf.shape(tokens), vocab.token_to_idx["e"]), len(vocab))

    assert rnn_lm.predict("Time!", 3, always_e, vocab) == "time eee"


def test_bad_settings_are_rejected(corpus):
    with pytest.raises(ValueError, match="cell"):
        rnn_lm.run("scratch", rnn_lm.DEFAULTS.replace(cell="lstm"), get_strategy(1), corpus=corpus)
    with pytest.raises(ValueError, match="validation_fraction"):
        rnn_lm.split_corpus(np.arange(10), 1.5)


def test_command_line_writes_the_generated_text_to_the_metrics_json(tmp_path, shared_data, capsys):
    out = tmp_path / "metrics.json"
    code = main(["train", "rnn_lm", "--impl", "concise", "--cell", "gru", "--epochs", "1",
                 "--data-dir", str(shared_data / "timemachine"), "--metrics-out", str(out),
                 "--quiet"])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["config"]["cell"] == "gru"
    assert report["samples"]["generated"].startswith("time traveller")
    assert report["metrics"]["val_perplexity"] == pytest.approx(
        math.exp(report["metrics"]["val_loss"]))
    assert "generated: 'time traveller" in capsys.readouterr().out


def test_command_line_refuses_an_option_the_lecture_does_not_have(capsys):
    assert main(["train", "mlp", "--cell", "gru"]) == 2
    assert "--cell does not apply to mlp" in capsys.readouterr().err
