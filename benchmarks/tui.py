"""Terminal UI figures: launch to the first painted page, cached page moves, active refresh.

Run: .venv/bin/python benchmarks/tui.py [--runs N] [--moves N] [--refreshes N]

1. Launch: the real `python -m spstui --demo` in a pseudo-terminal (160x45), from
   fork until "1–500 of N" is on screen, alternated in the same run with a bare
   Textual app that paints one line. Aim: no more than 1.6 times the bare app.
   A third app, the bare one that first imports the shared API layer (httpx,
   pydantic and spstui's models) and makes a client, shows what that layer alone
   adds to any start: the floor under spstui's own figure.
2. Moving between two 500-row pages (`]` / `[`), from the key press until the
   new "501–1,000 of N" (or "1–500 of N") is painted: with the simulator
   answering, then in a second run with `--offline` so the cache answers.
   Aim for the cached page: under 50 ms.
3. One refresh of the active-sessions view (`a`, `p` to pause the timer, then
   `r`), from the key press until a new "refreshed HH:MM:SS" is painted.
   Aim: under 50 ms.

Everything is measured from outside, as a user sees it: keys go into the
pseudo-terminal and the clock stops when the text arrives. Settings, cache and
state live in a temporary folder. Timings are printed, never asserted (the
machines are noisy).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from bytecode import compile_spstui

SIZE = (160, 45)
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[\]P^_].*?(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")
FIRST_PAGE = re.compile(r"1–500 of [\d,]+")
BARE_APP = '''\
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("ready")


Bare().run()
'''
# The bare app, after what every spstui start needs before it can ask for a page
# (with the collector off while it starts, as spstui has it).
BARE_WITH_API = '''\
import gc

gc.disable()
from spstui.api.client import Connection, SpsClient
from spstui.api.models import SearchPage

SpsClient(Connection("http://127.0.0.1:9", "user", "password"))
''' + BARE_APP


def isolate(home: Path) -> None:
    """Keep the user's settings, cache and state out of every measurement."""
    os.environ["SPSTUI_CONFIG"] = str(home / "config.toml")
    os.environ["SPSTUI_CACHE_DIR"] = str(home / "cache")
    os.environ["SPSTUI_STATE_DIR"] = str(home / "state")
    for name in ("SPSTUI_PROFILE", "SPSTUI_PASSWORD"):
        os.environ.pop(name, None)


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95(values) * 1000:7.1f} ms"


# -- 1. launch in a pseudo-terminal ---------------------------------------------------------


