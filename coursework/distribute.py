"""Choosing the `tf.distribute.MirroredStrategy` a process trains under.

`MirroredStrategy` keeps one copy of every variable on each device (a
*replica*), splits each global batch between the replicas, and adds up the
gradients across replicas before every update. On a machine with GPUs it
mirrors over all of them. On a CPU-only machine it uses one device by default;
for tests, and for seeing what the strategy does, the single physical CPU can be
split into several *logical* CPUs, each a replica.

Two TensorFlow rules shape this module:

* logical devices can only be configured before the TensorFlow runtime starts,
  so `configure_cpu_replicas` must run before any op or strategy is created;
* a process should create one `MirroredStrategy` for a given set of devices and
  reuse it: a second one over the same devices breaks its collectives
  (TensorFlow issue #62790). `get_strategy` caches what it creates.

When a course outgrows one machine, `MultiWorkerMirroredStrategy` does the same
across several processes (*workers*), usually one per machine: every worker
holds a copy of the variables and the gradients are added up over the network.
Each worker learns its place in the cluster from the ``TF_CONFIG`` environment
variable (`cluster_config` builds it); worker 0 is the *chief*, the only one
that writes metrics, plots and checkpoints. See docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator

import tensorflow as tf

_STRATEGIES: dict[tuple[str, ...], tf.distribute.Strategy] = {}
_MULTI_WORKER: list[tf.distribute.Strategy] = []


def configure_cpu_replicas(count: int) -> None:
    """Splits the physical CPU into `count` logical CPU devices.

    Call it before TensorFlow runs anything. Asking for no more logical CPUs
    than are already configured does nothing, so a test session can configure
    several up front and runs can then use any number up to that.

    Args:
        count: Number of logical CPUs (at least 1).

    Raises:
        ValueError: If `count` is below 1.
        RuntimeError: If the runtime has already started with fewer logical
            CPUs than `count`.
    """
    if count < 1:
        raise ValueError(f"The number of CPU replicas must be at least 1, got {count}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu) or []
    if len(configured) >= count:
        return
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as error:  # the runtime is already initialized
        raise RuntimeError(
            f"{count} logical CPUs were requested, but TensorFlow has already started "
            f"with {max(len(configured), 1)}. Configure CPU replicas before running any "
            "TensorFlow operation (for tests: in conftest.py's pytest_configure)."
        ) from error


def replica_devices(replicas: int | None = None) -> list[str]:
    """Lists the devices a strategy with `replicas` replicas mirrors over.

    Args:
        replicas: Number of replicas wanted, or None for the default: every GPU
            when there are any, otherwise one CPU.

    Returns:
        Device names such as ``["/gpu:0", "/gpu:1"]`` or ``["/cpu:0"]``.

    Raises:
        ValueError: If `replicas` is below 1 or more than the devices available.
    """
    if replicas is not None and replicas < 1:
        raise ValueError(f"--replicas must be at least 1, got {replicas}.")
    if tf.config.list_physical_devices("GPU"):
        names = [device.name for device in tf.config.list_logical_devices("GPU")]
        if replicas is None:
            return names
        if replicas > len(names):
            raise ValueError(
                f"{replicas} replicas were requested but only {len(names)} GPUs exist."
            )
        return names[:replicas]
    replicas = replicas or 1
    if replicas > 1:
        configure_cpu_replicas(replicas)
    cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
    return cpus[:replicas]


def get_strategy(replicas: int | None = None) -> tf.distribute.MirroredStrategy:
    """Returns the process's `MirroredStrategy` over `replicas` devices.

    The strategy is created on first use and reused afterwards, so every caller
    in a process asking for the same devices shares one strategy.

    Args:
        replicas: Number of replicas, or None for every GPU (one CPU on a
            machine without GPUs). On a CPU-only machine more than one replica
            means that many logical CPUs.

    Returns:
        A `tf.distribute.MirroredStrategy`.

    Raises:
        ValueError: If `replicas` is invalid for this machine.
        RuntimeError: If logical CPUs are requested after TensorFlow started.
    """
    devices = tuple(replica_devices(replicas))
    if devices not in _STRATEGIES:
        with _info_lines_hidden():
            _STRATEGIES[devices] = tf.distribute.MirroredStrategy(devices=list(devices))
    return _STRATEGIES[devices]


@contextlib.contextmanager
def _info_lines_hidden() -> Iterator[None]:
    """Hides TensorFlow's INFO log lines ("Using MirroredStrategy with devices ...").

    Where the root logger shows INFO (a notebook kernel, ``logging.basicConfig``)
    such a line would open every lecture's output; the lecture notebooks print
    the replica count instead. Warnings and errors still show.
    """
    logger = tf.get_logger()
    previous = logger.level
    logger.setLevel(max(previous, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(previous)


def cluster_config(workers: list[str], task_index: int) -> dict:
    """Builds the ``TF_CONFIG`` of one worker of a cluster.

    Args:
        workers: Every worker's ``host:port``, the chief (worker 0) first. All
            workers must be given the same list, in the same order.
        task_index: This worker's position in `workers`.

    Returns:
        The configuration as a dict; ``json.dumps`` it into ``TF_CONFIG``.

    Raises:
        ValueError: If the list is empty, an address is not ``host:port``, or
            `task_index` is out of range.
    """
    if not workers:
        raise ValueError("--cluster needs at least one worker address (host:port,host:port,...).")
    for address in workers:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"Worker address {address!r} is not host:port (e.g. node1:12345).")
    if not 0 <= task_index < len(workers):
        raise ValueError(
            f"--task-index must be between 0 and {len(workers) - 1} for a cluster of "
            f"{len(workers)} workers, got {task_index}."
        )
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": task_index}}


def read_cluster_config() -> dict | None:
    """The ``TF_CONFIG`` of this process, or None when it trains alone.

    Raises:
        ValueError: If ``TF_CONFIG`` is set but is not a worker's configuration.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
        workers = config["cluster"]["worker"]
        task = config["task"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(
            "TF_CONFIG must be JSON like "
            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}'
            f" ({error.__class__.__name__}: {error})."
        ) from error
    if task.get("type") not in ("worker", "chief"):
        raise ValueError(f"TF_CONFIG's task type must be 'worker', got {task.get('type')!r}.")
    cluster_config(workers, int(task.get("index", 0)))  # validates
    return config


