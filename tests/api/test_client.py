"""SpsClient against the simulator: login, re-login, retries, TLS and errors."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from spstui.api.client import INSECURE_WARNING, USER_AGENT, Connection, SpsClient, tls_context
from spstui.api.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    RequestTimeout,
    ServerError,
    TlsError,
)
from spstui.simulator import Fault, ManualClock, Simulator
from spstui.simulator.server import BackgroundServer, TlsFiles
from tests.conftest import make_sim


class Sleeps:
    """Records back-off delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def in_process(sim: Simulator, sleeps: Sleeps | None = None, **conn: object) -> SpsClient:
    options: dict[str, object] = {"url": "https://sps.test", "username": "admin",
                                  "password": "admin"}
    options.update(conn)
    return SpsClient(Connection(**options),  # type: ignore[arg-type]
                     transport=httpx.ASGITransport(app=sim.app), sleep=sleeps or Sleeps())


def requests(sim: Simulator) -> list[tuple[str, str, int]]:
    return [(r.method, r.path.split("?")[0], r.status) for r in sim.request_log]


async def test_first_request_logs_in_with_basic_auth_and_then_uses_the_cookie(
        sim: Simulator) -> None:
    async with in_process(sim) as client:
        await client.get_json("/api/audit/sessions", {"limit": 1})
        await client.get_json("/api/audit/sessions", {"limit": 1})
    assert requests(sim) == [("GET", "/api/authentication", 200),
                             ("GET", "/api/audit/sessions", 200),
                             ("GET", "/api/audit/sessions", 200)]


async def test_expired_cookie_is_renewed_once_and_the_request_repeated() -> None:
    sim = make_sim(session_ttl=60)
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    async with in_process(sim) as client:
        await client.get_json("/api/audit/sessions", {"limit": 1})
        clock.advance(61)  # the appliance forgets the login after 60 s idle
        doc = await client.get_json("/api/audit/sessions", {"limit": 1})
    assert len(doc["items"]) == 1
    assert requests(sim)[2:] == [("GET", "/api/audit/sessions", 401),
                                 ("GET", "/api/authentication", 200),
                                 ("GET", "/api/audit/sessions", 200)]


async def test_wrong_password_is_a_clear_authentication_error(sim: Simulator) -> None:
    async with in_process(sim, password="nope") as client:
        with pytest.raises(AuthenticationFailed, match="refused the credentials") as info:
            await client.get_json("/api/audit/sessions")
    assert info.value.status == 401 and info.value.code == "AuthenticationFailure"


async def test_the_client_says_whether_its_credentials_were_taken(sim: Simulator) -> None:
    async with in_process(sim, password="nope") as refused, in_process(sim) as taken:
        before = refused.credentials_accepted, taken.credentials_accepted
        with pytest.raises(AuthenticationFailed):
            await refused.get_json("/api/audit/sessions")
        await taken.get_json("/api/audit/sessions")
        after = refused.credentials_accepted, taken.credentials_accepted
    assert before == (None, None) and after == (False, True)


async def test_gets_are_retried_with_growing_backoff_on_503(sim: Simulator) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", method="GET", status=503, times=2))
    sleeps = Sleeps()
    async with in_process(sim, sleeps) as client:
        doc = await client.get_json("/api/audit/sessions", {"limit": 1})
    assert len(doc["items"]) == 1
    assert [s for _, _, s in requests(sim)[1:]] == [503, 503, 200]
    assert len(sleeps.delays) == 2
    assert 0.5 <= sleeps.delays[0] <= 1.0 and 1.0 <= sleeps.delays[1] <= 1.5


async def test_persistent_5xx_ends_in_a_clear_server_error(sim: Simulator) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", status=502, times=10))
    async with in_process(sim, retries=2) as client:
        with pytest.raises(ServerError, match=r"failed on the appliance \(502\)") as info:
            await client.get_json("/api/audit/sessions")
    assert "Try again later" in str(info.value)
    assert [s for _, _, s in requests(sim)[1:]] == [502, 502, 502]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_writes_are_never_retried(sim: Simulator, method: str) -> None:
    sim.faults.append(Fault(path="/api/transaction", method=method, status=503, times=5))
    async with in_process(sim) as client:
        await client.login()
        with pytest.raises(ServerError):
            await client.request(method, "/api/transaction", json={"status": "commit"})
    assert [m for m, p, _ in requests(sim) if p == "/api/transaction"] == [method]


async def test_appliance_errors_carry_status_code_and_message(sim: Simulator) -> None:
    async with in_process(sim) as client:
        with pytest.raises(NotFound) as missing:
            await client.get_json("/api/audit/sessions/no-such-key")
        with pytest.raises(InvalidRequest) as bad:
            await client.get_json("/api/audit/sessions", {"q": "protocol:(ssh"})
    assert missing.value.status == 404 and missing.value.code == "NotFound"
    assert bad.value.code == "InvalidQuery" and "Invalid q" in str(bad.value)
    assert bad.value.request is not None and bad.value.request.method == "GET"


async def test_requests_identify_the_client_in_user_agent() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, json={"items": []})

    async with SpsClient(Connection("https://sps.test", "admin", "admin"),
                         transport=httpx.MockTransport(handler)) as client:
        await client.get_json("/api/audit/sessions")
    assert seen and all(agent == USER_AGENT for agent in seen)
    assert USER_AGENT.startswith("spstui/")


