"""The real `spstui --demo`, started in a pseudo-terminal, paints its first page."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[\]P^_].*?(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")


def test_demo_paints_the_first_page_in_a_real_terminal() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "45"})
        os.execv(sys.executable, [sys.executable, "-m", "spstui", "--demo"])
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
        seen = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
            text = ANSI.sub(b"", seen).decode("utf-8", "replace")
            if re.search(r"1–500 of [\d,]+", text):
                break
        text = ANSI.sub(b"", seen).decode("utf-8", "replace")
        assert re.search(r"1–500 of [\d,]+", text), text[-2000:]
        assert "start (UTC)" in text
        os.write(fd, b"q")
        # Keep reading while it quits, as a terminal would: an app whose output fills
        # the pseudo-terminal's buffer blocks on the write and never sees the key.
        deadline = time.monotonic() + 10
        while not os.waitpid(pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                raise AssertionError("q did not quit the app")
            if select.select([fd], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
