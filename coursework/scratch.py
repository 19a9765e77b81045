"""Building blocks for models written from scratch under `MirroredStrategy`.

A from-scratch model holds its parameters as plain `tf.Variable`s and is trained
by a hand-written optimizer. Under `MirroredStrategy` each replica sees a
different part of the batch and so computes a different gradient; before any
update the replicas must add their gradients up (an *all-reduce*) so that every
copy of a parameter takes the same step. Keras optimizers do this for you; the
`SGD` below does it in the open.
"""

from __future__ import annotations

from collections.abc import Iterable

import tensorflow as tf


def parameter(initial_value, name: str | None = None) -> tf.Variable:
    """Creates a trainable parameter that a hand-written optimizer may update.

    Create parameters inside ``strategy.scope()`` so that each replica gets its
    own copy. The ``ONLY_FIRST_REPLICA`` aggregation tells TensorFlow that every
    replica writes the same value (the optimizer all-reduces gradients first),
    so the first replica's write is applied to every copy.

    Args:
        initial_value: Tensor or array with the parameter's initial value.
        name: Optional variable name.

    Returns:
        A trainable `tf.Variable` (a mirrored variable inside a strategy scope).
    """
    return tf.Variable(
        initial_value,
        name=name,
        trainable=True,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
    )


class SGD:
    """Minibatch stochastic gradient descent, written out.

    Each step adds up the replicas' gradients (the loss is already averaged over
    the *global* batch, so the sum is the gradient of the global batch's mean
    loss) and moves every parameter by ``-learning_rate * gradient``.

    Args:
        learning_rate: Step size, a positive float.

    Raises:
        ValueError: If `learning_rate` is not positive.
    """

    def __init__(self, learning_rate: float):
        if learning_rate <= 0:
            raise ValueError(f"The learning rate must be positive, got {learning_rate}.")
        self.learning_rate = float(learning_rate)

    def build(self, variables: Iterable[tf.Variable]) -> None:
        """Does nothing: plain SGD keeps no state (present for API parity)."""
        del variables

    def apply_gradients(self, grads_and_vars: Iterable[tuple[tf.Tensor, tf.Variable]]) -> None:
        """Applies one update; call it inside `strategy.run` or outside any strategy.

        Args:
            grads_and_vars: Pairs of (gradient, variable).
        """
        grads, variables = zip(*grads_and_vars, strict=True)
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            grads = context.all_reduce(tf.distribute.ReduceOp.SUM, list(grads))
        for grad, variable in zip(grads, variables, strict=True):
            variable.assign_sub(self.learning_rate * grad)
