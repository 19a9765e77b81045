"""Fashion-MNIST: 70,000 grayscale 28×28 images of clothing in 10 classes.

Zalando's Fashion-MNIST is a drop-in replacement for the MNIST digits that is
harder to classify: 60,000 training and 10,000 test images, 6,000 and 1,000 of
each class. The lectures on softmax regression and multilayer perceptrons train
on the training split and report their accuracy on the official test split.

The data comes from one of two places:

* **tensorflow-datasets** (the default): ``tfds.load("fashion_mnist")``
  downloads the data once into ``~/tensorflow_datasets`` and reads it from
  there afterwards, also without a network;
* **a folder of IDX files** (``coursework train ... --data-dir FOLDER``): the
  four files the dataset is published as, ``train-images-idx3-ubyte.gz``,
  ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
  ``t10k-labels-idx1-ubyte.gz``, e.g. the folder Keras caches them in,
  ``~/.keras/datasets/fashion-mnist``. The IDX format is simple enough to parse
  with NumPy: see `read_idx`.

Either way `load_data` returns NumPy arrays: images as float32 scaled to
[0, 1], shape (n, 28, 28), and labels as int32 class indices 0–9 (their names
are `CLASS_NAMES`).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

CLASS_NAMES = (
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
"""The names of the 10 classes, indexed by label."""

NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SHAPE = (28, 28)

IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""For each split, the names of its image file and its label file."""

IMAGES_MAGIC = 2051
"""Magic number of an IDX file of unsigned bytes with 3 dimensions (images)."""
LABELS_MAGIC = 2049
"""Magic number of an IDX file of unsigned bytes with 1 dimension (labels)."""

_DOWNLOAD_HINT = (
    "Download the four Fashion-MNIST files again (github.com/zalandoresearch/fashion-mnist, "
    "or let Keras cache them in ~/.keras/datasets/fashion-mnist)."
)

Split = tuple[np.ndarray, np.ndarray]
"""``(images, labels)``: float32 (n, 28, 28) in [0, 1] and int32 (n,)."""


# ---------------------------------------------------------------------------
# The IDX format: a big-endian header, then the values as raw bytes.
# ---------------------------------------------------------------------------
def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Reads one IDX file of unsigned bytes, gzipped or not.

    An IDX file starts with a 4-byte big-endian *magic number*: two zero bytes,
    a type code (``0x08`` for unsigned bytes) and the number of dimensions d.
    Then come d big-endian 4-byte sizes, then the values in row-major order.
    So ``2051 = 0x00000803`` announces 3-dimensional unsigned bytes (images),
    ``2049 = 0x00000801`` 1-dimensional unsigned bytes (labels).

    Args:
        path: The file; names ending in ``.gz`` are decompressed.
        magic: The magic number the file must have, `IMAGES_MAGIC` or
            `LABELS_MAGIC`.

    Returns:
        A uint8 array with the shape the header announces.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not valid gzip, has another magic number,
            or holds more or fewer values than its header announces.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. {_DOWNLOAD_HINT}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                content = stream.read()
        else:
            content = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
        raise ValueError(
            f"{path} is corrupt or truncated: it could not be decompressed ({error}). "
            f"{_DOWNLOAD_HINT}"
        ) from error
    if len(content) < 4:
        raise ValueError(
            f"{path} is too short to be an IDX file ({len(content)} bytes). {_DOWNLOAD_HINT}"
        )
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        raise ValueError(
            f"{path} is not the IDX file expected: its magic number is {found}, not {magic} "
            f"(unsigned bytes in {magic & 0xFF} dimensions). Is it the right file, and is it "
            f"intact? {_DOWNLOAD_HINT}"
        )
    num_dimensions = magic & 0xFF
    header_size = 4 + 4 * num_dimensions
    if len(content) < header_size:
        raise ValueError(f"{path} is truncated: its header is incomplete. {_DOWNLOAD_HINT}")
    shape = tuple(int(size) for size in np.frombuffer(content, ">u4", num_dimensions, offset=4))
    expected = int(np.prod(shape))
    actual = len(content) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "longer than its header says"
        raise ValueError(
            f"{path} is {problem}: its header announces shape {shape}, that is {expected} "
            f"values, but it holds {actual}. {_DOWNLOAD_HINT}"
        )
    return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape)


def write_idx(path: str | Path, values: np.ndarray) -> Path:
    """Writes a uint8 array as an IDX file, gzipped when `path` ends in ``.gz``.

    The inverse of `read_idx`; handy for making a small data folder for tests.

    Args:
        path: The file to write; parent folders are created.
        values: An array of integers in 0–255 with 1 to 255 dimensions.

    Returns:
        The path written.

    Raises:
        ValueError: If `values` has no dimension or values outside 0–255.
    """
    values = np.asarray(values)
    if values.ndim < 1:
        raise ValueError("An IDX file needs an array with at least one dimension.")
    if values.size and (values.min() < 0 or values.max() > 255):
        raise ValueError("IDX unsigned-byte files hold values from 0 to 255 only.")
    header = bytes([0, 0, 0x08, values.ndim]) + np.asarray(values.shape, ">u4").tobytes()
    content = header + values.astype(np.uint8).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        content = gzip.compress(content)
    path.write_bytes(content)
    return path


