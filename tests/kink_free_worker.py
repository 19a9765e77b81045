"""``coursework`` with the MLP made kink-free and trained by plain SGD, for the cluster tests.

A float32 run under several workers can be compared with a one-process run
only within a bound on the rounding, and plain SGD on a model without kinks
allows one (`float32_rounding`). Run as ``python tests/kink_free_worker.py
train mlp --impl scratch ...``: the same command line as ``coursework``, with
the MLP's hidden activation a sigmoid instead of ReLU and the hand-written SGD
instead of Adam (`patches`). Not a test module itself.
"""

import sys


def patches() -> list[tuple[object, str, object]]:
    """``(module, name, value)``: sigmoid hidden units and plain SGD for the scratch MLP."""
    import tensorflow as tf

    from coursework import classification, mlp, scratch

    return [
        (mlp, "relu", tf.sigmoid),
        (classification, "scratch_optimizer",
         lambda config, steps: scratch.SGD(config.learning_rate)),
    ]


if __name__ == "__main__":
    from coursework.cli import main

    for module, name, value in patches():
        setattr(module, name, value)
    sys.exit(main(sys.argv[1:]))
