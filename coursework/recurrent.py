"""Recurrent cells written from scratch, and the loop that runs them over time.

A recurrent network reads a sequence ``x_1, ..., x_T`` one step at a time and
keeps a hidden state ``h_t`` that summarizes what it has read. A *cell* is the
update ``h_t = f(x_t, h_{t-1})``; the same parameters are used at every step.

* `RNNCell`, the plain (Elman) cell: ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)``.
* `GRUCell`, the gated recurrent unit (Cho et al., 2014). Two gates computed
  from ``x_t`` and ``h_{t-1}``, each a sigmoid in (0, 1), decide how much of
  the old state to keep (the update gate ``z``) and how much of it to use when
  proposing a new one (the reset gate ``r``)::

      z = sigmoid(x W_xz + h W_hz + b_z)
      r = sigmoid(x W_xr + h W_hr + b_r)
      candidate = tanh(x W_xh + (r * h) W_hh + b_h)
      h_new = z * h + (1 - z) * candidate

  When ``z`` is near 1 the state passes through unchanged, and so does the
  gradient: GRUs remember over many more steps than plain RNNs.

`run_over_time` is the loop. With a *mask* (False at padding), a padded step
leaves the state unchanged, so a sequence gives the same final state however
much padding follows it. Keras's recurrent layers do the same with the mask
that ``Embedding(mask_zero=True)`` produces.

The parameters are initialized as Keras initializes its layers (Glorot-uniform
input weights, orthogonal recurrent weights, zero biases), from NumPy seeds, so
a run is reproducible and the concise models can start from the same values.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from coursework.scratch import parameter


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Uniform in ±sqrt(6 / (fan_in + fan_out)), Keras's default kernel initializer."""
    limit = np.sqrt(6.0 / sum(shape))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def orthogonal(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal matrix, Keras's default recurrent initializer.

    Multiplying by an orthogonal matrix keeps a vector's length, so at the
    start of training the state neither explodes nor vanishes through W_hh.
    """
    q, r = np.linalg.qr(rng.normal(size=(size, size)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


class RNNCell(tf.Module):
    """The plain recurrent cell ``h = tanh(x W_xh + h W_hh + b_h)``.

    Args:
        num_inputs: Features of each step's input.
        num_hiddens: Size of the hidden state.
        seed: Seed of the initial weights.
    """

    def __init__(self, num_inputs: int, num_hiddens: int, seed: int = 0, name: str = "rnn_cell"):
        super().__init__(name=name)
        rng = np.random.default_rng([seed, 1])
        self.num_hiddens = num_hiddens
        self.W_xh = parameter(glorot_uniform((num_inputs, num_hiddens), rng), "W_xh")
        self.W_hh = parameter(orthogonal(num_hiddens, rng), "W_hh")
        self.b_h = parameter(tf.zeros(num_hiddens), "b_h")

    def __call__(self, inputs, state):
        return tf.tanh(tf.matmul(inputs, self.W_xh) + tf.matmul(state, self.W_hh) + self.b_h)


class GRUCell(tf.Module):
    """The gated recurrent unit (see the module docstring).

    Args:
        num_inputs: Features of each step's input.
        num_hiddens: Size of the hidden state.
        seed: Seed of the initial weights.
    """

    def __init__(self, num_inputs: int, num_hiddens: int, seed: int = 0, name: str = "gru_cell"):
        super().__init__(name=name)
        rng = np.random.default_rng([seed, 2])
        self.num_hiddens = num_hiddens

        def gate(label):
            return (
                parameter(glorot_uniform((num_inputs, num_hiddens), rng), f"W_x{label}"),
                parameter(orthogonal(num_hiddens, rng), f"W_h{label}"),
                parameter(tf.zeros(num_hiddens), f"b_{label}"),
            )

        self.W_xz, self.W_hz, self.b_z = gate("z")
        self.W_xr, self.W_hr, self.b_r = gate("r")
        self.W_xh, self.W_hh, self.b_h = gate("h")

    def __call__(self, inputs, state):
        update = tf.sigmoid(tf.matmul(inputs, self.W_xz) + tf.matmul(state, self.W_hz) + self.b_z)
        reset = tf.sigmoid(tf.matmul(inputs, self.W_xr) + tf.matmul(state, self.W_hr) + self.b_r)
        candidate = tf.tanh(
            tf.matmul(inputs, self.W_xh) + tf.matmul(reset * state, self.W_hh) + self.b_h
        )
        return update * state + (1.0 - update) * candidate


CELLS = {"rnn": RNNCell, "gru": GRUCell}
"""The scratch cells by the name ``--cell`` gives them."""


def run_over_time(cell, inputs, state=None, mask=None, reverse: bool = False):
    """Runs `cell` over every time step of a batch of sequences.

    Args:
        cell: A cell ``cell(x_t, h) -> h_new`` with a ``num_hiddens`` attribute.
        inputs: Shape (batch, steps, features).
        state: The initial hidden state (batch, num_hiddens); zeros if None.
        mask: Optional booleans (batch, steps), False at padding: there the
            state is carried over unchanged.
        reverse: Read the sequences from their last step to their first (the
            backward half of a bidirectional layer). The outputs are still in
            the order of `inputs`.

    Returns:
        ``(outputs, state)``: the state after every step, shape
        (batch, steps, num_hiddens), and the final state (batch, num_hiddens).
    """
    inputs = tf.convert_to_tensor(inputs)
    if state is None:
        state = tf.zeros((tf.shape(inputs)[0], cell.num_hiddens), inputs.dtype)
    steps_first = tf.transpose(inputs, [1, 0, 2])  # (steps, batch, features): X_t is steps_first[t]
    keep = None if mask is None else tf.transpose(tf.cast(mask, tf.bool))  # (steps, batch)
    num_steps = tf.shape(steps_first)[0]
    outputs = tf.TensorArray(inputs.dtype, size=num_steps)
    for i in tf.range(num_steps):
        t = num_steps - 1 - i if reverse else i
        new_state = cell(steps_first[t], state)
        if keep is not None:
            new_state = tf.where(keep[t][:, None], new_state, state)
        state = new_state
        outputs = outputs.write(t, state)
    return tf.transpose(outputs.stack(), [1, 0, 2]), state
