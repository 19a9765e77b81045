"""Input pipelines with `tf.data`, shared by every lecture.

Every lecture feeds its model the same way, whichever training path it uses:

1. ``from_tensor_slices`` over in-memory arrays, then ``cache`` so the
   conversion happens once;
2. ``shuffle`` *before* ``batch`` (shuffling batches would keep the same
   examples together every epoch), reshuffled each epoch from a fixed seed;
3. ``batch`` with the **global** batch size: under a strategy with R replicas
   each replica receives ``batch_size / R`` examples, so the global batch size is
   the per-replica batch size times the number of replicas. With more than one
   replica the last, smaller batch is dropped (``drop_remainder``), because a
   replica that receives no examples breaks some gradients (Conv2D's among them);
4. ``prefetch`` so the next batch is prepared while the current one trains;
   the scratch loop also keeps two batches per replica ready on the devices
   (`coursework.training.train_scratch`), so with more GPUs no replica waits.

Under `MultiWorkerMirroredStrategy` each worker builds the same pipeline and
keeps its own share of every global batch (`coursework.training.shard_between_workers`).
"""

from __future__ import annotations

import tensorflow as tf


def per_replica_batch_size(batch_size: int, num_replicas: int) -> int:
    """Splits a global batch size between replicas.

    Args:
        batch_size: Global batch size (examples per training step).
        num_replicas: Number of replicas in sync.

    Returns:
        The number of examples each replica receives per step.

    Raises:
        ValueError: If `batch_size` is not a positive multiple of `num_replicas`.
    """
    if batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {batch_size}.")
    if batch_size % num_replicas:
        raise ValueError(
            f"The batch size {batch_size} is the global batch size and must be a multiple of "
            f"the number of replicas ({num_replicas}), so each replica gets the same share."
        )
    return batch_size // num_replicas


def make_dataset(
    features,
    labels,
    batch_size: int,
    *,
    num_replicas: int = 1,
    training: bool = True,
    seed: int = 0,
) -> tf.data.Dataset:
    """Builds the batched input pipeline for in-memory arrays.

    Args:
        features: Array-like of examples, first axis the example index.
        labels: Array-like of targets with the same first dimension.
        batch_size: Global batch size.
        num_replicas: Replicas the batches will be split between.
        training: For training data, reshuffle every epoch and, with more than
            one replica, drop the last incomplete batch. For evaluation data,
            keep the order and every example.
        seed: Seed of the shuffle order, for reproducible runs.

    Returns:
        A `tf.data.Dataset` of ``(features, labels)`` batches.

    Raises:
        ValueError: If the arrays disagree in length, are empty, or the batch
            size does not split evenly between the replicas.
    """
    per_replica_batch_size(batch_size, num_replicas)
    num_examples = len(features)
    if num_examples != len(labels):
        raise ValueError(
            f"features has {num_examples} examples but labels has {len(labels)}."
        )
    if num_examples == 0:
        raise ValueError("Cannot build a dataset from zero examples.")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).cache()
    if training:
        dataset = dataset.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=training and num_replicas > 1)
    return dataset.prefetch(tf.data.AUTOTUNE)


def count_examples(dataset: tf.data.Dataset) -> int:
    """Counts the examples in one pass over a batched ``(features, labels)`` dataset.

    Args:
        dataset: A finite dataset of batches.

    Returns:
        The number of examples one epoch trains on.
    """
    return int(dataset.reduce(0, lambda count, batch: count + tf.shape(batch[0])[0]))
