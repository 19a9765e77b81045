"""The fork server: a process that has imported TensorFlow, and forks children.

Importing TensorFlow and Keras takes seconds; forking a process that already
has them takes milliseconds. The server is started by `client.ForkServer` as a
fresh interpreter (so it inherits nothing of the grader's TensorFlow state:
its runtime, logical devices, threads), imports `PRELOAD` without running any
TensorFlow operation, and then serves requests on a socket, one JSON object a
line:

* ``{"op": "spawn", "id": n, "spec": {...}}``: fork a child running
  `child.main(spec)`; answer ``{"op": "spawned", "id": n, "pid": pid}`` or
  ``{"op": "spawn_failed", "id": n, "error": "..."}``. With
  ``spec["pid_namespace"]`` (as root) the child is the first process of a new
  PID namespace: when it ends, the kernel kills every process it left;
* ``{"op": "stop"}`` (or the socket closing): kill the children and exit.

When a child ends the server sends ``{"op": "exited", "pid": pid, "status":
wait status}``. No student code ever runs in the server: a child closes the
server's socket before doing anything else.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
import time

from autograder.sandbox.isolation import CLONE_NEWPID, setns, unshare

PRELOAD = (
    "numpy", "tensorflow", "keras", "autograder.sandbox.harness", "autograder.sandbox.child",
)


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall((json.dumps(message) + "\n").encode())


def _threads() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def _leaked_modules() -> list[str]:
    """Modules loaded here that student code must not be able to read in memory."""
    return sorted(
        name for name in sys.modules
        if name == "solutions" or name.startswith("solutions.")
        or (name.startswith("autograder.") and not name.startswith("autograder.sandbox"))
    )


class _Server:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.children: set[int] = set()
        try:
            self.own_pid_namespace: int | None = os.open("/proc/self/ns/pid", os.O_RDONLY)
        except OSError:
            self.own_pid_namespace = None
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_write, warn_on_full_buffer=False)

    def spawn(self, spec: dict) -> int:
        fresh_namespace = False
        if spec.get("pid_namespace") and self.own_pid_namespace is not None:
            # The next child is the first process (pid 1) of a fresh namespace;
            # afterwards the server goes back to its own (unshare works once).
            try:
                unshare(CLONE_NEWPID)
                fresh_namespace = True
            except OSError:
                pass
        try:
            pid = os.fork()
        finally:
            if fresh_namespace and os.getpid() != 1:
                try:
                    setns(self.own_pid_namespace, CLONE_NEWPID)
                except OSError:  # later children will say they have no PID namespace
                    pass
        if pid == 0:  # the child: forget the server, then never come back
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                self.sock.close()
                if self.own_pid_namespace is not None:
                    os.close(self.own_pid_namespace)
                os.close(self.wake_read)
                os.close(self.wake_write)
                from autograder.sandbox import child

                child.main(spec)
            finally:
                os._exit(71)
        self.children.add(pid)
        return pid

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children.discard(pid)
                _send(self.sock, {"op": "exited", "pid": pid, "status": status})

    def handle(self, message: dict) -> bool:
        """Handles one request; returns False on ``stop``."""
        if message.get("op") == "stop":
            return False
        if message.get("op") == "spawn":
            try:
                pid = self.spawn(message["spec"])
            except OSError as error:
                _send(self.sock, {"op": "spawn_failed", "id": message["id"],
                                  "error": str(error)})
            else:
                _send(self.sock, {"op": "spawned", "id": message["id"], "pid": pid})
        return True

    def serve(self) -> None:
        buffer = b""
        running = True
        while running:
            ready, _, _ = select.select([self.sock, self.wake_read], [], [], 1.0)
            if self.wake_read in ready:
                try:
                    while os.read(self.wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if self.sock not in ready:
                continue
            data = self.sock.recv(1 << 16)
            if not data:
                break
            buffer += data
            while running and b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                running = self.handle(json.loads(line))

    def kill_children(self) -> None:
        for pid in list(self.children):
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            self.children.discard(pid)


def main() -> None:
    """Entry point: ``argv[2]`` is the socket's file descriptor."""
    from autograder.sandbox import isolation

    sock = socket.socket(fileno=int(sys.argv[2]))
    isolation.become_subreaper()
    started = time.monotonic()
    for name in PRELOAD:
        importlib.import_module(name)
    server = _Server(sock)
    _send(sock, {
        "op": "ready", "pid": os.getpid(), "seconds": time.monotonic() - started,
        "threads": _threads(), "leaked": _leaked_modules(),
    })
    try:
        server.serve()
    finally:
        server.kill_children()
        os._exit(0)  # skip TensorFlow's slow interpreter shutdown
