"""Terminal UI figures: launch to the first painted page, cached page moves, active refresh.

Run: .venv/bin/python benchmarks/tui.py [--runs N] [--moves N] [--refreshes N]

1. Launch: the real `python -m spstui --demo` in a pseudo-terminal (160x45), from
   fork until "1–500 of N" is on screen, alternated in the same run with a bare
   Textual app that paints one line. Aim: no more than 1.6 times the bare app.
2. Moving between two cached 500-row pages (`[` / `]`) with the backend offline,
   so the cache answers, and the same with the simulated appliance answering.
   Aim: under 50 ms.
3. One refresh of the active-sessions view (fetch `active:true`, apply the changes
   in place), with the simulator's clock moved on 30 s between refreshes so there
   is something to apply. Aim: under 50 ms.

Settings, cache and state live in a temporary folder. Timings are printed, never
asserted (the machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SIZE = (160, 45)
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
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
        seen = b""
        painted: float | None = None
        deadline = time.monotonic() + timeout
        while painted is None and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child is gone
                break
            if wanted.search(ANSI.sub(b"", seen).decode("utf-8", "replace")):
                painted = time.perf_counter() - began
        if painted is None:
            tail = ANSI.sub(b"", seen).decode("utf-8", "replace")[-500:]
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
    bare = home / "bare_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    commands: dict[str, tuple[list[str], re.Pattern[str]]] = {
        "spstui": ([sys.executable, "-m", "spstui", "--demo"], FIRST_PAGE),
        "bare": ([sys.executable, str(bare)], re.compile("ready")),
    }
    for argv, wanted in commands.values():  # warm-up: byte-code and the file cache
        time_to_paint(argv, wanted)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # alternated, so a noisy moment hurts both alike
        for name, (argv, wanted) in commands.items():
            times[name].append(time_to_paint(argv, wanted))
    return times


# -- 2. and 3. in-process, against the simulator -----------------------------------------


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the screen")
        await asyncio.sleep(0)


async def page_moves(moves: int, home: Path, sessions: int) -> dict[str, list[float]]:
    import httpx

    from spstui.api.client import Connection, SpsClient
    from spstui.backend import Backend
    from spstui.cache import CacheStore
    from spstui.simulator import ManualClock, Simulator
    from spstui.tui.app import SpsApp
    from spstui.tui.browser import BrowserScreen

    sim = Simulator(seed=7, sessions=sessions, clock=ManualClock(T0))
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    times: dict[str, list[float]] = {"cache": [], "appliance": []}
    with CacheStore(home / "moves.sqlite3") as cache:
        backend = Backend(client, cache, now=sim.now)
        app = SpsApp(backend, page_size=500)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, BrowserScreen)

            async def move() -> float:
                target = 500 if screen.page_offset == 0 else 0
                began = time.perf_counter()
                await pilot.press("right_square_bracket" if target else "left_square_bracket")
                await until(lambda: screen.page_offset == target and bool(screen.keys))
                await pilot.pause()  # the repaint the new rows asked for
                elapsed = time.perf_counter() - began
                await app.workers.wait_for_complete()  # detail loads stay out of the next
                await pilot.pause()
                return elapsed

            await move()  # page 2 is in the cache too now
            await move()
            for source in ("appliance", "cache"):
                backend.offline = source == "cache"
                for _ in range(moves):
                    times[source].append(await move())
                status = screen.page_text
                if (source == "cache") != ("cached" in status):
                    raise SystemExit(f"expected the {source} to answer; status: {status}")
    await client.aclose()
    return times


async def active_refreshes(refreshes: int, home: Path, sessions: int) -> tuple[list[float], int]:
    import httpx

    from spstui.api.client import Connection, SpsClient
    from spstui.backend import Backend
    from spstui.cache import CacheStore
    from spstui.simulator import ManualClock, Simulator
    from spstui.tui.active import ActiveScreen
    from spstui.tui.app import SpsApp
    from spstui.tui.options import AppOptions

    clock = ManualClock(T0)
    sim = Simulator(seed=7, sessions=sessions, clock=clock)
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    times: list[float] = []
    with CacheStore(home / "active.sqlite3") as cache:
        backend = Backend(client, cache, now=sim.now)
        # A long interval: every refresh measured here is started by the benchmark.
        app = SpsApp(backend, options=AppOptions(page_size=500, refresh_interval=3600))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = ActiveScreen()
            await app.push_screen(screen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(refreshes):
                clock.advance(30)
                began = time.perf_counter()
                await screen.refresh_sessions().wait()
                await pilot.pause()  # the repaint of the changed cells
                times.append(time.perf_counter() - began)
                await app.workers.wait_for_complete()  # the detail pane's loads
                await pilot.pause()
            shown = len(screen.entries)
            if screen.error:
                raise SystemExit(f"the active view failed to refresh: {screen.error}")
    await client.aclose()
    return times, shown


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
    parser.add_argument("--sessions", type=int, default=20_000, help="simulated sessions")
    args = parser.parse_args()
    rows: list[tuple[str, Any, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        isolate(home)
        launches = launch(args.runs, home)
        ratio = statistics.median(launches["spstui"]) / statistics.median(launches["bare"])
        print(f"launch to first painted page, spstui --demo ({args.runs} runs): "
              f"{ms(launches['spstui'])}")
        print(f"launch to first paint, bare Textual app ({args.runs} runs):    "
              f"{ms(launches['bare'])}")
        print(f"ratio of medians spstui / bare: {ratio:.2f}")
        moves = asyncio.run(page_moves(args.moves, home, args.sessions))
        print(f"page move between cached 500-row pages, offline ({args.moves}): "
              f"{ms(moves['cache'])}")
        print(f"page move, appliance answering ({args.moves}):                 "
              f"{ms(moves['appliance'])}")
        refresh, shown = asyncio.run(active_refreshes(args.refreshes, home, args.sessions))
        print(f"active view refresh, {shown} rows ({args.refreshes}):               "
              f"{ms(refresh)}")
    rows = [
        ("launch to first page, `spstui --demo`", launches["spstui"], ""),
        ("launch to first paint, bare Textual app", launches["bare"], ""),
        ("launch ratio spstui / bare (medians)", f"{ratio:.2f}×", "≤ 1.6×"),
        ("page move, cached page (offline)", moves["cache"], "< 50 ms"),
        ("page move, appliance answering", moves["appliance"], "(comparison)"),
        (f"active view refresh ({shown} rows)", refresh, "< 50 ms"),
    ]
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
