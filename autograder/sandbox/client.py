"""The grader's side of the fork server (see `server`): start, spawn, wait, stop.

Thread-safe: any number of grader threads may spawn children and wait for
them at once. Messages from the server are JSON (never pickles), read by one
background thread that wakes whoever waits for them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

STARTUP_TIMEOUT = 300.0
BOOT = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
    "from autograder.sandbox.server import main; main()"
)


class ForkServerError(RuntimeError):
    """The fork server could not be started, or died."""


def server_environment() -> dict[str, str]:
    """The fork server's environment: only what Python and TensorFlow need."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("HOME", "KERAS_BACKEND", "KERAS_HOME"):
        if name in os.environ:
            environment[name] = os.environ[name]
    return environment


class _Exit:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.status: int | None = None


class ForkServer:
    """A running fork server.

    Args:
        log_path: Where the server's own stdout and stderr go.
        startup_timeout: How long starting (importing TensorFlow) may take.
    """

    def __init__(self, log_path: Path, startup_timeout: float = STARTUP_TIMEOUT):
        self.log_path = Path(log_path)
        self.startup_timeout = startup_timeout
        self.info: dict = {}
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._replies: dict[int, tuple[threading.Event, list]] = {}
        self._exits: dict[int, _Exit] = {}
        self._next_id = 0
        self._dead = False
        self._reader: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and not self._dead and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> dict:
        """Starts the server and waits until it has imported TensorFlow.

        Returns:
            The server's ``ready`` message (``pid``, ``seconds``, ``threads``,
            ``leaked``).

        Raises:
            ForkServerError: If it does not get ready within the start-up timeout.
        """
        ours, theirs = socket.socketpair()
        path = [entry or os.getcwd() for entry in sys.path]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-c", BOOT, json.dumps(path), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=server_environment(), cwd="/",
                start_new_session=True,
            )
        theirs.close()
        self._sock = ours
        ours.settimeout(self.startup_timeout)
        buffer = b""
        try:
            while b"\n" not in buffer:
                data = ours.recv(1 << 16)
                if not data:
                    raise ForkServerError(self._failure("exited while starting"))
                buffer += data
        except TimeoutError:
            self._kill()
            raise ForkServerError(
                f"the sandbox fork server did not start within {self.startup_timeout:.0f} s"
            ) from None
        line, rest = buffer.split(b"\n", 1)
        self.info = json.loads(line)
        ours.settimeout(None)
        self._reader = threading.Thread(
            target=self._read, args=(rest,), name="sandbox-fork-server", daemon=True
        )
        self._reader.start()
        return self.info

    def _failure(self, what: str) -> str:
        try:
            tail = self.log_path.read_text(errors="replace")[-1500:]
        except OSError:
            tail = ""
        return f"the sandbox fork server {what}; its log ends with:\n{tail}"

    def _read(self, buffer: bytes) -> None:
        try:
            while True:
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._dispatch(json.loads(line))
                data = self._sock.recv(1 << 16)
                if not data:
                    break
                buffer += data
        except (OSError, ValueError):
            pass
        with self._state_lock:
            self._dead = True
            for event, _ in self._replies.values():
                event.set()
            for record in self._exits.values():
                record.event.set()

    def _dispatch(self, message: dict) -> None:
        with self._state_lock:
            if message["op"] in ("spawned", "spawn_failed"):
                if message["op"] == "spawned":
                    self._exits.setdefault(message["pid"], _Exit())
                event, slot = self._replies.pop(message["id"], (None, None))
                if event is not None:
                    slot.append(message)
                    event.set()
            elif message["op"] == "exited":
                record = self._exits.setdefault(message["pid"], _Exit())
                record.status = message["status"]
                record.event.set()

    def _send(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        with self._send_lock:
            if self._sock is None:
                raise ForkServerError("the sandbox fork server is not running")
            try:
                self._sock.sendall(data)
            except OSError as error:
                raise ForkServerError(f"the sandbox fork server is gone ({error})") from None

    def spawn(self, spec: dict, timeout: float = 60.0) -> int:
        """Forks a child running `child.main(spec)`.

        Returns:
            The child's pid.

        Raises:
            ForkServerError: If the server is gone or could not fork.
        """
        event, slot = threading.Event(), []
        with self._state_lock:
            if self._dead:
                raise ForkServerError(self._failure("has died"))
            self._next_id += 1
            request = self._next_id
            self._replies[request] = (event, slot)
        self._send({"op": "spawn", "id": request, "spec": spec})
        if not event.wait(timeout) or not slot:
            with self._state_lock:
                self._replies.pop(request, None)
            raise ForkServerError(self._failure("did not answer a spawn request"))
        if slot[0]["op"] != "spawned":
            raise ForkServerError(f"the sandbox could not fork: {slot[0].get('error')}")
        return slot[0]["pid"]

    def wait(self, pid: int, timeout: float) -> tuple[bool, int | None]:
        """Waits up to `timeout` for child `pid` to end.

        Returns:
            ``(ended, status)``: the wait status when it ended; ``(True, None)``
            if the server died (the status is lost); ``(False, None)`` if the
            child is still running.
        """
        with self._state_lock:
            record = self._exits.setdefault(pid, _Exit())
        if not record.event.wait(timeout):
            return False, None
        return True, record.status

    def forget(self, pid: int) -> None:
        """Drops what is kept about an ended child."""
        with self._state_lock:
            self._exits.pop(pid, None)

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                os.killpg(self._process.pid, 9)
            except OSError:
                self._process.kill()
            self._process.wait()

    def close(self, timeout: float = 10.0) -> None:
        """Stops the server; it kills its children first."""
        if self._process is None:
            return
        try:
            self._send({"op": "stop"})
        except ForkServerError:
            pass
        deadline = time.monotonic() + timeout
        while self._process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self._kill()
        if self._sock is not None:
            with self._send_lock:
                self._sock.close()
                self._sock = None
        if self._reader is not None:
            self._reader.join(timeout=5)
