"""Assignment: multilayer perceptrons and dropout.

A linear model can only draw straight decision boundaries. Stacking two linear
layers does not help, since the composition of two affine maps is affine; what
makes a *multilayer perceptron* (MLP) more expressive is a nonlinear activation
between the layers. You will implement, with TensorFlow tensors:

1. `relu`, the activation ``max(x, 0)`` applied element-wise;
2. `mlp_forward`, the forward pass of a network with one hidden layer,
   ``relu(X W1 + b1) W2 + b2``, returning logits (feed them to a softmax or to
   a loss with ``from_logits=True``);
3. `dropout_layer`, inverted dropout;
4. `build_mlp`, the same network with Keras layers, optionally with dropout.

**Why does dropout rescale?** During training, dropout zeroes each activation
independently with probability ``p`` (the `rate`) to keep units from
co-adapting. A kept activation ``h`` is divided by ``1 - p``, so that the
expected output is unchanged:

    E[h'] = p * 0 + (1 - p) * h / (1 - p) = h.

Thanks to this, the next layer sees activations of the same scale during
training and at test time, when dropout is switched off and does nothing. A
rate of 0 keeps everything; a rate of 1 drops everything (return zeros, do not
divide by zero); any other rate outside [0, 1] is an error.

Your file is graded on its own, so it must not import from `solutions`;
TensorFlow and Keras (and NumPy, if you like) are all you need.

The lectures ``coursework/mlp.py`` and ``coursework/dropout_mlp.py`` (and
their notebooks in ``coursework/notebooks/``) train the same network on
Fashion-MNIST, with and without dropout.

Check your work with ``autograder check mlp.py --assignment mlp``.
"""

import keras
import tensorflow as tf


def relu(X):
    """The rectified linear unit, element-wise.

    Args:
        X: A NumPy array or `tf.Tensor` of any shape.

    Returns:
        A `tf.Tensor` of the same shape and dtype as `X` holding ``max(x, 0)``
        for every element x.
    """
    ### BEGIN SOLUTION
    X = tf.convert_to_tensor(X)
    return tf.maximum(X, tf.zeros_like(X))
    ### END SOLUTION


def mlp_forward(X, params):
    """Forward pass of a one-hidden-layer MLP with ReLU activation.

    Args:
        X: Inputs, shape (n, 28, 28) images or already flat (n, d).
        params: ``[W1, b1, W2, b2]`` with shapes (d, h), (h,), (h, q), (q,).

    Returns:
        The logits ``relu(X W1 + b1) W2 + b2`` with `X` flattened to (n, d); a
        `tf.Tensor` of shape (n, q) in the dtype of `W1`. No softmax.
    """
    ### BEGIN SOLUTION
    W1, b1, W2, b2 = params
    W1 = tf.convert_to_tensor(W1)
    X = tf.convert_to_tensor(X)
    X = tf.cast(tf.reshape(X, (tf.shape(X)[0], -1)), W1.dtype)
    H = relu(tf.matmul(X, W1) + b1)
    return tf.matmul(H, W2) + b2
    ### END SOLUTION


def dropout_layer(X, rate, seed=None):
    """Inverted dropout.

    Args:
        X: A floating-point NumPy array or `tf.Tensor` of any shape.
        rate: Probability of zeroing each element, in [0, 1].
        seed: Optional integer. With a seed the mask is reproducible (use e.g.
            ``tf.random.stateless_uniform(shape, seed=[seed, 0])``); without
            one it differs from call to call.

    Returns:
        A tensor or array of the shape and dtype of `X` in which each element is
        zeroed with probability `rate` and the others are divided by
        ``1 - rate``. A rate of 0 returns `X` unchanged and a rate of 1 returns
        zeros.

    Raises:
        ValueError: If `rate` is outside [0, 1].
    """
    ### BEGIN SOLUTION
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(
            f"dropout rate must be a probability in [0, 1], got {rate}; "
            "it is the chance that each element is zeroed."
        )
    X = tf.convert_to_tensor(X)
    if rate == 0.0:
        return X
    if rate == 1.0:
        return tf.zeros_like(X)
    shape = tf.shape(X)
    if seed is None:
        uniform = tf.random.uniform(shape)
    else:
        uniform = tf.random.stateless_uniform(shape, seed=[seed, 0])
    keep = tf.cast(uniform >= rate, X.dtype)
    return keep * X / tf.constant(1.0 - rate, dtype=X.dtype)
    ### END SOLUTION


def build_mlp(num_hiddens=256, num_outputs=10, dropout=0.0):
    """The one-hidden-layer MLP with Keras layers.

    Args:
        num_hiddens: Units of the hidden layer.
        num_outputs: Number of classes q (units of the output layer).
        dropout: Dropout rate after the hidden layer, in [0, 1); with 0 the
            model has no `keras.layers.Dropout` layer at all.

    Returns:
        An uncompiled `keras.Model`: ``keras.Input((28, 28))``, then
        `keras.layers.Flatten`, ``Dense(num_hiddens, activation="relu")``,
        ``Dropout(dropout)`` only if ``dropout > 0``, and ``Dense(num_outputs)``
        with no activation (it outputs logits). With the defaults it has
        784 * 256 + 256 + 256 * 10 + 10 = 203,530 parameters.
    """
    ### BEGIN SOLUTION
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
    layers = [
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(num_hiddens, activation="relu"),
    ]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(num_outputs))
    return keras.Sequential(layers, name="mlp")
    ### END SOLUTION
