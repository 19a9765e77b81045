"""Text classification: IMDB and AG News loading, and the bidirectional-GRU lecture.

The lecture trains on small synthetic texts here (the class is given by a few
marker words among random ones); AG News runs offline on
`tfds.testing.mock_data`; `benchmarks/rnn.py text_classification` trains on IMDB.
"""

import gzip
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from coursework import text_classification, text_data
from coursework.distribute import get_strategy
from tests.conftest import SHARED_DATA

SMALL = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "verbose": 0,
         "sequence_length": 12, "embedding_dim": 8, "num_hiddens": 8, "max_tokens": 100}


def synthetic_texts(size, seed):
    """Positive texts carry "good" or "great", negative ones "bad" or "awful"."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size).astype(np.int32)
    filler = [f"word{i}" for i in range(40)]
    markers = [["bad", "awful"], ["good", "great"]]
    texts = []
    for label in labels:
        words = list(rng.choice(filler, rng.integers(3, 10)))
        words.insert(int(rng.integers(0, len(words))), str(rng.choice(markers[label])))
        texts.append(" ".join(words))
    return texts, labels


@pytest.fixture(scope="module")
def small_data():
    return synthetic_texts(320, seed=1), synthetic_texts(128, seed=2)


def test_standardize_drops_html_breaks_and_punctuation():
    got = text_classification.standardize(tf.constant(["A <br /><br />Great film, isn't it?"]))
    assert got.numpy()[0].decode().split() == ["a", "great", "film", "isn't", "it"]


def test_aclimdb_folder_is_read_with_negative_as_0(tmp_path):
    reviews = [
        {"path": "train/pos/0_9.txt", "text": "loved it"},
        {"path": "train/neg/1_2.txt", "text": "hated it"},
        {"path": "test/pos/2_8.txt", "text": "fine"},
        {"path": "test/neg/3_1.txt", "text": "awful"},
    ]
    folder = text_data.write_aclimdb(reviews, tmp_path / "aclImdb")
    train, test = text_data.load_dataset("imdb", tmp_path)  # the folder holding aclImdb works too
    assert train.texts == ["hated it", "loved it"]
    assert train.labels.tolist() == [0, 1]
    assert text_data.load_aclimdb_split(folder, "test").texts == ["awful", "fine"]


def test_an_incomplete_aclimdb_folder_says_what_is_missing(tmp_path):
    text_data.write_aclimdb([{"path": "train/pos/0_9.txt", "text": "x"}], tmp_path)
    with pytest.raises(FileNotFoundError, match="train/neg"):
        text_data.load_dataset("imdb", tmp_path)
    with pytest.raises(ValueError, match="aclImdb review path"):
        text_data.write_aclimdb([{"path": "../evil.txt", "text": "x"}], tmp_path)
    with pytest.raises(ValueError, match="tensorflow-datasets"):
        text_data.load_dataset("ag_news", tmp_path)


def test_real_imdb_in_the_aclimdb_layout(real_aclimdb):
    train, test = text_data.load_dataset("imdb", real_aclimdb)
    for split in (train, test):
        assert len(split.texts) == 25_000
        assert np.bincount(split.labels).tolist() == [12_500, 12_500]
    with gzip.open(SHARED_DATA / "imdb" / "imdb_train_00.jsonl.gz", "rt") as stream:
        first = json.loads(stream.readline())
    assert (real_aclimdb / first["path"]).read_text() == first["text"]
    assert first["text"] in (train.texts[:12_500] if first["label"] == 0 else train.texts[12_500:])


def test_tensorflow_datasets_source_for_both_data_sets():
    with tfds.testing.mock_data(num_examples=24):
        for name, classes in (("imdb", 2), ("ag_news", 4)):
            train, test = text_data.load_dataset(name)
            assert len(train.texts) == 24 and isinstance(train.texts[0], str)
            assert train.labels.dtype == np.int32 and set(train.labels) <= set(range(classes))


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_lecture_runs_on_ag_news_offline(impl):
    config = text_classification.DEFAULTS.replace(**{**SMALL, "epochs": 1}, dataset="ag_news")
    with tfds.testing.mock_data(num_examples=64):
        result = text_classification.run(impl, config, get_strategy(1))
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    assert result.model(tf.constant([[3, 4, 0]], tf.int32)).shape == (1, 4)


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_each_implementation_learns_the_marker_words(impl, small_data):
    config = text_classification.DEFAULTS.replace(**SMALL)
    result = text_classification.run(impl, config, get_strategy(1), data=small_data)
    assert result.metrics["test_accuracy"] > 0.8, result.metrics
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert result.history[-1]["val_accuracy"] == pytest.approx(result.metrics["test_accuracy"])


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_one_epoch_under_two_replicas(impl, small_data):
    config = text_classification.DEFAULTS.replace(**{**SMALL, "epochs": 1})
    result = text_classification.run(impl, config, get_strategy(2), data=small_data)
    assert result.history[0]["loss"] > 0 and 0 <= result.metrics["test_accuracy"] <= 1


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_training_under_two_replicas(impl, small_data):
    config = text_classification.DEFAULTS.replace(**{**SMALL, "epochs": 3})
    result = text_classification.run(impl, config, get_strategy(2), data=small_data)
    assert result.metrics["test_accuracy"] > 0.7, result.metrics


def copy_into_keras(scratch, model):
    """The scratch classifier's parameters in Keras's layout (gates z, r, h side by side)."""
    def gru_weights(cell):
        return [np.concatenate([getattr(cell, f"{kind}{gate}").numpy() for gate in "zrh"], axis=-1)
                for kind in ("W_x", "W_h", "b_")]

    model.layers[0].set_weights([scratch.embedding.numpy()])
    model.layers[1].set_weights(gru_weights(scratch.forward_cell) + gru_weights(scratch.backward_cell))
    model.layers[2].set_weights([scratch.W.numpy(), scratch.b.numpy()])


def test_scratch_classifier_equals_keras_bidirectional_gru_and_ignores_padding():
    sizes = (30, 6, 5, 3)
    scratch = text_classification.BiGRUClassifierScratch(*sizes, seed=3)
    model = text_classification.build_concise_model(*sizes)
    copy_into_keras(scratch, model)
    ids = tf.constant([[4, 9, 2, 7, 0, 0, 0], [5, 1, 0, 0, 0, 0, 0]], tf.int32)
    expected = model(ids).numpy()
    np.testing.assert_allclose(scratch(ids).numpy(), expected, rtol=1e-5, atol=1e-5)
    shorter = ids[:, :4]
    np.testing.assert_allclose(scratch(shorter).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(shorter).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert isinstance(model.layers[1], keras.layers.Bidirectional)


@pytest.mark.slow
def test_command_line_trains_on_ag_news_with_the_dataset_option(tmp_path, capsys):
    from coursework.cli import main

    out = tmp_path / "metrics.json"
    with tfds.testing.mock_data(num_examples=64):
        code = main(["train", "text_classification", "--dataset", "ag_news", "--epochs", "1",
                     "--batch-size", "32", "--metrics-out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert report["config"]["dataset"] == "ag_news"
    assert 0 <= report["metrics"]["test_accuracy"] <= 1
