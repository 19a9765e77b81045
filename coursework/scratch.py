"""Building blocks for models written from scratch under `MirroredStrategy`.

A from-scratch model holds its parameters as plain `tf.Variable`s and is trained
by a hand-written optimizer. Under `MirroredStrategy` each replica sees a
different part of the batch and so computes a different gradient; before any
update the replicas must add their gradients up (an *all-reduce*) so that every
copy of a parameter takes the same step. Keras optimizers do this for you; the
`SGD` and `Adam` below do it in the open.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import tensorflow as tf

LearningRate = float | Callable[[tf.Tensor], tf.Tensor]
"""A fixed step size, or a schedule: a function of the step number (0, 1, ...)."""


def parameter(initial_value, name: str | None = None, *, trainable: bool = True) -> tf.Variable:
    """Creates a trainable parameter that a hand-written optimizer may update.

    Create parameters inside ``strategy.scope()`` so that each replica gets its
    own copy. The ``ONLY_FIRST_REPLICA`` aggregation tells TensorFlow that every
    replica writes the same value (the optimizer all-reduces gradients first),
    so the first replica's write is applied to every copy.

    Args:
        initial_value: Tensor or array with the parameter's initial value.
        name: Optional variable name.
        trainable: False for an optimizer's own state (moments, step count),
            which the gradient tape should not watch.

    Returns:
        A `tf.Variable` (a mirrored variable inside a strategy scope).
    """
    return tf.Variable(
        initial_value,
        name=name,
        trainable=trainable,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
    )


class SGD:
    """Minibatch stochastic gradient descent, with optional momentum, written out.

    Each step adds up the replicas' gradients (the loss is already averaged over
    the *global* batch, so the sum is the gradient of the global batch's mean
    loss) and moves every parameter by ``-learning_rate * gradient``.

    With ``momentum > 0`` each parameter keeps a velocity v, a decaying sum of
    its past steps, and moves along it::

        v = momentum * v - learning_rate * gradient
        w = w + v

    the update of ``keras.optimizers.SGD(learning_rate, momentum=momentum)``.

    Args:
        learning_rate: Step size, a positive float.
        clip_norm: Optional largest global norm of the summed gradients (see
            `clip_by_global_norm`); clipping comes after the all-reduce, so it
            limits the step of the whole batch, not each replica's share.
        momentum: Momentum coefficient in [0, 1); 0 (the default) is plain SGD.

    Raises:
        ValueError: If `learning_rate` or `clip_norm` is not positive, or
            `momentum` not in [0, 1).
    """

    def __init__(
        self, learning_rate: float, clip_norm: float | None = None, momentum: float = 0.0
    ):
        if learning_rate <= 0:
            raise ValueError(f"The learning rate must be positive, got {learning_rate}.")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}.")
        self.learning_rate = float(learning_rate)
        self.clip_norm = _check_clip_norm(clip_norm)
        self.momentum = float(momentum)
        self._velocities: dict[int, tf.Variable] = {}

    def build(self, variables: Iterable[tf.Variable]) -> None:
        """Creates the velocity of every variable (plain SGD keeps no state).

        Call it inside ``strategy.scope()`` (`train_scratch` does), so that the
        velocities are mirrored like the parameters.

        Args:
            variables: The parameters the optimizer will update.
        """
        if not self.momentum:
            return
        for variable in variables:
            if id(variable) not in self._velocities:
                name = variable.name.split(":")[0]
                self._velocities[id(variable)] = parameter(
                    tf.zeros_like(variable), f"{name}_velocity", trainable=False
                )

    @property
    def variables(self) -> list[tf.Variable]:
        """The optimizer's state, for checkpoints: the velocities (none without momentum)."""
        return list(self._velocities.values())

    def apply_gradients(self, grads_and_vars: Iterable[tuple[tf.Tensor, tf.Variable]]) -> None:
        """Applies one update; call it inside `strategy.run` or outside any strategy.

        Args:
            grads_and_vars: Pairs of (gradient, variable).

        Raises:
            RuntimeError: If momentum is used and `build` was not called for
                these variables.
        """
        grads, variables = zip(*grads_and_vars, strict=True)
        if self.momentum and any(id(v) not in self._velocities for v in variables):
            raise RuntimeError("Call SGD.build(variables) before applying gradients to them.")
        grads = _reduce_and_clip(grads, self.clip_norm)
        for grad, variable in zip(grads, variables, strict=True):
            if not self.momentum:
                variable.assign_sub(self.learning_rate * grad)
                continue
            velocity = self._velocities[id(variable)]
            velocity.assign(self.momentum * velocity - self.learning_rate * grad)
            variable.assign_add(velocity)


def clip_by_global_norm(grads: list[tf.Tensor], clip_norm: float) -> list[tf.Tensor]:
    """Scales gradients together so that their global L2 norm is at most `clip_norm`.

    The global norm ``g = sqrt(sum of every squared element of every gradient)``
    measures the whole step. Multiplying every gradient by
    ``min(1, clip_norm / g)`` shortens a step that is too long (an *exploding*
    gradient, common in recurrent networks) without changing its direction;
    clipping each gradient on its own would change it. The same as
    ``tf.clip_by_global_norm(grads, clip_norm)[0]``.

    Args:
        grads: Gradient tensors of any shapes.
        clip_norm: The largest global norm allowed, positive.

    Returns:
        The scaled gradients, a new list.
    """
    norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(grad)) for grad in grads]))
    scale = tf.minimum(1.0, clip_norm / tf.maximum(norm, 1e-12))
    return [grad * scale for grad in grads]


