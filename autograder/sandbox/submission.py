"""What is known about one submission across its child processes ("attempts").

A submission may need several attempts: after a call times out or takes its
process down, a fresh child loads the submission again and goes on with the
next call; after top-level code hangs, dies or eats all memory, a fresh child
loads the submission without that statement. `SubmissionState` takes in each
attempt's `Outcome`, decides whether another attempt is needed, and finally
sums everything up as a `SubmissionRun`.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograder.sandbox.attempt import Outcome, describe_status
from autograder.sandbox.limits import Limits
from autograder.sandbox.protocol import Call, CallResult, Chunk, SubmissionRun


def time_limit_message(limit: float, wall_clock: bool, wall_factor: float) -> str:
    """Says which time limit was reached: CPU time, or the wall-clock ceiling above it."""
    if wall_clock:
        return (f"took longer than {limit * wall_factor:g} s of wall-clock time (it was "
                f"waiting, not computing; the limit is {limit:g} s of CPU time)")
    return f"took longer than {limit:g} s of CPU time"


class SubmissionState:
    """Results, notes and output of one submission, gathered attempt by attempt.

    Args:
        chunks: The submission's source.
        calls: The calls to make.
        deadline: `time.monotonic` deadline of the whole submission.
        budget: The limits, for messages and the output cap.
    """

    def __init__(self, chunks: Sequence[Chunk], calls: Sequence[Call], deadline: float,
                 budget: Limits):
        self.chunks = list(chunks)
        self.calls = list(calls)
        self.deadline = deadline
        self.budget = budget
        self.results: list[CallResult | None] = [None] * len(self.calls)
        self.skips: dict[tuple[int, int], str] = {}
        self.next_call = 0
        self.load_errors: list[str] | None = None
        self.outputs: list[tuple[str, int]] = []
        self.notes: list[str] = []
        self.isolation: list[str] | None = None
        self.missing_limits: list[str] = []
        self.attempts = 0
        self.cpu_seconds = 0.0

    def job(self) -> dict:
        """The job of the next attempt (see `child`)."""
        return {
            "chunks": [[chunk.label, chunk.code] for chunk in self.chunks],
            "calls": [
                {"function": call.function, "args": tuple(call.args), "kwargs": dict(call.kwargs),
                 "adapter": call.adapter, "options": dict(call.options), "timeout": call.timeout}
                for call in self.calls
            ],
            "first_call": self.next_call,
            "settled_calls": [index for index in range(self.next_call, len(self.calls))
                              if self.results[index] is not None],
            "skips": [[chunk, statement, message]
                      for (chunk, statement), message in self.skips.items()],
        }

    def settled(self) -> set[int]:
        """The calls from `next_call` on that already have their result (not to run)."""
        return {index for index in range(self.next_call, len(self.calls))
                if self.results[index] is not None}

    def _name(self, index: int) -> str:
        return f"call {index + 1} ({self.calls[index].function})"

    def _advance(self) -> None:
        while self.next_call < len(self.calls) and self.results[self.next_call] is not None:
            self.next_call += 1

    def give_up(self, status: str, error: str) -> None:
        """Gives every call without a result `status` and `error`."""
        for index, result in enumerate(self.results):
            if result is None:
                self.results[index] = CallResult(status, error=error)
        self.next_call = len(self.calls)

    def absorb(self, outcome: Outcome) -> bool:
        """Takes in an attempt's outcome.

        Returns:
            Whether another attempt is needed.
        """
        self.attempts += 1
        self.cpu_seconds += outcome.cpu_seconds
        self.outputs.append((outcome.output, outcome.output_more))
        if self.isolation is None:
            self.isolation = outcome.isolation
            self.missing_limits = list(outcome.missing_limits)
        if outcome.load_errors is not None:
            self.load_errors = outcome.load_errors
        for index, result in outcome.results.items():
            if self.results[index] is None:  # never overrule what the grader settled
                self.results[index] = result
        self._advance()
        loaded = outcome.load_errors is not None
        current = self.next_call if loaded and self.next_call < len(self.calls) else None
        if outcome.reason == "spawn_failed":
            self.give_up("crashed", f"the sandbox could not start a process: {outcome.message}")
            self.notes.append(f"sandbox failure: {outcome.message}")
            return False
        if outcome.reason == "budget":
            self.out_of_time(current, outcome)
            return False
        if outcome.progress.phase == "start" and not loaded:
            lines = outcome.log.strip().splitlines()
            detail = lines[-1] if lines else describe_status(outcome.status)
            self.give_up("crashed", f"the sandbox could not set up: {detail}")
            self.notes.append("sandbox set-up failed: " + outcome.log.strip()[-1500:])
            return False
        if not loaded:
            return self._skip_statement(outcome)
        if current is None:  # every call has its result
            return False
        what = self._call_failure(outcome, current)
        if self.next_call < len(self.calls):
            self.notes.append(f"restarted after {self._name(current)} {what}")
            return True
        return False

    def _call_failure(self, outcome: Outcome, current: int) -> str:
        """Records the result of the call an attempt stopped in; says what happened."""
        seconds = outcome.seconds_in_phase
        if outcome.reason == "call_timeout":
            limit = self.budget.call_timeout(self.calls[current].timeout)
            error = time_limit_message(limit, outcome.wall_clock, self.budget.wall_factor)
            result = CallResult("timeout", error=error, seconds=seconds)
            what = "timed out"
            self._skip_rest_of(current, f"skipped: an earlier case of the same function {error}")
        elif outcome.reason == "memory":
            result = CallResult("crashed", error=outcome.message, seconds=seconds)
            what = "used too much memory"
        elif outcome.reason == "server_died":
            result = CallResult("crashed", error="the sandbox's fork server died")
            what = "was interrupted by the fork server's death"
        else:
            how = describe_status(outcome.status)
            result = CallResult("crashed", error=f"{how} during the call", seconds=seconds)
            what = f"crashed ({how})"
        self.results[current] = result
        self._advance()
        return what

    def _skip_rest_of(self, current: int, error: str) -> None:
        """Settles the later calls of the same function as not run.

        A function that hung once would most likely hang again; waiting out its
        time limit for each of its other cases would only delay the grading.
        """
        function = self.calls[current].function
        for index in range(current + 1, len(self.calls)):
            if self.calls[index].function == function and self.results[index] is None:
                self.results[index] = CallResult("not_run", error=error)

    def _skip_statement(self, outcome: Outcome) -> bool:
        """Marks the top-level statement an attempt stopped in to be skipped."""
        chunk, statement, line = outcome.progress.numbers
        if outcome.progress.phase != "load" or chunk >= len(self.chunks) or (
            (chunk, statement) in self.skips
        ):
            self.give_up("crashed", "loading the submission failed: "
                                    f"{describe_status(outcome.status)}")
            return False
        where = f"line {line} of {self.chunks[chunk].label}"
        if outcome.reason == "load_timeout":
            why = time_limit_message(self.budget.load_timeout, outcome.wall_clock,
                                     self.budget.wall_factor)
            self.notes.append(
                f"load {why}; top-level code was stopped ({where}) and skipped on a fresh start"
            )
        else:
            why = (outcome.message if outcome.reason == "memory"
                   else f"took the process down ({describe_status(outcome.status)})")
            self.notes.append(f"top-level code at {where} {why}; it was skipped on a fresh start")
        self.skips[(chunk, statement)] = f"top-level code stopped at line {line}: {why}"
        return True

    def out_of_time(self, current: int | None, outcome: Outcome | None = None) -> None:
        """Ends the submission because its time budget ran out."""
        budget = f"the submission's time budget of {self.budget.submission_timeout:g} s ran out"
        if current is not None:
            self.results[current] = CallResult(
                "timeout", error=budget,
                seconds=outcome.seconds_in_phase if outcome is not None else 0.0,
            )
        left = sum(result is None for result in self.results)
        if self.load_errors is None:
            self.notes.append(f"{budget} while loading the submission")
            self.give_up("not_run", f"not run: {budget} while loading the submission")
        else:
            if left:
                self.notes.append(f"{budget}; {left} call(s) not run")
            self.give_up("not_run", f"not run: {budget}")

    def _output(self) -> str:
        cap = self.budget.output_cap
        output = "\n".join(text for text, _ in self.outputs if text)
        more = sum(count for _, count in self.outputs)
        if len(output) > cap:
            more += len(output) - cap
            output = output[:cap]
        if more:
            output += f"\n[... {more} more characters cut]"
        return output

    def summary(self, seconds: float, isolation: list[str]) -> SubmissionRun:
        """Everything gathered, as a `SubmissionRun`.

        Args:
            seconds: Wall time of the whole submission.
            isolation: The grader's own lines about isolation, after the child's.
        """
        load_errors = self.load_errors
        if load_errors is None:  # no load finished: say what is known
            load_errors = [f"{self.chunks[chunk].label}: {message}"
                           for (chunk, _), message in sorted(self.skips.items())]
            load_errors.append("loading the submission did not finish")
        child_isolation = self.isolation or [
            "isolation report missing: the sandbox did not write it, or the student code "
            "removed it"
        ]
        return SubmissionRun(
            load_errors=list(load_errors),
            calls=[result or CallResult("not_run", error="not run") for result in self.results],
            output=self._output(), seconds=seconds, notes=self.notes,
            isolation=[*child_isolation, *isolation],
        )
