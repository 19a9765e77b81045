"""Loading Fashion-MNIST: the IDX format, the data folder, tensorflow-datasets."""

import gzip
import struct

import numpy as np
import pytest

from coursework import fashion_mnist


def write_folder(folder, train_size=30, test_size=20, seed=0):
    """Writes the four IDX files of a small random Fashion-MNIST into `folder`."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, size in (("train", train_size), ("test", test_size)):
        images = rng.integers(0, 256, size=(size, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=size, dtype=np.uint8)
        images_name, labels_name = fashion_mnist.IDX_FILES[split]
        fashion_mnist.write_idx(folder / images_name, images)
        fashion_mnist.write_idx(folder / labels_name, labels)
        arrays[split] = images, labels
    return arrays


def test_read_idx_parses_the_official_layout(tmp_path):
    """A file built byte by byte as the format's specification describes it."""
    values = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    content = struct.pack(">BBBBIII", 0, 0, 0x08, 3, 2, 3, 4) + values.tobytes()
    (tmp_path / "images.gz").write_bytes(gzip.compress(content))
    (tmp_path / "images").write_bytes(content)
    for name in ("images.gz", "images"):
        read = fashion_mnist.read_idx(tmp_path / name, fashion_mnist.IMAGES_MAGIC)
        assert read.dtype == np.uint8
        np.testing.assert_array_equal(read, values)


def test_write_then_read_round_trips(tmp_path):
    labels = np.array([9, 0, 3, 255], dtype=np.uint8)
    path = fashion_mnist.write_idx(tmp_path / "sub" / "labels.gz", labels)
    np.testing.assert_array_equal(fashion_mnist.read_idx(path, fashion_mnist.LABELS_MAGIC), labels)
    with pytest.raises(ValueError, match="0 to 255"):
        fashion_mnist.write_idx(tmp_path / "bad.gz", np.array([256]))


def test_a_folder_of_idx_files_loads_scaled_with_the_right_types(tmp_path):
    arrays = write_folder(tmp_path)
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data(tmp_path)
    assert train_images.shape == (30, 28, 28) and test_images.shape == (20, 28, 28)
    assert train_images.dtype == np.float32 and train_labels.dtype == np.int32
    np.testing.assert_allclose(train_images, arrays["train"][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(test_labels, arrays["test"][1])
    assert 0.0 <= train_images.min() and train_images.max() <= 1.0


def test_uncompressed_files_are_accepted(tmp_path):
    arrays = write_folder(tmp_path)
    for name in fashion_mnist.IDX_FILES["test"]:
        path = tmp_path / name
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    _, (test_images, test_labels) = fashion_mnist.load_data(tmp_path)
    np.testing.assert_array_equal(test_labels, arrays["test"][1])


def test_a_missing_file_is_named_with_what_to_do(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as raised:
        fashion_mnist.load_data(tmp_path)
    message = str(raised.value)
    assert "t10k-labels-idx1-ubyte.gz does not exist" in message
    assert "train-images-idx3-ubyte.gz" in message and "Download" in message
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fashion_mnist.load_data(tmp_path / "no-such-folder")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda content: content[: len(content) // 2], "corrupt or truncated"),
        (lambda content: b"not gzip at all", "corrupt or truncated"),
        (lambda content: gzip.compress(gzip.decompress(content)[:-100]), "is truncated"),
        (lambda content: gzip.compress(gzip.decompress(content) + b"xx"), "longer than its header"),
        (lambda content: gzip.compress(b"\0\0\x08\x01" + gzip.decompress(content)[4:]), "magic number is 2049, not 2051"),
        (lambda content: gzip.compress(b"\0\0"), "too short"),
    ],
)
def test_a_corrupt_file_is_named_with_what_is_wrong(tmp_path, damage, message):
    write_folder(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=message) as raised:
        fashion_mnist.load_data(tmp_path)
    assert "train-images-idx3-ubyte.gz" in str(raised.value)
    assert "Download the four Fashion-MNIST files again" in str(raised.value)


def test_inconsistent_files_are_rejected(tmp_path):
    write_folder(tmp_path)
    fashion_mnist.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(29, np.uint8))
    with pytest.raises(ValueError, match="has 30 images but .* has 29 labels"):
        fashion_mnist.load_data(tmp_path)
    fashion_mnist.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(30, 10, np.uint8))
    with pytest.raises(ValueError, match="label 10"):
        fashion_mnist.load_data(tmp_path)
    fashion_mnist.write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((30, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="32×32 pixels"):
        fashion_mnist.load_data(tmp_path)


def test_tensorflow_datasets_is_the_default_source():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):
        (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
    assert train_images.shape == (12, 28, 28) and test_images.shape == (12, 28, 28)
    assert train_images.dtype == np.float32 and test_labels.dtype == np.int32
    assert 0.0 <= train_images.min() and train_images.max() <= 1.0
    assert set(train_labels) <= set(range(10))


def test_without_cache_or_network_the_message_says_what_to_do(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(tfds, "load", offline)
    monkeypatch.setattr(fashion_mnist, "_can_resolve", lambda host: True)
    with pytest.raises(FileNotFoundError) as raised:
        fashion_mnist.load_data()
    message = str(raised.value)
    assert message.startswith("Fashion-MNIST is not in the tensorflow-datasets cache and could not be downloaded")
    assert "Failed to establish a new connection" in message
    assert "connect once" in message and "--data-dir FOLDER" in message
    assert "t10k-images-idx3-ubyte.gz" in message


def test_offline_without_cache_fails_at_once_without_trying_to_download(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    attempts = []

    def not_cached(*args, download=True, **kwargs):
        attempts.append(download)
        raise AssertionError("Dataset fashion_mnist: could not find data in the cache")

    monkeypatch.setattr(tfds, "load", not_cached)
    monkeypatch.setattr(fashion_mnist, "_can_resolve", lambda host: False)
    with pytest.raises(FileNotFoundError, match="no network.*--data-dir FOLDER"):
        fashion_mnist.load_data()
    assert attempts == [False], "only the cache is tried when the download host is unknown"


def test_unknown_splits_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="Unknown split 'validation'"):
        fashion_mnist.load_idx_split(tmp_path, "validation")
    with pytest.raises(ValueError, match="Unknown split 'validation'"):
        fashion_mnist.load_tfds_split("validation")


def test_class_names():
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.CLASS_NAMES[0] == "t-shirt" and fashion_mnist.CLASS_NAMES[9] == "ankle boot"


@pytest.mark.real_data
def test_the_real_files_load(shared_data):
    folder = shared_data / "fashion-mnist"
    if not folder.is_dir():
        pytest.skip(f"Fashion-MNIST not found at {folder}")
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data(folder)
    assert train_images.shape == (60000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert train_images.dtype == test_images.dtype == np.float32
    assert train_labels.dtype == test_labels.dtype == np.int32
    assert train_images.min() == 0.0 and train_images.max() == 1.0
    np.testing.assert_array_equal(np.bincount(train_labels), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(test_labels), [1000] * 10)