def _reduce_and_clip(grads, clip_norm: float | None) -> list[tf.Tensor]:
    """All-reduces the replicas' gradients, then clips the sum (it is the batch's gradient).

    An embedding's gradient arrives as `tf.IndexedSlices` (rows of the looked-up
    words only); it is made dense first, as the moments are.
    """
    grads = _all_reduce([tf.convert_to_tensor(grad) for grad in grads])
    return grads if clip_norm is None else clip_by_global_norm(grads, clip_norm)


def _check_clip_norm(clip_norm: float | None) -> float | None:
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be positive, got {clip_norm}.")
    return None if clip_norm is None else float(clip_norm)


def _all_reduce(grads: list[tf.Tensor]) -> list[tf.Tensor]:
    """Adds up the replicas' gradients (nothing to do with a single replica)."""
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        return context.all_reduce(tf.distribute.ReduceOp.SUM, list(grads))
    return list(grads)


def cosine_decay(learning_rate: float, decay_steps: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """A learning-rate schedule that falls from `learning_rate` to 0 along a cosine.

    ``lr(step) = learning_rate * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2``:
    large steps while far from a minimum, ever smaller ones as training ends.
    The same schedule as ``keras.optimizers.schedules.CosineDecay(learning_rate,
    decay_steps)``.

    Args:
        learning_rate: The initial learning rate, positive.
        decay_steps: Steps over which it falls to 0, at least 1.

    Returns:
        ``lr(step)``, a function of the step number (a scalar tensor).

    Raises:
        ValueError: If an argument is out of range.
    """
    if learning_rate <= 0:
        raise ValueError(f"The learning rate must be positive, got {learning_rate}.")
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be at least 1, got {decay_steps}.")

    def schedule(step):
        fraction = tf.minimum(tf.cast(step, tf.float32), float(decay_steps)) / decay_steps
        return learning_rate * 0.5 * (1.0 + tf.cos(math.pi * fraction))

    return schedule


class Adam:
    """Adam (Kingma and Ba, 2015), written out.

    Adam keeps two running averages per parameter, of the gradient (the first
    moment ``m``, a momentum) and of its square (the second moment ``v``), and
    moves each parameter by ``m / sqrt(v)``: every coordinate gets a step of
    about the learning rate, whatever the scale of its gradient. At step t
    (counting from 1)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

    The factor with ``beta**t`` undoes the bias of averages that start at 0.
    This is exactly the update of ``keras.optimizers.Adam`` with the same
    arguments. Like `SGD`, it first adds up the replicas' gradients, and its
    state variables are mirrored like the parameters.

    Args:
        learning_rate: Step size, or a schedule ``lr(step)`` such as `cosine_decay`.
        beta_1: Decay rate of the first-moment average, in [0, 1).
        beta_2: Decay rate of the second-moment average, in [0, 1).
        epsilon: Added to ``sqrt(v)`` to avoid dividing by 0.
        clip_norm: Optional largest global norm of the summed gradients, as in `SGD`.

    Raises:
        ValueError: If an argument is out of range.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        clip_norm: float | None = None,
    ):
        if not callable(learning_rate) and learning_rate <= 0:
            raise ValueError(f"The learning rate must be positive, got {learning_rate}.")
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta}.")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be positive, got {epsilon}.")
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.clip_norm = _check_clip_norm(clip_norm)
        self.iterations: tf.Variable | None = None
        self._moments: dict[int, tuple[tf.Variable, tf.Variable]] = {}

    def build(self, variables: Iterable[tf.Variable]) -> None:
        """Creates the step counter and the two moments of every variable.

        Call it inside ``strategy.scope()`` (`train_scratch` does), so that the
        state is mirrored like the parameters.

        Args:
            variables: The parameters the optimizer will update.
        """
        if self.iterations is None:
            self.iterations = parameter(tf.constant(0, tf.int64), "iterations", trainable=False)
        for variable in variables:
            key = id(variable)
            if key not in self._moments:
                name = variable.name.split(":")[0]
                self._moments[key] = (
                    parameter(tf.zeros_like(variable), f"{name}_m", trainable=False),
                    parameter(tf.zeros_like(variable), f"{name}_v", trainable=False),
                )

    @property
    def variables(self) -> list[tf.Variable]:
        """The optimizer's state, for checkpoints: the step counter and every moment."""
        state = [] if self.iterations is None else [self.iterations]
        for first, second in self._moments.values():
            state += [first, second]
        return state

    def current_learning_rate(self) -> tf.Tensor:
        """The step size of the next update."""
        if callable(self.learning_rate):
            return tf.cast(self.learning_rate(self.iterations), tf.float32)
        return tf.constant(self.learning_rate, tf.float32)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[tf.Tensor, tf.Variable]]) -> None:
        """Applies one update; call it inside `strategy.run` or outside any strategy.

        Args:
            grads_and_vars: Pairs of (gradient, variable).

        Raises:
            RuntimeError: If `build` was not called for these variables.
        """
        grads, variables = zip(*grads_and_vars, strict=True)
        if self.iterations is None or any(id(v) not in self._moments for v in variables):
            raise RuntimeError("Call Adam.build(variables) before applying gradients to them.")
        grads = _reduce_and_clip(grads, self.clip_norm)
        learning_rate = self.current_learning_rate()
        step = tf.cast(self.iterations + 1, tf.float32)
        alpha = learning_rate * tf.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        for grad, variable in zip(grads, variables, strict=True):
            m, v = self._moments[id(variable)]
            m.assign_add((grad - m) * (1.0 - self.beta_1))
            v.assign_add((tf.square(grad) - v) * (1.0 - self.beta_2))
            variable.assign_sub(alpha * m / (tf.sqrt(v) + self.epsilon))
        self.iterations.assign_add(1)
