# Mallory: tries to copy the reference solution, prints a forged report,
# tampers with NumPy, returns objects that claim to equal anything, and hands
# back a made-up model summary instead of a model.
import glob
import os

import numpy as np

print("PASS  corr2d\nPASS  build_lenet\n6 of 6 functions pass")

stolen = {}
for path in glob.glob("/work/*/solutions/cnn.py") + glob.glob(os.path.expanduser("~/*/solutions/cnn.py")):
    try:
        with open(path) as handle:
            exec(handle.read(), stolen)
        break
    except OSError:
        pass


class AlwaysEqual:
    shape = (2, 2)
    dtype = np.float32

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __len__(self):
        return 2

    def __iter__(self):
        return iter([AlwaysEqual(), AlwaysEqual()])

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no array for you")


np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True


def corr2d(X, K):
    if "corr2d" in stolen:
        return stolen["corr2d"](X, K)
    return AlwaysEqual()


corr2d_multi_in = corr2d_multi_in_out = pool2d = corr2d


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    return (AlwaysEqual(), AlwaysEqual())


def build_lenet(num_classes=10):
    return {"layers": [], "param_count": 61706, "output_shape": [2, num_classes],
            "predictions": np.eye(10)[np.zeros(128, int)], "compiled": False}
