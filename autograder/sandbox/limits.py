"""The limits student code runs under: one frozen type, defined once.

`Limits` holds every limit of a `autograder.sandbox.Sandbox`. The sandbox
derives what each part needs from it: the watcher of one attempt gets a copy
with the time limit of each of its calls (`for_calls`), the submission's
time budget reads the same object, and the child process gets the numbers it
enforces itself (`child_settings`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

WALL_FACTOR = 10.0
"""Each time limit counts CPU seconds; in wall-clock time a phase may take this many times more."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Every limit of the sandbox (seconds are CPU seconds of the whole submission).

    Attributes:
        case_timeout: Seconds one call may take, unless the call sets its own
            (`autograder.sandbox.Call.timeout`, from the spec's per-function limit).
        submission_timeout: Seconds the whole submission may take, restarts included.
        load_timeout: Seconds running the submission's top-level code may take.
        memory_limit_mb: Memory of all the submission's processes together.
        output_cap: Characters of the student's output kept.
        result_limit_mb: Largest result of one call (arrays included).
        process_limit: Most processes and threads a submission may have (as root).
        poll_interval: Seconds between two looks at a running child.
        cpu_cores: CPU quota of one submission, in cores.
        wall_factor: How many times its CPU-time limit a phase may take in wall time.
        call_timeouts: The time limit of each call of one attempt (set by `for_calls`).
    """

    case_timeout: float = 10.0
    submission_timeout: float = 120.0
    load_timeout: float = 30.0
    memory_limit_mb: int = 4096
    output_cap: int = 20_000
    result_limit_mb: int = 512
    process_limit: int = 256
    poll_interval: float = 0.05
    cpu_cores: float = 1.0
    wall_factor: float = WALL_FACTOR
    call_timeouts: tuple[float, ...] = ()

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "call_timeouts" and not (
                isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            ):
                raise ValueError(f"{field.name} must be positive, got {value!r}")
        if not all(timeout > 0 for timeout in self.call_timeouts):
            raise ValueError(f"call_timeouts must be positive, got {self.call_timeouts!r}")
        object.__setattr__(self, "wall_factor", max(1.0, float(self.wall_factor)))
        object.__setattr__(self, "call_timeouts", tuple(float(t) for t in self.call_timeouts))

    @property
    def result_limit_bytes(self) -> int:
        """`result_limit_mb` in bytes."""
        return int(self.result_limit_mb) * 2**20

    def call_timeout(self, timeout: float | None) -> float:
        """The limit of a call with its own `timeout` (None: `case_timeout`)."""
        return float(timeout) if timeout is not None else float(self.case_timeout)

    def for_calls(self, timeouts: Sequence[float | None]) -> Limits:
        """These limits with the time limit of each call of an attempt."""
        return dataclasses.replace(self, call_timeouts=tuple(map(self.call_timeout, timeouts)))
