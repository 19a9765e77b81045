"""The Time Machine: loading, D2L's preprocessing, the vocabulary and partitioning."""

import hashlib

import numpy as np
import pytest

from coursework import time_machine


def test_preprocessing_keeps_lower_case_letters_and_single_spaces():
    assert time_machine.preprocess("The Time-Machine, 1895!\n\nBy H. G.") == "the time machine by h g "


def test_real_book_has_d2l_length_and_28_tokens(shared_data):
    corpus, vocab = time_machine.load_corpus(shared_data / "timemachine")
    assert len(corpus) == 173_428
    assert len(vocab) == 28
    assert vocab.idx_to_token[0] == "<unk>" and vocab.idx_to_token[1] == " "
    assert sorted(vocab.idx_to_token[1:]) == [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    assert "".join(vocab.to_tokens(corpus[:15])) == "the time machin"


def test_missing_file_names_what_the_folder_must_hold(tmp_path):
    with pytest.raises(FileNotFoundError, match="timemachine.txt"):
        time_machine.load_text(tmp_path)


def test_another_file_is_rejected_by_its_sha1(tmp_path):
    (tmp_path / "timemachine.txt").write_text("not the book")
    with pytest.raises(ValueError, match=time_machine.SHA1):
        time_machine.load_text(tmp_path)


def test_download_goes_through_keras_get_file_with_the_sha1(monkeypatch, tmp_path, shared_data):
    book = shared_data / "timemachine" / "timemachine.txt"
    calls = []

    def get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        return str(book)

    import keras

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    assert hashlib.sha1(time_machine.load_text().encode()).hexdigest() == time_machine.SHA1
    assert calls == [("timemachine.txt", time_machine.URL,
                      {"file_hash": time_machine.SHA1, "hash_algorithm": "sha1"})]


def test_failed_download_says_how_to_use_a_folder(monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        time_machine.load_text()


def test_vocab_orders_by_frequency_then_alphabetically():
    vocab = time_machine.Vocab([["b", "a", "c"], ["a", "b", "d", "a"]], min_freq=2,
                               reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b"]
    assert vocab.indices(["b", "zzz"]) == [3, 0]


def test_tokenize_words_chars_and_unknown_kind():
    assert time_machine.tokenize(["a bc  d"], "word") == [["a", "bc", "d"]]
    assert time_machine.tokenize(["ab "], "char") == [["a", "b", " "]]
    with pytest.raises(ValueError, match="word"):
        time_machine.tokenize(["a"], "sentence")


def test_subsequences_do_not_overlap_and_targets_are_shifted():
    X, Y = time_machine.subsequences(np.arange(20), num_steps=4, offset=1)
    np.testing.assert_array_equal(X[:, 0], [1, 5, 9, 13])
    np.testing.assert_array_equal(Y, X + 1)


def batches(dataset):
    return [(X.numpy(), Y.numpy()) for X, Y in dataset]


def test_random_partition_cuts_at_a_new_offset_and_order_each_epoch():
    corpus = np.arange(1000)  # token i is i, so Y = X + 1 and X[:, 0] gives the start
    dataset = time_machine.random_partition(corpus, batch_size=8, num_steps=5, seed=3)
    count = (1000 - 5) // 5
    assert int(dataset.cardinality()) == count // 8
    offsets, orders = set(), []
    for _ in range(6):
        epoch = batches(dataset)
        assert len(epoch) == count // 8
        starts = np.concatenate([X[:, 0] for X, _ in epoch])
        for X, Y in epoch:
            assert X.shape == (8, 5)
            np.testing.assert_array_equal(Y, X + 1)
            np.testing.assert_array_equal(X, X[:, :1] + np.arange(5))
        assert len(set(starts % 5)) == 1  # one cut per epoch: no two subsequences overlap
        assert len(set(starts)) == len(starts)
        offsets.add(int(starts[0] % 5))
        orders.append(starts)
    assert len(offsets) > 1
    assert not np.array_equal(orders[0], orders[1])


def test_random_partition_is_reproducible_from_its_seed():
    corpus = np.arange(500)
    first = batches(time_machine.random_partition(corpus, 4, 6, seed=1))
    second = batches(time_machine.random_partition(corpus, 4, 6, seed=1))
    for (X1, _), (X2, _) in zip(first, second, strict=True):
        np.testing.assert_array_equal(X1, X2)


def test_sequential_partition_rows_continue_across_minibatches():
    corpus = np.arange(103)
    epoch = batches(time_machine.sequential_partition(corpus, batch_size=4, num_steps=5))
    assert len(epoch) == (102 // 4) // 5
    for (X, Y), (next_X, _) in zip(epoch, epoch[1:], strict=False):
        np.testing.assert_array_equal(Y, X + 1)
        np.testing.assert_array_equal(next_X[:, 0], X[:, -1] + 1)


@pytest.mark.parametrize("partition", [time_machine.random_partition,
                                       time_machine.sequential_partition])
def test_a_corpus_too_short_for_one_minibatch_is_rejected(partition):
    with pytest.raises(ValueError, match="minibatch|shorter"):
        partition(np.arange(30), 8, 5)
