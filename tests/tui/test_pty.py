"""The real `spstui`, started in a pseudo-terminal: it paints its first page, and
starts again on another profile when asked to."""

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
from collections.abc import Iterator

import pytest

from spstui.settings import config_path
from spstui.simulator.server import BackgroundServer
from tests.conftest import make_sim

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[\]P^_].*?(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")


class Terminal:
    """`spstui ARGS` in a 160x45 pseudo-terminal: type keys, wait for text."""

    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "45"})
            os.execv(sys.executable, [sys.executable, "-m", "spstui", *args])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))
        self.seen = b""
        self.since = 0  # where the next wait starts looking

    def text(self) -> str:
        return ANSI.sub(b"", self.seen[self.since:]).decode("utf-8", "replace")

    def read(self, timeout: float) -> None:
        if select.select([self.fd], [], [], timeout)[0]:
            with contextlib.suppress(OSError):  # the child is gone
                self.seen += os.read(self.fd, 65536)

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        """Read until `pattern` is painted (after what the last wait found); return
        all that was painted by then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.5)
            text = self.text()
            if re.search(pattern, text):
                self.since = len(self.seen)
                return text
        raise AssertionError(f"{pattern!r} not painted; last output: {self.text()[-2000:]}")

    def type(self, *keys: bytes) -> None:
        for key in keys:
            os.write(self.fd, key)
            self.read(0.15)

    def quits(self, timeout: float = 10) -> bool:
        """Whether it ends, `q` having been typed. Reading goes on meanwhile, as a
        terminal's would: an app whose output fills the buffer blocks on the write."""
        os.write(self.fd, b"q")
        deadline = time.monotonic() + timeout
        while not os.waitpid(self.pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                return False
            self.read(0.1)
        self.pid = 0
        return True

    def exit_status(self, timeout: float = 10) -> int | None:
        """Its exit code once it has ended by itself (None: still running), read to the end
        meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                self.read(0.1)
                return os.waitstatus_to_exitcode(status)
        return None

    def close(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        os.close(self.fd)


@contextlib.contextmanager
def terminal(*args: str) -> Iterator[Terminal]:
    term = Terminal(*args)
    try:
        yield term
    finally:
        term.close()


def test_demo_paints_the_first_page_in_a_real_terminal() -> None:
    with terminal("--demo") as term:
        screen = term.wait_for(r"1–500 of [\d,]+")
        assert "start (UTC)" in screen
        assert term.quits(), "q did not quit the app"


def connect(term: Terminal, profile: str, url: str) -> None:
    """The palette's "Connect: PROFILE", chosen once the palette offers it."""
    term.type(b"\x10", *(bytes([c]) for c in f"Connect: {profile}".encode()))
    term.wait_for(re.escape(f"{url} · the app starts again on it"), timeout=10)
    term.type(b"\r")


def test_connect_starts_the_app_again_on_another_profile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPSTUI_PASSWORD", "admin")  # the child logs in with it
    with BackgroundServer(make_sim(sessions=300)) as one, \
            BackgroundServer(make_sim(sessions=200, seed=9)) as two:
        config_path().write_text(
            f'[profiles.one]\nurl = "{one.url}"\nusername = "admin"\n\n'
            f'[profiles.two]\nurl = "{two.url}"\nusername = "admin"\n\n'
            '[profiles.broken]\nurl = "https://sps.invalid"\n', encoding="utf-8")
        with terminal("--profile", "one") as term:
            term.wait_for(r"1–300 of 300")
            connect(term, "two", two.url)
            term.wait_for(r"1–200 of 200")  # the same window, on the other appliance
            # A profile that cannot be used: back on the one in use, saying why.
            connect(term, "broken", "https://sps.invalid")
            term.wait_for(r"Could not switch to the profile 'broken'")
            term.wait_for(r"1–200 of 200")
            assert term.quits(), "q did not quit the app"


def demo_processes(parent: int) -> list[int]:
    """The demo appliances `parent` runs (its children serving the simulator)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
            if ppid == parent and b"spstui.simulator" in command:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_leaving_the_demo_for_a_profile_stops_the_demo_appliance(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPSTUI_PASSWORD", "admin")
    with BackgroundServer(make_sim(sessions=300)) as one:
        config_path().write_text(
            f'[profiles.one]\nurl = "{one.url}"\nusername = "admin"\n\n'
            '[profiles.broken]\nurl = "https://sps.invalid"\n', encoding="utf-8")
        with terminal("--demo") as term:
            term.wait_for(r"1–500 of [\d,]+")
            assert demo_processes(term.pid)
            # A switch that fails goes back to the demo: it is still there to go back to.
            connect(term, "broken", "https://sps.invalid")
            term.wait_for(r"Could not switch to the profile 'broken'")
            term.wait_for(r"1–500 of [\d,]+")
            assert demo_processes(term.pid)
            connect(term, "one", one.url)
            term.wait_for(r"1–300 of 300")
            deadline = time.monotonic() + 10
            while demo_processes(term.pid) and time.monotonic() < deadline:
                term.read(0.1)
            assert not demo_processes(term.pid), "the demo appliance is still running"
            assert term.quits(), "q did not quit the app"


def typed_passwords_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No password in the environment or a keyring: the child can only ask for it."""
    monkeypatch.delenv("SPSTUI_PASSWORD", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def test_ctrl_c_at_the_password_prompt_of_a_switch_goes_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    typed_passwords_only(monkeypatch)
    with BackgroundServer(make_sim(sessions=300)) as one:
        config_path().write_text(f'[profiles.one]\nurl = "{one.url}"\nusername = "admin"\n',
                                 encoding="utf-8")
        with terminal("--demo") as term:
            term.wait_for(r"1–500 of [\d,]+")
            connect(term, "one", one.url)
            term.wait_for(r"Password for admin on one: ")
            term.type(b"\x03")  # once: the user gives up on this profile, not on the app
            term.wait_for(r"Could not switch to the profile 'one': cancelled", timeout=20)
            term.wait_for(r"1–500 of [\d,]+")
            assert term.quits(), "q did not quit the app"


def test_ctrl_c_at_the_first_password_prompt_ends_the_program(
        monkeypatch: pytest.MonkeyPatch) -> None:
    typed_passwords_only(monkeypatch)
    config_path().write_text('[profiles.one]\nurl = "https://sps.invalid"\nusername = "admin"\n',
                             encoding="utf-8")
    with terminal("--profile", "one") as term:
        term.wait_for(r"Password for admin on one: ")
        term.type(b"\x03")  # nothing to go back to: the program ends, as it always did
        assert term.exit_status() == 130, "one Ctrl+C did not end it"
        said = term.text()
        assert "spstui: interrupted" in said and "Traceback" not in said, said
