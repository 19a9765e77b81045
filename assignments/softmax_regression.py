# Generated from solutions/softmax_regression.py by `autograder release`.
# Fill in the places marked YOUR CODE HERE; do not rename the functions.
"""Assignment: softmax regression.

Softmax regression is the classification counterpart of linear regression: a
linear layer computes one score (a *logit*) per class, ``O = X W + b``, and the
softmax turns each row of logits into a probability distribution over the q
classes,

    softmax(O)_ij = exp(O_ij) / sum_k exp(O_ik).

You will implement, with TensorFlow tensors:

1. `softmax`, row-wise, so that every row is positive and sums to 1;
2. `cross_entropy`, the per-example loss ``-log y_hat[i, y[i]]``;
3. `accuracy`, the fraction of examples whose highest-scoring class is right;
4. `softmax_regression`, the model ``softmax(X W + b)`` on flattened images;
5. `build_softmax_model`, the same model with Keras layers (it outputs logits).

**Why subtract the row maximum?** ``exp`` overflows float32 for arguments above
about 88 (float64: about 709), and ``inf / inf`` is ``nan``. Softmax does not
change when the same constant is subtracted from every logit of a row, because
the factor ``exp(-c)`` cancels between numerator and denominator. Subtracting
the row maximum makes every exponent at most 0, so no ``exp`` overflows and the
largest term of each denominator is exactly 1 (so it never underflows to 0
either). Your `softmax` must stay finite, with rows summing to 1, for logits as
large as ±1e4.

**Why does the Keras model output logits?** Keras losses such as
``keras.losses.SparseCategoricalCrossentropy(from_logits=True)`` combine the
softmax and the logarithm into ``log_softmax``, which is more accurate than
taking the log of probabilities that may have rounded to 0.

The lecture ``coursework/softmax_regression.py`` (notebook
``coursework/notebooks/softmax_regression.ipynb``) uses the same ``softmax``
and ``cross_entropy(y_hat, y)``, and trains the model on Fashion-MNIST.

Check your work with ``autograder check softmax_regression.py --assignment
softmax_regression``.
"""

import keras
import tensorflow as tf


def softmax(X):
    """Row-wise softmax, computed stably.

    Args:
        X: Logits, shape (n, q): a NumPy array or a `tf.Tensor`, float32 or
            float64.

    Returns:
        A `tf.Tensor` of the same shape and floating dtype as `X` whose rows
        are positive and sum to 1. Subtract each row's maximum before taking
        ``exp``, so that logits up to ±1e4 give no ``inf`` or ``nan``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def cross_entropy(y_hat, y):
    """Per-example cross-entropy loss of predicted probabilities.

    Args:
        y_hat: Predicted probabilities, shape (n, q); each row sums to 1.
        y: True labels, integers in ``[0, q)``, shape (n,).

    Returns:
        A `tf.Tensor` of shape (n,) whose entry i is ``-log(y_hat[i, y[i]])``.
        Hint: ``tf.gather(..., batch_dims=1)`` or ``tf.one_hot`` pick out the
        probability of each example's true class.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def accuracy(y_hat, y):
    """Fraction of correct predictions.

    Args:
        y_hat: Predicted probabilities or logits, shape (n, q); the prediction
            for a row is the index of its largest entry.
        y: True labels, integers, shape (n,) or (n, 1).

    Returns:
        The fraction of rows whose prediction equals the label, as a Python
        `float` between 0.0 and 1.0.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def softmax_regression(X, W, b):
    """The softmax regression model.

    Args:
        X: Inputs, shape (n, 28, 28) images or already flat (n, d).
        W: Weights, shape (d, q), e.g. (784, 10).
        b: Bias, shape (q,).

    Returns:
        Class probabilities ``softmax(X W + b)`` with `X` flattened to (n, d);
        a `tf.Tensor` of shape (n, q) in the dtype of `W`.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def build_softmax_model(num_classes=10):
    """Softmax regression with Keras layers.

    Args:
        num_classes: Number of classes q.

    Returns:
        An uncompiled `keras.Model` starting with ``keras.Input((28, 28))``,
        then a `keras.layers.Flatten` and a `keras.layers.Dense` with
        `num_classes` units and no activation: it outputs logits, shape
        (batch, num_classes). With 10 classes it has 784 * 10 + 10 = 7,850
        parameters.
    """
    # YOUR CODE HERE
    raise NotImplementedError
