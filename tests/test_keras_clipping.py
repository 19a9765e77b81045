"""Clipping by global norm under 2 replicas: the concise (Keras) and scratch optimizers agree.

Each replica gets its own share of the gradient; both optimizers must clip the
global norm of the shares' sum (the gradient of the whole batch). Keras's own
``global_clipnorm`` clips each share before adding them up, and the tests show
that it differs, so that they can tell the two apart.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from float32_rounding import EPS32, assert_within, sgd_bound, sum_bound

from coursework import keras_clipping, scratch
from coursework.distribute import get_strategy

LEARNING_RATE = 0.5
SHAPES = [(3, 4), (4,)]


def shares(scale):
    """Two replicas' gradient shares for each shape, the second share unlike the first."""
    rng = np.random.default_rng(7)
    return [rng.normal(size=(2, *shape)).astype(np.float32) * scale for shape in SHAPES]


def one_step(make_optimizer, make_variable, start, per_replica):
    """One `apply_gradients` under 2 replicas, replica r applying `per_replica[i][r]`."""
    strategy = get_strategy(2)
    with strategy.scope():
        variables = [make_variable(value) for value in start]
        optimizer = make_optimizer()
        optimizer.build(variables)
    stacked = [tf.constant(share) for share in per_replica]

    @tf.function
    def step():
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        grads = [tf.gather(share, replica) for share in stacked]
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    strategy.run(step)
    return [np.asarray(variable.numpy()) for variable in variables]


def scratch_step(start, per_replica, clip_norm):
    return one_step(lambda: scratch.SGD(LEARNING_RATE, clip_norm=clip_norm), scratch.parameter,
                    start, per_replica)


def keras_step(optimizer_class, start, per_replica, clip_norm):
    return one_step(lambda: optimizer_class(LEARNING_RATE, global_clipnorm=clip_norm),
                    keras.Variable, start, per_replica)


def exact_step(start, per_replica, clip_norm):
    """The step in float64: the shares summed, the sum clipped, one SGD step."""
    summed = [share.astype(np.float64).sum(axis=0) for share in per_replica]
    norm = np.sqrt(sum(np.sum(grad**2) for grad in summed))
    scale = min(1.0, clip_norm / norm)
    return [value - LEARNING_RATE * scale * grad for value, grad in zip(start, summed, strict=True)]


def rounding_bound(start, per_replica, clip_norm):
    """How far a float32 step may be from `exact_step`.

    The sum of the 2 shares (`sum_bound`); the squared norm, a sum of every
    element, and the scale computed from it, each off by a relative
    (elements + 4) * eps; then the SGD step and the subtraction from the weight.
    """
    elements = sum(share[0].size for share in per_replica)
    summed = [np.abs(share.astype(np.float64)).sum(axis=0) for share in per_replica]
    norm = np.sqrt(sum(np.sum(share.astype(np.float64).sum(axis=0) ** 2) for share in per_replica))
    scale = min(1.0, clip_norm / norm)
    bounds = []
    for value, abs_sum in zip(start, summed, strict=True):
        gradient_bound = scale * (sum_bound(abs_sum, 2) + (elements + 4) * EPS32 * abs_sum)
        step = LEARNING_RATE * scale * abs_sum
        bounds.append(sgd_bound(LEARNING_RATE, [gradient_bound])
                      + 2 * EPS32 * (np.abs(value) + step))
    return bounds