def task_index() -> int:
    """This worker's index in its cluster's ``TF_CONFIG`` (0 when it trains alone)."""
    config = read_cluster_config()
    return int(config["task"].get("index", 0)) if config else 0


def get_multi_worker_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """Returns the process's `MultiWorkerMirroredStrategy`, created from ``TF_CONFIG``.

    Every worker of the cluster must call this before creating any variable;
    the call waits until all workers have started. Each worker trains on its
    local devices (its GPUs, or one CPU).

    Raises:
        ValueError: If ``TF_CONFIG`` is missing or malformed.
    """
    if read_cluster_config() is None:
        raise ValueError(
            "Multi-worker training needs TF_CONFIG, or --cluster and --task-index, "
            "or --workers N to start N local workers."
        )
    if not _MULTI_WORKER:
        with _info_lines_hidden():
            _MULTI_WORKER.append(tf.distribute.MultiWorkerMirroredStrategy())
    return _MULTI_WORKER[0]


def worker_count(strategy: tf.distribute.Strategy) -> int:
    """Number of worker processes `strategy` spans (1 for `MirroredStrategy`)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return 1
    return len(resolver.cluster_spec().as_dict().get("worker", [])) or 1


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process is the one that writes results (worker 0, or the only one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or worker_count(strategy) == 1:
        return True
    return resolver.task_type in (None, "chief") or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )


@contextlib.contextmanager
def mixed_precision() -> Iterator[None]:
    """Computes in float16 on GPUs inside the block, keeping float32 variables.

    Inside, Keras's global dtype policy is ``mixed_float16``: ``compile`` wraps
    the optimizer in Keras's `LossScaleOptimizer`, which scales the loss up
    before the gradients are taken (so small float16 gradients do not round to
    zero) and back down before the update. On leaving, the policy that was in
    force before comes back, so later models in the same process (a notebook,
    a second run) are not built in float16 by surprise.

    Raises:
        ValueError: On a machine without GPUs, where float16 is slower, not faster.
    """
    if not tf.config.list_physical_devices("GPU"):
        raise ValueError(
            "--mixed-precision needs a GPU: on a CPU float16 arithmetic is emulated and slower."
        )
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
