"""The reference guide's own curl examples, over a real loopback port and over TLS."""

from __future__ import annotations

import ssl

import httpx
import pytest

from spstui.simulator.server import BackgroundServer, TlsFiles


async def test_reference_curl_examples_answer_over_a_loopback_port(
    server: BackgroundServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        login = await c.get("/api/authentication", auth=("admin", "admin"))
        assert login.status_code == 200
        assert "session_id" in login.cookies
        r = await c.get("/api/audit/sessions", params={
            "fields": "protocol,verdict", "q": "protocol:ssh AND NOT verdict:accept",
            "limit": 10, "offset": 31})
    assert r.status_code == 200
    doc = r.json()
    assert doc["meta"]["limit"] == 10 and doc["meta"]["offset"] == 31
    assert doc["meta"]["fields"] == ["protocol", "verdict"]
    assert len(doc["items"]) == 10
    for item in doc["items"]:
        assert list(item["body"]) == ["protocol", "verdict"]
        assert item["body"]["protocol"] == "SSH"
        assert item["body"]["verdict"] != "ACCEPT"
        assert item["meta"]["href"] == f"/api/audit/sessions/{item['key']}"


async def test_tls_server_is_trusted_through_its_ca_file(tls_server: BackgroundServer,
                                                         tls_files: TlsFiles) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca))
    async with httpx.AsyncClient(base_url=tls_server.url, verify=context) as c:
        r = await c.get("/api/authentication", auth=("admin", "admin"))
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie
        r = await c.get("/api/audit/sessions", params={"limit": 1})
        assert r.status_code == 200 and len(r.json()["items"]) == 1


async def test_tls_server_is_refused_without_its_ca(tls_server: BackgroundServer) -> None:
    async with httpx.AsyncClient(base_url=tls_server.url) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get("/api/authentication", auth=("admin", "admin"))
