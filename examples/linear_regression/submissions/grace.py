# Grace: tries to copy the reference solution instead of writing her own.
# She looks next to every module the grader process has loaded, imports the
# `solutions` package, and searches the usual places.
import glob
import os
import sys

found = {}
candidates = set()
for module in list(sys.modules.values()):
    folder = os.path.dirname(getattr(module, "__file__", None) or "")
    for _ in range(4):
        candidates.add(os.path.join(folder, "solutions", "linear_regression.py"))
        folder = os.path.dirname(folder)
candidates.update(glob.glob("/work/*/solutions/linear_regression.py"))
candidates.update(glob.glob(os.path.expanduser("~/*/solutions/linear_regression.py")))
for path in sorted(candidates):
    try:
        with open(path) as handle:
            exec(handle.read(), found)
        print("grace: copied", path)
        break
    except OSError:
        pass
try:
    import solutions.linear_regression as reference

    found.update(vars(reference))
    print("grace: imported the reference")
except Exception as error:
    print("grace: could not import the reference:", error)


def _steal(name):
    def function(*args, **kwargs):
        if name not in found:
            raise NotImplementedError(f"could not steal {name}")
        return found[name](*args, **kwargs)

    return function


linreg = _steal("linreg")
squared_loss = _steal("squared_loss")
sgd = _steal("sgd")
data_iter = _steal("data_iter")
normal_equation = _steal("normal_equation")
train_linear_regression = _steal("train_linear_regression")
