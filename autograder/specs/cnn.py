"""Checks of the convolutional-networks assignment (`solutions/cnn.py`).

The array functions are compared with the reference on seeded inputs, NumPy
arrays and tf.Tensors, float32 and float64 (a float result keeps the input's
dtype). Kernels and inputs are asymmetric, so each classic mistake, written out
below as the function a student would write, gives its own output: a flipped
kernel (a true convolution), channels not summed, the stride ignored; and for
the output size ``floor((n + 2p - k) / s) + 1``: off by one, padding counted
once, no floor.

`build_lenet` is graded by its structure and a short training on
`training_blocks`, images whose class is where a bright block sits: with its
spatial structure a LeNet learns it whatever activation and pooling the
student chose (sigmoid and average pooling included).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import tensorflow as tf

from autograder.checks import AssignmentSpec, Case, FunctionCheck, Hint, close_to
from autograder.models import Layer, ModelExpectation, Recipe, model_check, model_problem
from autograder.sandbox import Tensor

LENET_PARAMETERS = 61_706
"""Parameters of LeNet for 10 classes."""


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([20261201, 500 + seed])


COMPARE = close_to(rtol=1e-4, atol=1e-5, float64=(1e-9, 1e-9), scaled=True)
DTYPE_HINT = ("Keep the input's dtype: float64 inputs give a float64 result (tf.zeros(shape) is "
              "float32; pass dtype=X.dtype, and do not cast to tf.float32).")
FLIPPED_HINT = ("Do not flip the kernel: a convolutional layer computes a cross-correlation, "
                "Y[i, j] = sum of X[i + a, j + b] * K[a, b]. Your result is the true convolution "
                "(the kernel rotated by 180°).")
CHANNELS_HINT = ("Add up the input channels: each output channel is the sum over c of "
                 "corr2d(X[c], K[c]), one 2-D array, not a stack of c_in arrays.")


# The mistakes, written as a student would (tf tensors or NumPy arrays in) -------------------
def _corr(X, K, *, flip=False, short=0, float32=False):
    """Cross-correlation, or one of its classic mistakes."""
    X = tf.cast(X, tf.float32) if float32 else tf.convert_to_tensor(X)
    K = tf.cast(K, X.dtype)
    K = K[::-1, ::-1] if flip else K
    kh, kw = K.shape
    h, w = X.shape[0] - kh + 1 - short, X.shape[1] - kw + 1 - short
    return tf.add_n([K[a, b] * X[a : a + h, b : b + w] for a in range(kh) for b in range(kw)])


def _multi_in(X, K, *, summed=True, **mistake):
    pairs = zip(tf.unstack(tf.convert_to_tensor(X)), tf.unstack(tf.convert_to_tensor(K)),
                strict=True)
    per_channel = [_corr(x, k, **mistake) for x, k in pairs]
    return tf.add_n(per_channel) if summed else tf.stack(per_channel)


def _multi_in_out(X, K, *, axis=0, **mistake):
    return tf.stack([_multi_in(X, k, **mistake) for k in tf.unstack(tf.convert_to_tensor(K))],
                    axis=axis)


# corr2d(X, K) --------------------------------------------------------------------------------
D2L_X = np.arange(9.0, dtype=np.float32).reshape(3, 3)
D2L_K = np.arange(4.0, dtype=np.float32).reshape(2, 2)
STRIPES = np.ones((6, 8), np.float32)
STRIPES[:, 2:6] = 0.0


def _corr2d_cases():
    rng = _rng(1)
    edges = np.zeros((6, 7), np.float32)
    edges[:, 1], edges[:, 5] = 1.0, -1.0
    return [
        Case("D2L's example: 3 × 3 input, 2 × 2 kernel", (D2L_X, D2L_K),
             expected=np.array([[19.0, 25.0], [37.0, 43.0]], np.float32), public=True),
        Case("edge detector [[1, -1]] on a striped 6 × 8 image",
             (STRIPES, np.array([[1.0, -1.0]], np.float32)), expected=edges, public=True),
        Case("tf.Tensor float32 (5, 7), kernel (2, 3)",
             (Tensor(rng.normal(size=(5, 7)).astype("f4")),
              Tensor(rng.normal(size=(2, 3)).astype("f4")))),
        Case("numpy float64 (6, 4), kernel (3, 1)",
             (rng.normal(size=(6, 4)), rng.normal(size=(3, 1)))),
        Case("tf.Tensor float64, kernel as large as the input (4, 3)",
             (Tensor(rng.normal(size=(4, 3))), Tensor(rng.normal(size=(4, 3))))),
        Case("numpy float32 (1, 9), kernel (1, 4)",
             (rng.normal(size=(1, 9)).astype("f4"), rng.normal(size=(1, 4)).astype("f4"))),
    ]


CORR2D = FunctionCheck(
    "corr2d", points=2, cases=_corr2d_cases, compare=COMPARE,
    description="2-D cross-correlation, no padding, stride 1, the input's float dtype",
    hints=(
        Hint(FLIPPED_HINT, like=functools.partial(_corr, flip=True)),
        Hint("The output has h - kh + 1 rows and w - kw + 1 columns: the kernel fits at "
             "positions 0 to h - kh. Check the bounds of your loops or slices.",
             like=functools.partial(_corr, short=1)),
        Hint(DTYPE_HINT, like=functools.partial(_corr, float32=True)),
    ),
)


# conv_output_shape(input_size, kernel_size, padding=0, stride=1) ------------------------------
def _sizes(formula):
    """A wrong conv_output_shape from a wrong formula of n, k, p, s (no ValueError)."""

    def wrong(input_size, kernel_size, padding=0, stride=1):
        pairs = [v if isinstance(v, tuple | list) else (v, v)
                 for v in (input_size, kernel_size, padding, stride)]
        return tuple(formula(n, k, p, s) for n, k, p, s in zip(*pairs, strict=True))

    return wrong


CONV_OUTPUT_SHAPE = FunctionCheck(
    "conv_output_shape", points=2, returns=("tuple",),
    cases=[
        Case("28 × 28, kernel 5, padding 2", (28, 5, 2), expected=(28, 28), public=True),
        Case("28 × 28, kernel 5, stride 2: floor(23 / 2) + 1", (28, 5, 0, 2), expected=(12, 12),
             public=True),
        Case("kernel 4 does not fit an input of 3", (3, 4), raises="ValueError", public=True),
        Case("pairs: 8 × 8, kernel (3, 5), padding (0, 1), stride (3, 4)",
             ((8, 8), (3, 5), (0, 1), (3, 4))),
        Case("10 × 7, kernel (3, 2), padding (1, 0), stride (2, 3)",
             ((10, 7), (3, 2), (1, 0), (2, 3))),
        Case("7 × 7, kernel 3, padding 1, stride 3", (7, 3, 1, 3)),
        Case("9 × 12, kernel 4, stride 2, keywords", ((9, 12), 4), {"stride": 2}),
        Case("keywords: 32 × 16, kernel (5, 3), padding (2, 1)", ((32, 16), (5, 3)),
             {"padding": (2, 1)}),
        Case("stride 0", (8, 3, 0, 0), raises="ValueError"),
        Case("padding -1", (8, 3, -1), raises="ValueError"),
        Case("kernel 6 on 3 padded by 1 (5 positions)", (3, 6, 1), raises="ValueError"),
    ],
    compare=close_to(rtol=0.0, atol=0.0, dtype="float"),  # ints, as ints
    description="(out_h, out_w) with out = floor((n + 2p - k) / s) + 1; ValueError if impossible",
    hints=(
        Hint("Raise ValueError when the kernel is larger than the padded input (n + 2p < k), "
             "when a stride is below 1 and when a padding is negative.", when="did_not_raise"),
        Hint("Padding adds p rows or columns on each side: the padded input has n + 2p "
             "positions, not n + p.", like=_sizes(lambda n, k, p, s: (n + p - k) // s + 1)),
        Hint("Divide by the stride: out = floor((n + 2p - k) / s) + 1.",
             like=_sizes(lambda n, k, p, s: n + 2 * p - k + 1)),
        Hint("Off by one: the first window starts at 0 and the last at n + 2p - k, so there are "
             "floor((n + 2p - k) / s) + 1 of them.",
             like=_sizes(lambda n, k, p, s: (n + 2 * p - k) // s)),
        Hint("Off by one: add 1 after dividing, floor((n + 2p - k) / s) + 1, not "
             "floor((n + 2p - k + 1) / s).",
             like=_sizes(lambda n, k, p, s: (n + 2 * p - k + 1) // s)),
        Hint("Round down: a window that would stick out of the input does not count. Use "
             "floor division, (n + 2 * p - k) // s + 1, which also gives ints.",
             like=_sizes(lambda n, k, p, s: (n + 2 * p - k) / s + 1)),
        Hint("Return a tuple of two ints: use floor division //, not /.",
             like=_sizes(lambda n, k, p, s: float((n + 2 * p - k) // s + 1))),
    ),
)


# pool2d(X, pool_size, stride=1, mode="max") -------------------------------------------------
def _pool(X, pool_size, stride=1, mode="max", *, ignore_stride=False, avg="mean",
          float32=False):
    """Pooling, or one of its classic mistakes (none rejects a mode)."""
    X = tf.cast(X, tf.float32) if float32 else tf.convert_to_tensor(X)
    ph, pw = pool_size if isinstance(pool_size, tuple | list) else (pool_size, pool_size)
    sh, sw = (1, 1) if ignore_stride else (
        stride if isinstance(stride, tuple | list) else (stride, stride))
    h, w = (X.shape[0] - ph) // sh + 1, (X.shape[1] - pw) // sw + 1
    windows = tf.stack([X[a : a + sh * (h - 1) + 1 : sh, b : b + sw * (w - 1) + 1 : sw]
                        for a in range(ph) for b in range(pw)])
    reduce = {"max": tf.reduce_max, "mean": tf.reduce_mean, "sum": tf.reduce_sum}
    return reduce["max" if mode == "max" else avg](windows, axis=0)


def _pool2d_cases():
    rng = _rng(2)
    return [
        Case("D2L's example: max pooling 2 × 2", (D2L_X, 2),
             expected=np.array([[4.0, 5.0], [7.0, 8.0]], np.float32), public=True),
        Case("D2L's example: average pooling (2, 2)", (D2L_X, (2, 2)), {"mode": "avg"},
             expected=np.array([[2.0, 3.0], [5.0, 6.0]], np.float32), public=True),
        Case("mode 'min' raises ValueError", (D2L_X, 2), {"mode": "min"}, raises="ValueError",
             public=True),
        Case("tf.Tensor float32 (6, 8), max 2 × 2, stride 2",
             (Tensor(rng.normal(size=(6, 8)).astype("f4")), 2, 2)),
        Case("numpy float64 (7, 7), avg (3, 2), stride (2, 1)",
             (rng.normal(size=(7, 7)), (3, 2), (2, 1), "avg")),
        Case("tf.Tensor float64 (9, 6), max (3, 3), stride 3",
             (Tensor(rng.normal(size=(9, 6))), (3, 3), 3, "max")),
        Case("numpy float32 (5, 5), avg 2, stride 1",
             (rng.normal(size=(5, 5)).astype("f4"), 2), {"mode": "avg"}),
        Case("mode 'mean' raises ValueError", (rng.normal(size=(4, 4)), 2), {"mode": "mean"},
             raises="ValueError"),
    ]


POOL2D = FunctionCheck(
    "pool2d", points=2, cases=_pool2d_cases, compare=COMPARE,
    description="max or average pooling of one channel, no padding, with a stride",
    hints=(
        Hint("Raise ValueError for any mode other than 'max' and 'avg'.", when="did_not_raise"),
        Hint("Move the window by the stride: window (i, j) starts at row i * sh and column "
             "j * sw, and there are floor((h - ph) / sh) + 1 windows down.",
             like=functools.partial(_pool, ignore_stride=True)),
        Hint("mode='avg' takes the mean of each window, not its maximum.",
             like=functools.partial(_pool, avg="max")),
        Hint("Average pooling divides each window's sum by the number of its elements, ph * pw.",
             like=functools.partial(_pool, avg="sum")),
        Hint(DTYPE_HINT, like=functools.partial(_pool, float32=True)),
    ),
)


# corr2d_multi_in(X, K) and corr2d_multi_in_out(X, K) ----------------------------------------
D2L_X2 = np.stack([D2L_X, D2L_X + 1])
D2L_K2 = np.stack([D2L_K, D2L_K + 1])

CORR2D_MULTI_IN = FunctionCheck(
    "corr2d_multi_in", points=1, compare=COMPARE,
    description="sum over the input channels of the 2-D cross-correlations",
    cases=lambda: [
        Case("D2L's example: 2 channels", (D2L_X2, D2L_K2),
             expected=np.array([[56.0, 72.0], [104.0, 120.0]], np.float32), public=True),
        Case("tf.Tensor float32, 3 channels (5, 6), kernel (2, 3)",
             (Tensor(_rng(3).normal(size=(3, 5, 6)).astype("f4")),
              Tensor(_rng(4).normal(size=(3, 2, 3)).astype("f4")))),
        Case("numpy float64, 1 channel", (_rng(5).normal(size=(1, 4, 4)),
                                          _rng(6).normal(size=(1, 2, 2)))),
        Case("tf.Tensor float64, 4 channels, 1 × 1 kernel",
             (Tensor(_rng(7).normal(size=(4, 3, 5))), Tensor(_rng(8).normal(size=(4, 1, 1))))),
    ],
    hints=(
        Hint(CHANNELS_HINT, like=functools.partial(_multi_in, summed=False)),
        Hint(FLIPPED_HINT, like=functools.partial(_multi_in, flip=True)),
        Hint(DTYPE_HINT, like=functools.partial(_multi_in, float32=True)),
    ),
)

K3 = np.stack([D2L_K2, D2L_K2 + 1, D2L_K2 + 2])
CORR2D_MULTI_IN_OUT = FunctionCheck(
    "corr2d_multi_in_out", points=1, compare=COMPARE,
    description="one output channel per kernel stack K[o], shape (c_out, h', w')",
    cases=lambda: [
        Case("D2L's example: 2 input, 3 output channels", (D2L_X2, K3),
             expected=_multi_in_out(D2L_X2, K3).numpy(), public=True),
        Case("tf.Tensor float32, 3 in, 2 out, kernel (2, 2)",
             (Tensor(_rng(9).normal(size=(3, 5, 5)).astype("f4")),
              Tensor(_rng(10).normal(size=(2, 3, 2, 2)).astype("f4")))),
        Case("numpy float64, 2 in, 4 out, 1 × 1 kernel",
             (_rng(11).normal(size=(2, 3, 4)), _rng(12).normal(size=(4, 2, 1, 1)))),
        Case("tf.Tensor float64, 1 in, 1 out",
             (Tensor(_rng(13).normal(size=(1, 6, 3))), Tensor(_rng(14).normal(size=(1, 1, 3, 2))))),
    ],
    hints=(
        Hint(CHANNELS_HINT, like=functools.partial(_multi_in_out, summed=False)),
        Hint("Stack the output channels along the first axis, (c_out, h', w'): "
             "tf.stack([corr2d_multi_in(X, k) for k in K]).",
             like=functools.partial(_multi_in_out, axis=-1)),
        Hint(FLIPPED_HINT, like=functools.partial(_multi_in_out, flip=True)),
        Hint(DTYPE_HINT, like=functools.partial(_multi_in_out, float32=True)),
    ),
)


# build_lenet(num_classes=10): structure and a short training ---------------------------------
@functools.cache
def training_blocks() -> dict[str, np.ndarray]:
    """The seeded images LeNet is trained on: the class is where a bright block sits.

    Each 28 × 28 × 1 image is weak noise plus a bright 10 × 5 block at one of 10
    positions (2 rows of 5), scaled to about [-2, 2]: centred inputs get sigmoid
    networks off their initial plateau within one epoch.

    Returns:
        ``x`` (1024, 28, 28, 1) and ``y`` (1024,) to train on, ``x_eval`` (128,
        28, 28, 1) and ``y_eval`` (128,) to measure the accuracy.
    """
    rng = _rng(0)

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.permutation(np.arange(count) % 10)
        images = 0.3 * rng.uniform(size=(count, 28, 28, 1))
        for index, label in enumerate(labels):
            row, column = divmod(int(label), 5)
            images[index, 2 + 12 * row : 12 + 12 * row, 1 + 5 * column : 6 + 5 * column] += 0.7
        return (4.0 * images - 2.0).astype(np.float32), labels.astype(np.int64)

    x, y = draw(1024)
    x_eval, y_eval = draw(128)
    return {"x": x, "y": y, "x_eval": x_eval, "y_eval": y_eval}


RECIPE = Recipe(data=training_blocks, optimizer_config={"learning_rate": 0.003}, epochs=1,
                batch_size=8, target=0.5)  # 128 steps; correct LeNets reach 1.0, broken ones 0.1


def _lenet(num_classes, pooling="MaxPooling2D"):
    conv = [Layer("Conv2D", filters=f, kernel_size=[5, 5]) for f in (6, 16)]
    return ModelExpectation(
        layers=(conv[0], Layer(pooling), conv[1], Layer(pooling), Layer("Flatten"),
                Layer("Dense", units=120), Layer("Dense", units=84),
                Layer("Dense", units=num_classes)),
        output_shape=(num_classes,), param_count=LENET_PARAMETERS - 85 * 10 + 85 * num_classes)


def _compare_lenet(got, expected, case: Case):
    """The expectation with the student's choice of pooling (average if any layer averages)."""
    kinds = [layer.get("class_name") for layer in got.get("layers", [])] if isinstance(
        got, dict) else []
    pooling = "AveragePooling2D" if "AveragePooling2D" in kinds else "MaxPooling2D"
    num_classes = case.args[0] if case.args else case.kwargs.get("num_classes", 10)
    return model_problem(got, _lenet(num_classes, pooling), RECIPE, (28, 28, 1))


