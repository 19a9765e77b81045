"""Keras optimizers whose ``global_clipnorm`` clips the gradient of the whole batch.

Under `MirroredStrategy` every replica computes the gradient of its share of
the batch; an all-reduce adds the shares up into the gradient of the global
batch. Clipping by global norm is meant to bound that gradient, and the
hand-written optimizers of `coursework.scratch` clip it after the all-reduce.
Keras 3's optimizers (3.15 at least) clip *before* their all-reduce:
``BaseOptimizer._backend_apply_gradients`` calls ``_clip_gradients`` on each
replica's share, and only ``TFOptimizer._backend_update_step`` adds the shares
up. With one replica the two agree; with two, each share is clipped to the
limit on its own, so the step can be up to twice as long as the limit, or
left unclipped while the batch's gradient is over it.

`SummedGradientClipping` makes a Keras optimizer clip the batch's gradient:
when several replicas are in sync it all-reduces the shares to measure the
global norm of their sum, then scales each share by
``min(1, global_clipnorm / norm)``. Scaling is linear, so the shares that
Keras then adds up sum to the clipped gradient of the batch, as in
`coursework.scratch`. The price is one more all-reduce of the gradients per
step, and only when clipping by global norm under several replicas. An
embedding's gradient, which Keras keeps as the looked-up rows
(`tf.IndexedSlices`, a row possibly repeated), is measured as the dense
gradient it stands for, as the scratch optimizers measure it.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class SummedGradientClipping:
    """Mixin for a Keras optimizer: ``global_clipnorm`` clips the replicas' summed gradient.

    Put it before the Keras optimizer class, as in `Adam` and `SGD` below;
    ``clipnorm`` and ``clipvalue`` keep Keras's meaning (each replica's share).
    """

    def _clip_gradients(self, grads):
        context = tf.distribute.get_replica_context()
        replicas = 1 if context is None else context.num_replicas_in_sync
        sparse = any(isinstance(grad, tf.IndexedSlices) for grad in grads)
        if not (self.global_clipnorm and self.global_clipnorm > 0) or (
            replicas == 1 and not sparse
        ):
            return super()._clip_gradients(grads)
        # An embedding's gradient (`tf.IndexedSlices`) may name a row several times, and an
        # all-reduce of slices concatenates them: its norm is that of the dense gradient.
        present = [tf.convert_to_tensor(grad) for grad in grads if grad is not None]
        summed = present if replicas == 1 else context.all_reduce(
            tf.distribute.ReduceOp.SUM, present)
        norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(grad)) for grad in summed]))
        clip_norm = tf.cast(self.global_clipnorm, norm.dtype)
        # As Keras's clip_by_global_norm: 1 below the limit, NaN for a norm that is not finite.
        scale = clip_norm * tf.minimum(1.0 / norm, 1.0 / clip_norm) + (norm - norm)
        return [None if grad is None else _scale(grad, scale) for grad in grads]


def _scale(grad, scale):
    if isinstance(grad, tf.IndexedSlices):  # an embedding's gradient: only its looked-up rows
        return tf.IndexedSlices(grad.values * tf.cast(scale, grad.values.dtype), grad.indices,
                                grad.dense_shape)
    return grad * tf.cast(scale, grad.dtype)


@keras.saving.register_keras_serializable(package="coursework")
class Adam(SummedGradientClipping, keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose ``global_clipnorm`` clips the batch's gradient."""


@keras.saving.register_keras_serializable(package="coursework")
class SGD(SummedGradientClipping, keras.optimizers.SGD):
    """``keras.optimizers.SGD`` whose ``global_clipnorm`` clips the batch's gradient."""