def time_to_paint(argv: list[str], wanted: re.Pattern[str], timeout: float = 60.0) -> float:
    """Seconds from fork until `wanted` is on the pseudo-terminal; then quit with `q`."""
    began = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": str(SIZE[0]),
                           "LINES": str(SIZE[1])})
        os.execv(argv[0], argv)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        seen = Screenful()
        painted: float | None = None
        deadline = time.monotonic() + timeout
        while painted is None and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child is gone
                break
            if wanted.search(seen.add(chunk)):
                painted = time.perf_counter() - began
        if painted is None:
            tail = seen.text[-500:]
            raise SystemExit(f"{argv[-1]}: {wanted.pattern!r} not painted; last output: {tail}")
        os.write(fd, b"q")
        _reap(pid, fd)
        return painted
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def _reap(pid: int, fd: int) -> None:
    """Wait for the child to quit, draining its output so it never blocks on a full pty."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 65536)


def launch(runs: int, home: Path) -> dict[str, list[float]]:
    bare, bare_api = home / "bare_app.py", home / "bare_api_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    bare_api.write_text(BARE_WITH_API, encoding="utf-8")
    commands: dict[str, tuple[list[str], re.Pattern[str]]] = {
        "spstui": ([sys.executable, "-m", "spstui", "--demo"], FIRST_PAGE),
        "bare": ([sys.executable, str(bare)], re.compile("ready")),
        "bare+api": ([sys.executable, str(bare_api)], re.compile("ready")),
    }
    for argv, wanted in commands.values():  # warm-up: byte-code and the file cache
        time_to_paint(argv, wanted)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # alternated, so a noisy moment hurts both alike
        for name, (argv, wanted) in commands.items():
            times[name].append(time_to_paint(argv, wanted))
    return times


# -- 2. and 3. keys pressed in the same pseudo-terminal --------------------------------------


class Screenful:
    """The text of what a program wrote, escape sequences removed, chunk by chunk.

    Each chunk is stripped once (a frame arrives in many chunks; stripping all of
    it again for each would put the reader's own time into the figures). An escape
    sequence or a character cut at a chunk's end waits for the next chunk."""

    def __init__(self) -> None:
        self.text = ""
        self._pending = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def add(self, chunk: bytes) -> str:
        data = self._pending + chunk
        cut = data.rfind(b"\x1b")
        whole = ANSI.match(data, cut) if cut >= 0 else None
        if cut >= 0 and (whole is None or whole.end() == len(data)):
            data, self._pending = data[:cut], data[cut:]  # perhaps not complete yet
        else:
            self._pending = b""
        self.text += self._decoder.decode(ANSI.sub(b"", data))
        return self.text


class Terminal:
    """A program in a pseudo-terminal: write keys, wait for text in what it paints next."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the app
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": str(SIZE[0]),
                               "LINES": str(SIZE[1])})
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.name = " ".join(argv[2:])

    def press(self, key: bytes, wanted: re.Pattern[str], timeout: float = 30.0
              ) -> tuple[float, re.Match[str]]:
        """Seconds from writing `key` until output written after it shows `wanted`."""
        self.drain()
        began = time.perf_counter()
        os.write(self.fd, key)
        return self.wait(wanted, timeout, began)

    def wait(self, wanted: re.Pattern[str], timeout: float = 60.0,
             began: float | None = None) -> tuple[float, re.Match[str]]:
        began = time.perf_counter() if began is None else began
        screen = Screenful()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            found = wanted.search(screen.add(chunk))
            if found:
                return time.perf_counter() - began, found
        raise SystemExit(f"{self.name}: {wanted.pattern!r} not painted; "
                         f"last output: {screen.text[-400:]}")

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the program has been quiet for `quiet` seconds (it is idle)."""
        while select.select([self.fd], [], [], quiet)[0]:
            try:
                os.read(self.fd, 65536)
            except OSError:
                return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, b"q")
        _reap(self.pid, self.fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


SECOND_PAGE = re.compile(r"501–1,000 of [\d,]+")
REFRESHED = re.compile(r"refreshed (\d\d:\d\d:\d\d) UTC")


def page_moves(moves: int) -> dict[str, list[float]]:
    """`]` and `[` between the first two pages: with the simulator answering (which also
    fills the cache), then in a second run with `--offline`, so the cache answers."""
    times: dict[str, list[float]] = {"appliance": [], "cache": []}
    for source, flags in (("appliance", []), ("cache", ["--offline"])):
        term = Terminal([sys.executable, "-m", "spstui", "--demo", *flags])
        try:
            term.wait(FIRST_PAGE)
            for i in range(2 * moves + 2):
                key, wanted = (b"]", SECOND_PAGE) if i % 2 == 0 else (b"[", FIRST_PAGE)
                elapsed, _ = term.press(key, wanted)
                if i >= 2:  # the first two are warm-up (and fill the cache)
                    times[source].append(elapsed)
        finally:
            term.close()
    return times


def active_refreshes(refreshes: int) -> list[float]:
    """`r` in the active view, paused so that only the measured refreshes happen; each
    waits for a new "refreshed HH:MM:SS" (a second apart, as that is its resolution)."""
    times: list[float] = []
    term = Terminal([sys.executable, "-m", "spstui", "--demo"])
    try:
        term.wait(FIRST_PAGE)
        term.press(b"a", REFRESHED)
        term.press(b"p", re.compile("paused"))
        last = ""
        for _ in range(refreshes + 1):
            time.sleep(1.05)
            while True:
                elapsed, found = term.press(b"r", REFRESHED)
                if found.group(1) != last:
                    break
                time.sleep(0.5)  # the same second as the last one: try again
            if last:
                times.append(elapsed)
            last = found.group(1)
    finally:
        term.close()
    return times


def table(rows: list[tuple[str, list[float] | str, str]]) -> str:
    lines = ["| measurement | median | p95 | aim |", "|---|---:|---:|---|"]
    for name, values, aim in rows:
        if isinstance(values, str):
            lines.append(f"| {name} | {values} | | {aim} |")
        else:
            lines.append(f"| {name} | {statistics.median(values) * 1000:.1f} ms "
                         f"| {p95(values) * 1000:.1f} ms | {aim} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches of each app")
    parser.add_argument("--moves", type=int, default=20, help="page moves per source")
    parser.add_argument("--refreshes", type=int, default=20, help="active view refreshes")
    args = parser.parse_args()
    rows: list[tuple[str, Any, str]] = []
    compile_spstui()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        isolate(home)
        launches = launch(args.runs, home)
        bare = statistics.median(launches["bare"])
        ratio = statistics.median(launches["spstui"]) / bare
        floor = statistics.median(launches["bare+api"]) / bare
        print(f"launch to first painted page, spstui --demo ({args.runs} runs): "
              f"{ms(launches['spstui'])}")
        print(f"launch to first paint, bare Textual app ({args.runs} runs):    "
              f"{ms(launches['bare'])}")
        print(f"launch to first paint, bare app + API layer ({args.runs} runs): "
              f"{ms(launches['bare+api'])}")
        print(f"ratio of medians spstui / bare: {ratio:.2f}; bare + API layer / bare: "
              f"{floor:.2f}")
        moves = page_moves(args.moves)
        print(f"page move between cached 500-row pages, offline ({args.moves}): "
              f"{ms(moves['cache'])}")
        print(f"page move, appliance answering ({args.moves}):                 "
              f"{ms(moves['appliance'])}")
        refresh = active_refreshes(args.refreshes)
        print(f"active view refresh ({args.refreshes}):                       "
              f"{ms(refresh)}")
    rows = [
        ("launch to first page, `spstui --demo`", launches["spstui"], ""),
        ("launch to first paint, bare Textual app", launches["bare"], ""),
        ("launch to first paint, bare app + API layer", launches["bare+api"], ""),
        ("launch ratio spstui / bare (medians)", f"{ratio:.2f}×", "≤ 1.6×"),
        ("launch ratio bare + API layer / bare (medians)", f"{floor:.2f}×", "(floor)"),
        ("page move, cached page (offline)", moves["cache"], "< 50 ms"),
        ("page move, appliance answering", moves["appliance"], "(comparison)"),
        ("active view refresh, `r`", refresh, "< 50 ms"),
    ]
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
