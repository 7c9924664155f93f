"""Starting the app again on another profile (the palette's "Connect: <profile>"), and
going back to the profile in use when the other one cannot be opened.

The app itself runs headless here and ends as soon as it is up and has logged in (or
been refused), with whatever the test wants it to have been asked for; everything around
it is the real command line."""

from __future__ import annotations

import contextlib
import gc
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.null
import pytest

from spstui import settings
from spstui.api.errors import AuthenticationFailed
from spstui.cli import build_parser, run_tui
from spstui.cli.demo import DemoProcess
from spstui.settings import config_path, paths
from spstui.simulator.server import BackgroundServer
from spstui.tui.app import SpsApp
from tests.conftest import make_sim

SECRET = "typed-at-the-prompt-4711"


@dataclass
class Run:
    profile: str | None
    notice: str | None
    password: str | None
    demo: bool = False


@dataclass
class Runs:
    """Each run of the app, which asks for the next profile in `switches` (None: quit)."""

    switches: list[str | None] = field(default_factory=list)
    seen: list[Run] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(make_sim(sessions=100, password=SECRET)) as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    """Nothing stored: the password can only come from the prompt."""
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    yield
    keyring.set_keyring(before)
    gc.unfreeze()  # each run of the app froze the heap, as it does at start-up


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password prompts shown: the user types SECRET, except on `three`, where
    they give up (Ctrl+C)."""
    asked: list[str] = []
    real = settings.get_password

    def prompt(message: str) -> str:
        asked.append(message)
        if message.endswith(" on three: "):
            raise KeyboardInterrupt
        return SECRET

    def get_password(profile_name: str, username: str, **kwargs: Any) -> str:
        return real(profile_name, username, env={}, prompt=prompt, interactive=True)

    monkeypatch.setattr(settings, "get_password", get_password)
    return asked


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    runs = Runs()
    original = SpsApp.run_async

    async def run_async(self: SpsApp, **kwargs: Any) -> str | None:
        client = self.backend.client
        if client is not None:
            # As the app's first page does: log in, and show a refusal if there is one.
            with contextlib.suppress(AuthenticationFailed):
                await client.login()
        runs.seen.append(Run(self.options.profile, self.options.notice,
                             client.conn.password if client is not None else None,
                             self.options.demo))
        self.call_later(self.exit, runs.switches[len(runs.seen) - 1])
        return await original(self, headless=True, size=(100, 30))

    monkeypatch.setattr(SpsApp, "run_async", run_async)
    return runs


def write_profiles(url: str) -> None:
    # The appliance knows admin only: `three`'s auditor would be refused.
    config_path().write_text(
        f'[profiles.one]\nurl = "{url}"\nusername = "admin"\n\n'
        f'[profiles.two]\nurl = "{url}"\nusername = "admin"\n\n'
        f'[profiles.three]\nurl = "{url}"\nusername = "auditor"\n\n'
        '[profiles.nouser]\nurl = "https://sps.invalid"\n', encoding="utf-8")


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(("target", "why"), [
    ("nouser", "No user name"),  # the profile cannot be used at all
    ("three", "cancelled"),  # its password prompt was given up on
])
async def test_a_failed_switch_goes_back_without_asking_for_the_password_again(
        server: BackgroundServer, prompts: list[str], runs: Runs, target: str,
        why: str) -> None:
    write_profiles(server.url)
    runs.switches = [target, None]
    args = build_parser().parse_args(["--profile", "one"])
    assert await run_tui(args) == 0
    assert [p for p in prompts if " on one" in p] == ["Password for admin on one: "]
    assert [(r.profile, r.password) for r in runs.seen] == [("one", SECRET), ("one", SECRET)]
    notice = runs.seen[1].notice or ""
    assert notice.startswith(f"Could not switch to the profile '{target}': ") and why in notice
    # Kept in memory only: no file the program writes holds it.
    for path in [config_path(), *(f for d in paths().values() for f in files_under(d))]:
        assert SECRET.encode() not in path.read_bytes(), path


async def test_only_the_password_of_the_profile_in_use_is_kept(
        server: BackgroundServer, prompts: list[str], runs: Runs) -> None:
    write_profiles(server.url)
    runs.switches = ["two", "nouser", "one", None]
    args = build_parser().parse_args(["--profile", "one"])
    assert await run_tui(args) == 0
    assert [r.profile for r in runs.seen] == ["one", "two", "two", "one"]
    assert runs.seen[2].password == SECRET  # back on `two` with what was typed for it
    # Once the app was up on `two`, nothing could go back to `one`: its password was let
    # go, and going there later asks again.
    assert prompts == ["Password for admin on one: ", "Password for admin on two: ",
                       "Password for admin on one: "]


async def test_a_password_the_appliance_refused_is_asked_for_again_on_going_back(
        server: BackgroundServer, monkeypatch: pytest.MonkeyPatch, runs: Runs) -> None:
    write_profiles(server.url)
    typed = ["mistyped", SECRET]
    asked: list[str] = []
    real = settings.get_password

    def prompt(message: str) -> str:
        asked.append(message)
        return typed.pop(0)

    def get_password(profile_name: str, username: str, **kwargs: Any) -> str:
        return real(profile_name, username, env={}, prompt=prompt, interactive=True)

    monkeypatch.setattr(settings, "get_password", get_password)
    runs.switches = ["nouser", None]
    args = build_parser().parse_args(["--profile", "one"])
    assert await run_tui(args) == 0
    # Back on `one` after the failed switch: asked again, not sent the refused one again.
    assert asked == ["Password for admin on one: "] * 2
    assert [(r.profile, r.password) for r in runs.seen] == [("one", "mistyped"),
                                                            ("one", SECRET)]
    assert (runs.seen[1].notice or "").startswith("Could not switch to the profile 'nouser'")


@dataclass
class FakeDemo:
    """Stands for the demo appliance's process (a simulator at `url`): notes during
    which run of the app it was told to stop."""

    url: str
    runs: Runs
    stopped_during: list[str | None] = field(default_factory=list)

    def stop_soon(self) -> None:
        self.stopped_during.append(self.runs.seen[-1].profile)

    def stop(self) -> None:
        self.stop_soon()


async def test_the_demo_stops_once_the_app_is_up_on_another_profile_not_before(
        server: BackgroundServer, prompts: list[str], runs: Runs) -> None:
    write_profiles(server.url)
    with BackgroundServer(make_sim(sessions=50)) as demo_server:
        demo = FakeDemo(demo_server.url, runs)
        # A switch that fails goes back to the demo, so it must still run then.
        runs.switches = ["nouser", "one", None]
        args = build_parser().parse_args(["--demo"])
        assert await run_tui(args, demo) == 0  # type: ignore[arg-type]
    assert [(r.demo, r.profile) for r in runs.seen] == [(True, None), (True, None),
                                                        (False, "one")]
    assert (runs.seen[1].notice or "").startswith("Could not switch to the profile 'nouser'")
    assert demo.stopped_during == ["one"]


def test_a_demo_stopped_in_the_background_is_gone_once_its_owner_stops_it_too() -> None:
    demo = DemoProcess()
    host, port = demo.url.removeprefix("http://").split(":")
    demo.stop_soon()  # what the switch does, the app going on meanwhile
    demo.stop()  # what its owner does on the way out: waits for that stop, no second one
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()


@pytest.fixture
def demo_process() -> Iterator[DemoProcess]:
    demo = DemoProcess()
    child = demo._child
    yield demo
    child.kill()  # whatever the test did to its stop
    child.wait()


def serves(demo: DemoProcess) -> bool:
    """Whether the demo appliance is still there (its port takes connections)."""
    host, port = demo.url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ConnectionRefusedError:
        return False
    return True


def interrupted(times: int, then: Callable[..., Any]) -> Callable[..., Any]:
    """`then`, except that its first `times` calls are cut short by a Ctrl+C."""
    calls = 0

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise KeyboardInterrupt
        return then(*args, **kwargs)
    return call


def slow_to_end(monkeypatch: pytest.MonkeyPatch, demo: DemoProcess) -> None:
    """The simulator does not end on being asked (it is busy, or serving a stream)."""
    monkeypatch.setattr(demo._child, "terminate", lambda: None)


def test_a_demo_whose_stop_is_interrupted_is_not_left_running(
        demo_process: DemoProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_to_end(monkeypatch, demo_process)
    monkeypatch.setattr(demo_process._child, "wait", interrupted(1, demo_process._child.wait))
    with pytest.raises(KeyboardInterrupt):
        demo_process.stop()  # Ctrl+C while it waits for the simulator to end
    assert not serves(demo_process), "the demo appliance was left running on its own"


def test_a_stop_cut_short_before_the_demo_ended_is_done_by_the_next_one(
        demo_process: DemoProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_to_end(monkeypatch, demo_process)
    child = demo_process._child
    monkeypatch.setattr(child, "wait", interrupted(1, child.wait))
    monkeypatch.setattr(child, "kill", interrupted(1, child.kill))
    with pytest.raises(KeyboardInterrupt):
        demo_process.stop()  # Ctrl+C while waiting, and again before it was killed
    assert serves(demo_process)
    monkeypatch.undo()
    demo_process.stop()  # its owner's, on the way out
    assert not serves(demo_process), "the demo appliance was left running on its own"
    assert child.returncode is not None


def test_the_password_prompt_takes_ctrl_c_itself_and_gives_it_back_after() -> None:
    """While it waits, Ctrl+C raises at once (asyncio's handler would only ask the main
    task to stop, the prompt reading on); afterwards the handler before it is back."""
    def before(signum: int, frame: object) -> None:
        pass

    during: list[object] = []

    def prompt(message: str) -> str:
        during.append(signal.getsignal(signal.SIGINT))
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, before)
    try:
        with pytest.raises(KeyboardInterrupt):
            settings.get_password("one", "admin", env={}, prompt=prompt, interactive=True)
        assert during == [signal.default_int_handler]
        assert signal.getsignal(signal.SIGINT) is before
    finally:
        signal.signal(signal.SIGINT, previous)
