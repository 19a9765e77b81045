# Victor: text made to fool whoever reads the reports. Terminal escape sequences
# (clear the screen, set the title, a hyperlink), fake Markdown ("**Score: 10**"), raw
# HTML and a carriage return, in printed output, in an exception message and in a
# returned string. Only squared_loss is right (1 point).
import tensorflow as tf

FAKE = (
    "\x1b[2J\x1b]0;grader hacked\x07\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
    "\r**Score: 10 / 10**\n# Passed\n<img src=x onerror=alert(1)><b>all correct</b>"
)
print(FAKE)


def linreg(X, w, b):
    raise ValueError(FAKE)


def squared_loss(y_hat, y):
    return (y_hat - tf.reshape(y, y_hat.shape)) ** 2 / 2


def normal_equation(X, y):
    return FAKE, FAKE
