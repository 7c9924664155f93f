"""Shared fixtures: a simulated appliance with a frozen clock, reached in-process
(httpx.ASGITransport) or over a real loopback port (plain or TLS)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from spstui.simulator import ManualClock, Simulator
from spstui.simulator.server import BackgroundServer, TlsFiles, make_tls_files

# A fixed "now" so data, screenshots and assertions are reproducible.
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


def make_sim(**kwargs: object) -> Simulator:
    options: dict[str, object] = {"seed": 7, "sessions": 3000, "active_ratio": 0.02,
                                  "clock": ManualClock(T0), "follow_poll": 0.01}
    options.update(kwargs)
    return Simulator(**options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's real settings, cache and keyring password."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SPSTUI_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("SPSTUI_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("SPSTUI_STATE_DIR", str(home / "state"))
    monkeypatch.delenv("SPSTUI_PASSWORD", raising=False)
    monkeypatch.delenv("SPSTUI_PROFILE", raising=False)


@pytest.fixture
def sim() -> Simulator:
    return make_sim()


@pytest.fixture
def clock(sim: Simulator) -> ManualClock:
    assert isinstance(sim.clock, ManualClock)
    return sim.clock


async def login(client: httpx.AsyncClient, user: str = "admin", password: str = "admin") -> None:
    response = await client.get("/api/authentication", auth=(user, password))
    assert response.status_code == 200, response.text
    assert "session_id" in client.cookies


@pytest.fixture
async def anon(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client that has not logged in."""
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://sps.test") as c:
        yield c


@pytest.fixture
async def client(anon: httpx.AsyncClient) -> httpx.AsyncClient:
    """An in-process client logged in as admin."""
    await login(anon)
    return anon


@pytest.fixture
def server(sim: Simulator) -> Iterator[BackgroundServer]:
    """The same simulator on a loopback port over plain HTTP."""
    with BackgroundServer(sim) as srv:
        yield srv


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(sim: Simulator, tls_files: TlsFiles) -> Iterator[BackgroundServer]:
    with BackgroundServer(sim, tls=tls_files) as srv:
        yield srv


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """The snapshot plugin's compare, with every text cursor held on before the picture.

    A blinking cursor is on or off depending on how long the run took, so the
    same screen would differ between a quiet machine and a loaded one."""
    def compare(app: Any, press: Iterable[str] = (), terminal_size: tuple[int, int] = (80, 24),
                run_before: Callable[[Any], Awaitable[None] | None] | None = None) -> bool:
        async def then_steady(pilot: Any) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await pilot.pause()
            await pilot.press(*press)
            for screen in pilot.app.screen_stack:
                for widget in screen.query("Input, TextArea"):
                    widget.cursor_blink = False
            await pilot.pause()

        return snap_compare(app, terminal_size=terminal_size, run_before=then_steady)
    return compare
