"""Labelled text for classification: IMDB movie reviews and AG News.

* **IMDB** (Maas et al., 2011): 25,000 training and 25,000 test movie reviews,
  each labelled negative (0) or positive (1), half of each in every split. It
  comes from tensorflow-datasets (``imdb_reviews``) by default, or from a
  folder with the official ``aclImdb`` layout (``--data-dir``): one text file
  per review in ``train/pos``, ``train/neg``, ``test/pos`` and ``test/neg``.
* **AG News** (Zhang et al., 2015): news descriptions in four topics (World,
  Sports, Business, Sci/Tech), 120,000 for training and 7,600 for testing,
  through tensorflow-datasets (``ag_news_subset``).

Either way a data set is two `TextSplit`s of Python strings and int32 labels;
turning words into numbers is the model's first layer (`TextVectorization`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np


class TextSplit(NamedTuple):
    """One split of a labelled text data set."""

    texts: list[str]
    labels: np.ndarray  # int32, shape (n,)


class TextDataset(NamedTuple):
    """What a text-classification data set is made of."""

    name: str
    tfds_name: str
    class_names: tuple[str, ...]
    download_host: str


DATASETS = {
    "imdb": TextDataset(
        "imdb", "imdb_reviews", ("negative", "positive"), "ai.stanford.edu"
    ),
    "ag_news": TextDataset(
        "ag_news", "ag_news_subset", ("World", "Sports", "Business", "Sci/Tech"),
        "storage.googleapis.com",
    ),
}
"""The data sets the text-classification lecture can train on, by name."""

ACLIMDB_CLASSES = ("neg", "pos")
"""The class folders of the aclImdb layout, in label order."""


# ---------------------------------------------------------------------------
# IMDB from a folder in the official aclImdb layout.
# ---------------------------------------------------------------------------
def load_aclimdb_split(data_dir: str | Path, split: str) -> TextSplit:
    """Reads one split of IMDB from an ``aclImdb`` folder.

    Args:
        data_dir: The ``aclImdb`` folder (or one that holds it).
        split: "train" or "test".

    Returns:
        The reviews, in file-name order, negative ones first, with labels 0
        (negative) and 1 (positive).

    Raises:
        FileNotFoundError: If a class folder is missing or empty.
        ValueError: If `split` is unknown or a review is not UTF-8 text.
    """
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    root = Path(data_dir)
    if not (root / split).is_dir() and (root / "aclImdb" / split).is_dir():
        root = root / "aclImdb"
    texts: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(ACLIMDB_CLASSES):
        folder = root / split / name
        files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
        if not files:
            raise FileNotFoundError(
                f"{folder} has no reviews. --data-dir must be the official aclImdb folder, with "
                "the reviews as text files in train/pos, train/neg, test/pos and test/neg "
                "(download aclImdb_v1.tar.gz from ai.stanford.edu/~amaas/data/sentiment/), or "
                "leave out --data-dir to load IMDB through tensorflow-datasets."
            )
        for path in files:
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as error:
                raise ValueError(f"{path} is not UTF-8 text: {error}.") from error
            labels.append(label)
    return TextSplit(texts, np.asarray(labels, np.int32))


def write_aclimdb(reviews, folder: str | Path) -> Path:
    """Writes reviews as an ``aclImdb`` folder, one text file per review.

    Handy for a small folder in tests, or to turn another copy of IMDB into the
    official layout.

    Args:
        reviews: Dicts with ``path`` (e.g. ``"train/pos/0_9.txt"``, relative to
            the folder) and ``text``.
        folder: The ``aclImdb`` folder to write; created if needed.

    Returns:
        The folder.

    Raises:
        ValueError: If a path is not of the form SPLIT/CLASS/NAME.txt.
    """
    folder = Path(folder)
    for review in reviews:
        parts = Path(review["path"]).parts
        if (
            len(parts) != 3 or parts[0] not in ("train", "test") or parts[1] not in ACLIMDB_CLASSES
            or not parts[2].endswith(".txt")
        ):
            raise ValueError(
                f"{review['path']!r} is not an aclImdb review path such as train/pos/0_9.txt."
            )
        path = folder.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(review["text"], encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------
# tensorflow-datasets: the default source.
# ---------------------------------------------------------------------------
def _can_resolve(host: str) -> bool:
    """Whether `host` has an address (a quick test for a network connection)."""
    import socket

    try:
        return bool(socket.getaddrinfo(host, 80))
    except OSError:
        return False


def load_tfds_split(dataset: TextDataset, split: str, tfds_dir: str | None = None) -> TextSplit:
    """Loads one split of a text data set through tensorflow-datasets.

    The cache is read first; only when the data set is not there is it
    downloaded, and without a network that fails at once.

    Args:
        dataset: One of `DATASETS`.
        split: "train" or "test".
        tfds_dir: The tensorflow-datasets cache folder, None for its default.

    Returns:
        The texts as Python strings and their int32 labels.

    Raises:
        FileNotFoundError: If the data set is not cached and cannot be
            downloaded; the message says what to do instead.
    """
    import tensorflow_datasets as tfds

    def load(download: bool):
        data = tfds.load(
            dataset.tfds_name, split=split, as_supervised=True, batch_size=10_000,
            data_dir=tfds_dir, download=download,
        )
        return list(tfds.as_numpy(data))

    try:
        try:
            batches = load(download=False)
        except Exception:  # noqa: BLE001 - not cached (or cached badly): download
            if not _can_resolve(dataset.download_host):
                host = dataset.download_host
                raise ConnectionError(f"cannot resolve {host}; no network") from None
            batches = load(download=True)
    except Exception as error:  # network, cache and installation problems alike
        instead = (
            " or pass --data-dir FOLDER with the official aclImdb layout" if dataset.name == "imdb"
            else ""
        )
        raise FileNotFoundError(
            f"{dataset.tfds_name} is not in the tensorflow-datasets cache and could not be "
            f"downloaded: {type(error).__name__}: {error}. Connect once to download it (it is "
            f"cached in {tfds_dir or '~/tensorflow_datasets'} afterwards){instead}."
        ) from error
    texts = [text.decode("utf-8") for batch, _ in batches for text in batch]
    labels = np.concatenate([labels for _, labels in batches]) if batches else np.zeros(0)
    return TextSplit(texts, labels.astype(np.int32))


def load_dataset(
    name: str = "imdb", data_dir: str | Path | None = None
) -> tuple[TextSplit, TextSplit]:
    """Loads the training and test splits of a text data set.

    Args:
        name: A key of `DATASETS`: "imdb" or "ag_news".
        data_dir: For IMDB, an ``aclImdb`` folder to read instead of
            tensorflow-datasets.

    Returns:
        ``(train, test)`` `TextSplit`s.

    Raises:
        ValueError: If the data set is unknown, or a folder is given for AG News.
        FileNotFoundError: If the data cannot be found.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; use one of {', '.join(DATASETS)}.")
    if data_dir is not None:
        if name != "imdb":
            raise ValueError(
                f"--data-dir is for IMDB's aclImdb folder; {name} comes from tensorflow-datasets."
            )
        if not Path(data_dir).is_dir():
            raise FileNotFoundError(f"The data folder {data_dir} does not exist.")
        return load_aclimdb_split(data_dir, "train"), load_aclimdb_split(data_dir, "test")
    dataset = DATASETS[name]
    return load_tfds_split(dataset, "train"), load_tfds_split(dataset, "test")