def load_idx_split(data_dir: str | Path, split: str) -> Split:
    """Loads one split of Fashion-MNIST from its two IDX files.

    Args:
        data_dir: The folder holding the files named in `IDX_FILES` (their
            uncompressed versions, without ``.gz``, are accepted too).
        split: "train" or "test".

    Returns:
        ``(images, labels)``: float32 (n, 28, 28) in [0, 1] and int32 (n,).

    Raises:
        FileNotFoundError: If a file is missing.
        ValueError: If `split` is unknown or a file is corrupt or inconsistent.
    """
    if split not in IDX_FILES:
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    data_dir = Path(data_dir)
    images_path, labels_path = (_find_file(data_dir, name) for name in IDX_FILES[split])
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{images_path} holds images of {images.shape[1]}×{images.shape[2]} pixels; "
            f"Fashion-MNIST's are 28×28."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} "
            "labels; the two files must come from the same split."
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(
            f"{labels_path} has label {labels.max()}; Fashion-MNIST's labels are 0 to 9."
        )
    return _scale(images), labels.astype(np.int32)


def _find_file(data_dir: Path, name: str) -> Path:
    """The gzipped file `name` in `data_dir`, or else its uncompressed twin."""
    for candidate in (data_dir / name, data_dir / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    all_names = ", ".join(name for pair in IDX_FILES.values() for name in pair)
    raise FileNotFoundError(
        f"{data_dir / name} does not exist. The data folder must hold the four Fashion-MNIST "
        f"IDX files {all_names}. {_DOWNLOAD_HINT} Or leave out --data-dir to load Fashion-MNIST "
        "through tensorflow-datasets."
    )


def _scale(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0–255 to float32 in [0, 1]."""
    return images.astype(np.float32) / 255.0


# ---------------------------------------------------------------------------
# tensorflow-datasets: the default source.
# ---------------------------------------------------------------------------
DOWNLOAD_HOST = "fashion-mnist.s3-website.eu-central-1.amazonaws.com"
"""Where tensorflow-datasets downloads Fashion-MNIST from."""


def _can_resolve(host: str) -> bool:
    """Whether `host` has an address (a quick test for a network connection)."""
    import socket

    try:
        return bool(socket.getaddrinfo(host, 80))
    except OSError:
        return False


def load_tfds_split(split: str, tfds_dir: str | None = None) -> Split:
    """Loads one split of Fashion-MNIST through tensorflow-datasets.

    The first call downloads and prepares the data set (about 30 MB); later
    calls read it from the local cache, also without a network.

    Args:
        split: "train" or "test".
        tfds_dir: The tensorflow-datasets cache folder, None for its default
            (``~/tensorflow_datasets`` or ``$TFDS_DATA_DIR``).

    Returns:
        ``(images, labels)``: float32 (n, 28, 28) in [0, 1] and int32 (n,).

    Raises:
        ValueError: If `split` is unknown.
        FileNotFoundError: If the data set is not cached and cannot be
            downloaded; the message says what to do instead.
    """
    if split not in IDX_FILES:
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    import tensorflow_datasets as tfds

    def load(download: bool):
        # Whole batches of 10,000 rather than batch_size=-1: the same result,
        # and it also works on tfds.testing.mock_data's generated examples.
        dataset = tfds.load(
            "fashion_mnist", split=split, as_supervised=True, batch_size=10_000,
            data_dir=tfds_dir, download=download,
        )
        return list(tfds.as_numpy(dataset))

    try:
        try:
            batches = load(download=False)  # the cache, without touching the network
        except Exception:  # noqa: BLE001 - not cached (or cached badly): download
            if not _can_resolve(DOWNLOAD_HOST):  # offline: fail now, not after minutes of retries
                raise ConnectionError(f"cannot resolve {DOWNLOAD_HOST}; no network") from None
            batches = load(download=True)
    except Exception as error:  # network, cache and installation problems alike
        all_names = ", ".join(name for pair in IDX_FILES.values() for name in pair)
        raise FileNotFoundError(
            "Fashion-MNIST is not in the tensorflow-datasets cache and could not be "
            f"downloaded: {type(error).__name__}: {error}. Either connect once to download it "
            f"(it is cached in {tfds_dir or '~/tensorflow_datasets'} afterwards), or pass "
            f"--data-dir FOLDER with the four IDX files {all_names} (for example "
            "~/.keras/datasets/fashion-mnist, where keras.datasets.fashion_mnist.load_data() "
            "puts them)."
        ) from error
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    return _scale(images.reshape(-1, *IMAGE_SHAPE)), labels.astype(np.int32)


def load_data(data_dir: str | Path | None = None) -> tuple[Split, Split]:
    """Loads Fashion-MNIST's training and test splits.

    Args:
        data_dir: A folder with the four IDX files, or None to use
            tensorflow-datasets.

    Returns:
        ``((train_images, train_labels), (test_images, test_labels))``, images
        float32 (n, 28, 28) in [0, 1], labels int32 (n,).

    Raises:
        FileNotFoundError: If the data cannot be found; the message says how
            to get it.
        ValueError: If a data file is corrupt.
    """
    if data_dir is None:
        return load_tfds_split("train"), load_tfds_split("test")
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"The data folder {data_dir} does not exist.")
    return load_idx_split(data_dir, "train"), load_idx_split(data_dir, "test")