async def test_slow_appliance_times_out_after_retries(server: BackgroundServer,
                                                      sim: Simulator) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", delay=1.0, times=5))
    conn = Connection(server.url, "admin", "admin", timeout=0.2, retries=1, backoff=0.01)
    async with SpsClient(conn) as client:
        with pytest.raises(RequestTimeout, match="did not answer in time"):
            await client.get_json("/api/audit/sessions")


async def test_unreachable_appliance_is_a_connection_error_after_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket closes
    sleeps = Sleeps()
    conn = Connection(f"http://127.0.0.1:{port}", "admin", "admin", retries=2)
    async with SpsClient(conn, sleep=sleeps) as client:
        with pytest.raises(ConnectionFailed, match="tried 3 times") as info:
            await client.get_json("/api/audit/sessions")
    assert len(sleeps.delays) == 2
    assert "Check the URL" in str(info.value)


async def test_tls_with_the_appliance_ca_bundle_is_trusted(tls_server: BackgroundServer,
                                                           tls_files: TlsFiles) -> None:
    conn = Connection(tls_server.url, "admin", "admin", ca_bundle=str(tls_files.ca))
    async with SpsClient(conn) as client:
        doc = await client.get_json("/api/audit/sessions", {"limit": 1})
    assert len(doc["items"]) == 1


async def test_unknown_certificate_is_refused_by_default(tls_server: BackgroundServer) -> None:
    sleeps = Sleeps()
    async with SpsClient(Connection(tls_server.url, "admin", "admin"), sleep=sleeps) as client:
        with pytest.raises(TlsError, match="--ca-bundle"):
            await client.get_json("/api/audit/sessions")
    assert sleeps.delays == []  # a certificate problem is not retried


async def test_a_plain_http_connection_still_refuses_an_unverified_certificate(
        tls_server: BackgroundServer) -> None:
    # No CA store is loaded for http:// (start-up time for nothing); were TLS met
    # anyway, the context trusts no certificate rather than any.
    context = tls_context(Connection("http://127.0.0.1:1", "admin", "admin"))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    async with httpx.AsyncClient(verify=context) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"{tls_server.url}/api/authentication")


async def test_tls_files_that_cannot_be_used_are_named(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n", encoding="utf-8")
    for conn in (Connection("https://sps.test", "admin", "admin", ca_bundle=str(bundle)),
                 Connection("https://sps.test", "admin", "admin",
                            ca_bundle=str(tmp_path / "missing.pem"))):
        with pytest.raises(TlsError, match=r"TLS files cannot be used \(.*\.pem\)") as info:
            SpsClient(conn)
        assert "PEM" in info.value.hint


async def test_a_wrong_password_is_sent_once_by_requests_at_once(sim: Simulator) -> None:
    # Appliances lock an account after a few failed logins: requests that waited for
    # the one that failed must not each try again.
    async with SpsClient(Connection("https://sps.test", "admin", "wrong"),
                         transport=httpx.ASGITransport(app=sim.app)) as client:
        results = await asyncio.gather(
            *(client.get_json("/api/audit/sessions", {"limit": 1}) for _ in range(3)),
            return_exceptions=True)
        assert all(isinstance(r, AuthenticationFailed) for r in results)
        tried = [r for r in sim.request_log if r.path.startswith("/api/authentication")]
        assert len(tried) == 1
        with pytest.raises(AuthenticationFailed):  # asked again later, it tries again
            await client.get_json("/api/audit/sessions", {"limit": 1})
        assert len([r for r in sim.request_log
                    if r.path.startswith("/api/authentication")]) == 2


async def test_insecure_is_an_explicit_opt_in_that_warns(tls_server: BackgroundServer) -> None:
    warnings: list[str] = []
    conn = Connection(tls_server.url, "admin", "admin", insecure=True)
    async with SpsClient(conn, warn=warnings.append) as client:
        doc = await client.get_json("/api/audit/sessions", {"limit": 1})
    assert len(doc["items"]) == 1
    assert warnings == [INSECURE_WARNING]


async def test_certificate_login_with_a_client_certificate(tls_files: TlsFiles) -> None:
    from tests.conftest import make_sim

    sim = make_sim(client_certificates=True)
    with BackgroundServer(sim, tls=tls_files) as server:
        conn = Connection(server.url, ca_bundle=str(tls_files.ca),
                          client_cert=str(tls_files.client_cert),
                          client_key=str(tls_files.client_key))
        async with SpsClient(conn) as client:
            doc = await client.get_json("/api/audit/sessions", {"limit": 1})
        assert len(doc["items"]) == 1
        assert sim.request_log[0].path == "/api/authentication?type=x509"
        # Without a certificate the appliance does not even complete the handshake.
        async with SpsClient(Connection(server.url, "admin", "admin", retries=0,
                                        ca_bundle=str(tls_files.ca))) as client:
            with pytest.raises(ConnectionFailed):
                await client.get_json("/api/audit/sessions")


def test_the_api_layer_does_not_load_the_httpx_command_line() -> None:
    # httpx's own command line pulls in click and pygments, ~40 ms of every start.
    code = ("import sys, spstui.api.client, httpx; "
            "print(sorted(m for m in ('click', 'pygments', 'httpx._main') if sys.modules.get(m)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