@pytest.mark.parametrize("share_scale, clip_norm, case", [
    (0.1, 1.0, "each share and the sum under the limit"),
    (0.2, 1.0, "each share under the limit, the sum over it"),
    (2.0, 1.0, "each share over the limit"),
])
def test_concise_sgd_takes_the_scratch_sgd_step_from_the_same_weights(
    share_scale, clip_norm, case
):
    start = [np.random.default_rng(1).normal(size=shape).astype(np.float32) for shape in SHAPES]
    per_replica = shares(share_scale)
    norms = [np.sqrt(sum(np.sum(share[r] ** 2) for share in per_replica)) for r in range(2)]
    summed = np.sqrt(sum(np.sum(share.sum(axis=0) ** 2) for share in per_replica))
    under = {"each share and the sum under the limit": max(norms + [summed]) < clip_norm,
             "each share under the limit, the sum over it": max(norms) < clip_norm < summed,
             "each share over the limit": min(norms) > clip_norm}
    assert under[case], (norms, summed)  # the shares are what the case says

    expected = exact_step(start, per_replica, clip_norm)
    bounds = rounding_bound(start, per_replica, clip_norm)
    scratch_weights = scratch_step(start, per_replica, clip_norm)
    concise_weights = keras_step(keras_clipping.SGD, start, per_replica, clip_norm)
    for name, weights in (("scratch", scratch_weights), ("concise", concise_weights)):
        for index, (got, want, bound) in enumerate(zip(weights, expected, bounds, strict=True)):
            assert_within(got, want, bound, f"{name} weights {index} ({case})")

    plain_keras = keras_step(keras.optimizers.SGD, start, per_replica, clip_norm)
    differs = any(np.any(np.abs(got - want) > bound)
                  for got, want, bound in zip(plain_keras, expected, bounds, strict=True))
    assert differs == (case != "each share and the sum under the limit"), (
        "Keras's own global_clipnorm clips each replica's share (Keras 3.15); if this fails, "
        "Keras now clips the summed gradient and coursework.keras_clipping can go."
    )


def test_one_replica_and_no_global_clipnorm_keep_keras_behaviour():
    grads = [tf.constant([3.0, 4.0])]
    clipped = keras_clipping.SGD(1.0, global_clipnorm=1.0)._clip_gradients(grads)
    np.testing.assert_allclose(clipped[0].numpy(), [0.6, 0.8], rtol=1e-6)
    unclipped = keras_clipping.SGD(1.0)._clip_gradients(grads)
    np.testing.assert_allclose(unclipped[0].numpy(), [3.0, 4.0])
    per_gradient = keras_clipping.SGD(1.0, clipnorm=1.0)._clip_gradients(grads)
    np.testing.assert_allclose(per_gradient[0].numpy(), [0.6, 0.8], rtol=1e-6)


def test_the_optimizers_round_trip_through_their_config():
    optimizer = keras_clipping.Adam(0.01, global_clipnorm=2.0)
    copy = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(copy, keras_clipping.Adam) and copy.global_clipnorm == 2.0


@pytest.mark.parametrize("replicas", [1, 2])
def test_an_embedding_step_is_clipped_by_the_norm_of_its_dense_gradient(replicas):
    """Token ids repeat, so the embedding's gradient names rows several times; one clipped
    SGD step must still move the weights by exactly learning_rate * clip_norm."""
    learning_rate, clip_norm = 0.5, 0.01
    tokens = np.random.default_rng(0).integers(0, 20, (16, 7)).astype(np.int32)
    labels = (tokens[:, 0] % 2).astype(np.int32)
    with get_strategy(replicas).scope():
        model = keras.Sequential([
            keras.Input((None,), dtype="int32"), keras.layers.Embedding(20, 4),
            keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
        model.compile(keras_clipping.SGD(learning_rate, global_clipnorm=clip_norm),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [variable.numpy().copy() for variable in model.trainable_variables]
    model.fit(tokens, labels, batch_size=16, epochs=1, shuffle=False, verbose=0)
    after = [variable.numpy() for variable in model.trainable_variables]
    step = np.sqrt(sum(np.sum((a.astype(np.float64) - b) ** 2)
                       for a, b in zip(after, before, strict=True)))
    # The scale comes from a sum over every element (a relative (elements + 4) * eps, as in
    # `rounding_bound`), the shares' sum and the step round once more each, and each weight's
    # subtraction by at most eps * |weight|.
    elements = sum(b.size for b in before)
    relative = (elements + 6) * EPS32
    rounding = np.sqrt(sum(np.sum((EPS32 * np.abs(b)) ** 2) for b in before))
    assert abs(step - learning_rate * clip_norm) <= relative * learning_rate * clip_norm + rounding