def _not_padded(case: Case, got, expected) -> bool:
    """Unpadded, Flatten sees 4 × 4 × 16 = 256 values, not 400: 144 × 120 fewer weights."""
    num_classes = case.args[0] if case.args else 10
    padded = LENET_PARAMETERS - 85 * 10 + 85 * num_classes
    return isinstance(got, dict) and got.get("param_count") == padded - 144 * 120


BUILD_LENET = dataclasses.replace(
    model_check(
        "build_lenet", points=2, arguments={"num_classes": 10}, expect=_lenet, recipe=RECIPE,
        input_shape=(28, 28, 1), timeout=60,
        description="uncompiled Keras LeNet for (28, 28, 1) images, outputting logits",
        cases=[Case("default: 10 classes, trained briefly", (), public=True),
               Case("12 classes, trained briefly", (12,))],
        hints=(
            Hint("Leave the last Dense layer without activation: the model outputs logits, and "
                 "the loss (from_logits=True) applies the softmax.", when="model.logits"),
            Hint("Give the first Conv2D padding='same': a 5 × 5 kernel on 28 × 28 then keeps "
                 "28 × 28, and after two poolings and the second convolution Flatten sees "
                 "5 × 5 × 16 = 400 values.", applies=_not_padded),
            Hint("Use the num_classes argument for the units of the last Dense layer.",
                 when="layers.config.units"),
            Hint("Put a pooling layer (MaxPooling2D or AveragePooling2D, pool_size=2, strides=2) "
                 "after each Conv2D.",
                 when=("layers.missing.MaxPooling2D", "layers.missing.AveragePooling2D")),
        ),
    ),
    compare=_compare_lenet,
)


SPEC = AssignmentSpec(
    "cnn", (CORR2D, CONV_OUTPUT_SHAPE, POOL2D, CORR2D_MULTI_IN, CORR2D_MULTI_IN_OUT, BUILD_LENET))
