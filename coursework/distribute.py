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
"""

from __future__ import annotations

import tensorflow as tf

_STRATEGIES: dict[tuple[str, ...], tf.distribute.Strategy] = {}


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
        _STRATEGIES[devices] = tf.distribute.MirroredStrategy(devices=list(devices))
    return _STRATEGIES[devices]
