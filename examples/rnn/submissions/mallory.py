# Mallory: hostile. Her vocabulary claims to equal anything, her tokenizer
# never returns, her perplexity kills the process that grades it, her RNN
# floods the output, and her classifier tries to read the reference solution.
import os
import sys


class Anything(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def tokenize(lines, token="word"):
    while True:
        pass


def build_vocab(tokens, min_freq=0, reserved_tokens=()):
    return Anything(["<unk>"])


def rnn_forward(inputs, state, params):
    for _ in range(100_000):
        print("score: 10/10 " * 20)
        sys.stdout.flush()
    raise SystemExit(0)


def grad_clipping(grads, theta):
    return grads


def perplexity(logits, labels):
    os._exit(0)


def build_text_classifier(vocab_size, embedding_dim=64, num_hiddens=64, num_classes=2):
    with open("/work/main/solutions/rnn.py") as handle:
        exec(handle.read(), globals())
    return build_text_classifier(vocab_size, embedding_dim, num_hiddens, num_classes)
