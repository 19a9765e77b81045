"""Importing TensorFlow without its C++ start-up messages.

On import, TensorFlow 2.21 writes lines such as ``I0000 … port.cc:153] oneDNN
custom operations are on`` and ``E0000 … cuda_platform.cc:52] failed call to
cuInit`` straight to file descriptor 2, before ``TF_CPP_MIN_LOG_LEVEL`` is
read by its logging library, so the variable alone no longer hides them. In a
terminal they bury the first lines of a lecture's output; in a notebook they
show as red stderr blocks. `import_tensorflow` imports TensorFlow and Keras
(and runs the device probe that logs the CUDA lines) with descriptor 2 caught,
and passes on every line of it that is not such a start-up log line.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

STARTUP_LINE = re.compile(
    r"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] "
    r"|To enable the following instructions: .* rebuild TensorFlow)"
)
"""TensorFlow's C++ log lines (absl format), absl's notice about them, and the
second line of the CPU-features message."""


@contextlib.contextmanager
def _startup_lines_hidden():
    """Catches file descriptor 2 and passes on what is not a start-up log line."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to catch
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines(keepends=True) if not STARTUP_LINE.match(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_tensorflow():
    """Imports TensorFlow and Keras quietly (see the module docstring); returns TensorFlow.

    Harmless when TensorFlow is already imported.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # older releases read it
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _startup_lines_hidden():
        import keras  # noqa: F401 - imported here so that its start-up lines are caught too
        import tensorflow as tf

        tf.config.list_physical_devices()  # the device probe logs the CUDA lines
    return tf
