"""The demo appliance in a process of its own, for `spstui --demo`.

The app and the simulator both have start-up work to do (imports; 20,000 sessions to
generate). Run side by side they overlap on two cores, and the first page arrives
sooner than if one waited for the other. The socket is bound here, before the child
starts, so the URL is known at once and requests simply queue until it serves.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO


class DemoProcess:
    """`python -m spstui.simulator` serving on a loopback port chosen by the system."""

    def __init__(self, log: Path | None = None) -> None:
        listening = socket.create_server(("127.0.0.1", 0), backlog=128)
        with listening:
            host, port = listening.getsockname()[:2]
            self.url = f"http://{host}:{port}"
            self._log: IO[bytes] | None = None
            if log is not None:
                with contextlib.suppress(OSError):
                    log.parent.mkdir(parents=True, exist_ok=True)
                    self._log = log.open("ab")
            fd = listening.fileno()
            # Its own session: a Ctrl+C meant for the app never reaches it. Its output
            # goes to the log, never into the app's screen.
            self._child = subprocess.Popen(
                [sys.executable, "-m", "spstui.simulator", str(fd)], pass_fds=(fd,),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=self._log or subprocess.DEVNULL, start_new_session=True)
        self._stopping = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        """Stop the simulator and wait until it has gone; once stopped, this does nothing
        (whoever started it stops it again on the way out)."""
        with self._stopping:
            if not self._stopped:
                self._stop()
                # Only now: a stop that was interrupted is done again by the next one.
                self._stopped = True

    def stop_soon(self) -> None:
        """Stop it from a thread of its own: the caller (the app) goes on meanwhile."""
        threading.Thread(target=self.stop, name="demo-stop", daemon=True).start()

    def _stop(self) -> None:
        child = self._child
        try:
            if child.stdin is not None:
                with contextlib.suppress(OSError):
                    child.stdin.close()
            child.terminate()  # nothing of it needs saving
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)
        finally:
            # Not gone in time, or the wait was interrupted (Ctrl+C): in a session of its
            # own, nothing else would ever end it.
            if child.poll() is None:
                child.kill()
                child.wait()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> DemoProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
