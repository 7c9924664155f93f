"""SpsClient: one connection pool, login, retries and error mapping.

Everything else in the API layer (search, session parts, trails,
configuration) goes through `SpsClient.request`, so authentication, retries
and errors are handled in exactly one place.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from spstui import __version__
from spstui.api.errors import (
    AuthenticationFailed,
    Conflict,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ProtocolError,
    QuotaExceeded,
    RequestInfo,
    RequestTimeout,
    ServerError,
    SpsError,
    TlsError,
)

USER_AGENT = f"spstui/{__version__}"
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD"})
INSECURE_WARNING = (
    "TLS certificate verification is OFF (--insecure): anyone on the network path can "
    "impersonate the appliance. Prefer --ca-bundle with the appliance's CA certificate."
)


@dataclass
class Connection:
    """Where and how to reach an appliance."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    insecure: bool = False
    client_cert: str | None = None  # certificate login (?type=x509)
    client_key: str | None = None
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # seconds; doubles on each retry, plus jitter


def tls_context(conn: Connection) -> ssl.SSLContext | bool:
    """Verification on by default; a CA bundle narrows trust; insecure is explicit."""
    if conn.url.lower().startswith("http://") and not conn.client_cert:
        # No TLS here (the demo on loopback): loading the system's CA store would cost
        # ~40 ms for nothing. A context that trusts nothing still refuses any TLS.
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        if conn.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context = ssl.create_default_context(cafile=conn.ca_bundle)
        if conn.client_cert:
            context.load_cert_chain(conn.client_cert, conn.client_key)
    except (ssl.SSLError, OSError) as err:
        files = ", ".join(f for f in (conn.ca_bundle, conn.client_cert, conn.client_key) if f)
        raise TlsError(f"The TLS files cannot be used ({files or 'system CA store'}): "
                       f"{getattr(err, 'strerror', None) or err}",
                       hint="Check ca_bundle / client_cert / client_key: PEM files "
                            "that can be read.") from None
    return context


class SpsClient:
    """An authenticated session with one appliance. Use as an async context manager."""

    def __init__(self, conn: Connection, *, transport: httpx.AsyncBaseTransport | None = None,
                 warn: Callable[[str], None] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.conn = conn
        self.warn = warn or (lambda message: None)
        self._sleep = sleep
        self._login: asyncio.Future[None] | None = None  # the login under way, if one is
        self._logged_in = False
        self._accepted: bool | None = None  # the last login's answer (None: not tried)
        self._search_identity: dict[str, str] | None = None
        self.http = httpx.AsyncClient(
            base_url=conn.url.rstrip("/"),
            transport=transport,
            verify=tls_context(conn) if transport is None else True,
            timeout=httpx.Timeout(conn.timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            trust_env=True,  # proxies from the environment
        )
        if conn.insecure:
            self.warn(INSECURE_WARNING)
        host = httpx.URL(conn.url).host
        loopback = host in ("127.0.0.1", "localhost", "::1")
        if transport is None and conn.url.lower().startswith("http://") and conn.password \
                and not loopback:
            self.warn(f"{conn.url} is plain HTTP: the password and session cookie travel "
                      "unencrypted. Use https:// for a real appliance.")

    @property
    def search_identity(self) -> dict[str, str]:
        """Advanced search tells clients apart by Remote-Addr and User-Agent (the quota
        of one open snapshot applies per identity; iterate() waits it out)."""
        if self._search_identity is None:
            self._search_identity = {"Remote-Addr": _local_address(), "User-Agent": USER_AGENT}
        return self._search_identity

    async def __aenter__(self) -> SpsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- authentication -----------------------------------------------------------------

    async def login(self) -> None:
        """GET /api/authentication: HTTP Basic, or a client certificate.

        Requests at once share one login, and its failure: a wrong password is sent
        once, not once per request (appliances lock accounts after a few failures)."""
        if self._login is None or self._login.done():
            if self._logged_in:
                return
            self._login = asyncio.ensure_future(self._log_in())
            # Every waiter may be cancelled (a worker the UI let go): the error is
            # then nobody's, and must not be reported as never retrieved.
            self._login.add_done_callback(lambda f: f.cancelled() or f.exception())
        # A waiter cancelled leaves the login to the others.
        await asyncio.shield(self._login)

    async def _log_in(self) -> None:
        if self.conn.client_cert and not self.conn.password:
            response = await self._send("GET", "/api/authentication", params={"type": "x509"})
        else:
            if self.conn.username is None or self.conn.password is None:
                raise AuthenticationFailed(
                    "No credentials to log in with.",
                    hint="Give a user name and a password (or a client certificate).")
            response = await self._send("GET", "/api/authentication",
                                        auth=(self.conn.username, self.conn.password))
        if response.status_code == 401:
            self._accepted = False
            raise self._error(response, login=True)
        if response.status_code >= 400:
            raise self._error(response)
        self._logged_in = self._accepted = True

    @property
    def credentials_accepted(self) -> bool | None:
        """Whether the appliance took the credentials at the last login: True, False
        (refused), or None (no login has been answered yet)."""
        return self._accepted

    # -- requests -----------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: Any = None,
                      json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """Send a request; log in first or again if the cookie expired; retry idempotent
        GETs on connection errors and 502/503/504; raise SpsError on any failure."""
        if not self._logged_in:
            await self.login()
        response = await self._send(method, path, params=params, json=json, headers=headers)
        if response.status_code == 401:
            # The session cookie expired (20 minutes idle): log in once more and repeat.
            self._logged_in = False
            await self.login()
            response = await self._send(method, path, params=params, json=json, headers=headers)
        if response.status_code >= 400:
            raise self._error(response)
        return response

    async def get_json(self, path: str, params: Any = None,
                       headers: dict[str, str] | None = None) -> Any:
        response = await self.request("GET", path, params=params, headers=headers)
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(f"The appliance answered {path} with something that is not "
                                "JSON.", request=_info(response.request)) from None

    @asynccontextmanager
    async def stream(self, path: str, params: Any = None) -> AsyncIterator[httpx.Response]:
        """A streamed GET (downloads); same login and error handling, no retry mid-body."""
        if not self._logged_in:
            await self.login()
        for attempt in range(2):
            request = self.http.build_request("GET", path, params=params)
            try:
                response = await self.http.send(request, stream=True)
            except httpx.HTTPError as err:
                raise self._transport_error(err, request) from err
            try:
                if response.status_code == 401 and attempt == 0:
                    self._logged_in = False
                    await self.login()
                    continue
                if response.status_code >= 400:
                    await response.aread()
                    raise self._error(response)
                yield response
                return
            finally:
                await response.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempts = 1 + (self.conn.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            request = self.http.build_request(method, path, **_request_args(kwargs))
            try:
                response = await self.http.send(request, auth=kwargs.get("auth"))
            except (httpx.TransportError, httpx.TimeoutException) as err:
                if attempt + 1 < attempts and _retryable(err):
                    await self._backoff(attempt)
                    continue
                raise self._transport_error(err, request, attempts) from err
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                await self._backoff(attempt)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _backoff(self, attempt: int) -> None:
        delay = self.conn.backoff * (2 ** attempt)
        await self._sleep(delay + random.uniform(0, self.conn.backoff))

    # -- errors ---------------------------------------------------------------------------

    def _transport_error(self, err: Exception, request: httpx.Request,
                         attempts: int = 1) -> SpsError:
        info = _info(request)
        tried = f" (tried {attempts} times)" if attempts > 1 else ""
        where = self.conn.url
        if isinstance(err, httpx.TimeoutException):
            return RequestTimeout(
                f"The appliance at {where} did not answer in time{tried}.",
                hint="Check that it is up and reachable, or raise the timeout.", request=info)
        if isinstance(err, httpx.ConnectError) and _is_tls(err):
            return TlsError(
                f"Could not verify the TLS certificate of {where}: {_reason(err)}.",
                hint="Give the appliance's CA certificate with --ca-bundle "
                     "(or, knowing the risk, --insecure).", request=info)
        if isinstance(err, httpx.ConnectError):
            return ConnectionFailed(
                f"Could not connect to {where}{tried}: {_reason(err)}.",
                hint="Check the URL, the network and any proxy settings.", request=info)
        return ConnectionFailed(f"The connection to {where} failed{tried}: {_reason(err)}.",
                                hint="Try again; if it persists, check the network.",
                                request=info)

    def _error(self, response: httpx.Response, login: bool = False) -> SpsError:
        info = _info(response.request)
        code, message, details, extra = _error_body(response)
        status = response.status_code
        what = f"{info.method} {response.request.url.path}"
        said = f" The appliance said: {message}" if message else ""
        common: dict[str, Any] = {"status": status, "code": code, "request": info,
                                  "details": details}
        if status == 401:
            text = ("Login failed: the appliance refused the credentials." if login
                    else f"{what} was refused: not logged in.")
            return AuthenticationFailed(text + said, hint="Check the user name and password "
                                        "(or the client certificate).", **common)
        if status == 403:
            return PermissionDenied(f"{what} is not allowed for this user.{said}",
                                    hint="Ask an SPS administrator for the needed rights.",
                                    **common)
        if status == 404:
            return NotFound(f"{what}: not found.{said}", **common)
        if status == 409:
            return Conflict(f"{what}: the configuration is locked.{said}",
                            hint="Another administrator has a transaction open; try later.",
                            **common)
        if status == 429:
            wait = _retry_after(response, details, extra)
            return QuotaExceeded(f"{what}: the appliance's quota is exhausted.{said}",
                                 hint=f"Retry in {wait:.0f} s.", retry_after=wait, **common)
        if 400 <= status < 500:
            return InvalidRequest(f"{what} was rejected ({code or status}).{said}", **common)
        return ServerError(f"{what} failed on the appliance ({status}).{said}",
                           hint="Try again later; if it persists, check the appliance's logs.",
                           **common)


def _request_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    wanted = ("params", "json", "headers")
    return {k: v for k, v in kwargs.items() if k in wanted and v is not None}


def _local_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())[:45]
    except OSError:
        return "127.0.0.1"


def _info(request: httpx.Request) -> RequestInfo:
    return RequestInfo(request.method, str(request.url))


def _retryable(err: Exception) -> bool:
    # A refused or reset connection, or a time-out, may well succeed a moment later;
    # a certificate problem will not.
    return not (isinstance(err, httpx.ConnectError) and _is_tls(err))


def _is_tls(err: Exception) -> bool:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(err) or "SSL" in str(err)


def _reason(err: Exception) -> str:
    text = str(err).strip()
    return text or type(err).__name__


def _error_body(response: httpx.Response) -> tuple[str | None, str, Any, dict[str, Any]]:
    """(code, message, details, the whole body) of an SPS error answer, if it is one."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text.strip()[:200], None, {}
    if not isinstance(body, dict):
        return None, "", None, {}
    error = body.get("error")
    if isinstance(error, dict):
        return (error.get("code"), str(error.get("message") or ""), error.get("details"), body)
    return None, str(body.get("message") or ""), None, body


def _retry_after(response: httpx.Response, details: Any, body: dict[str, Any]) -> float:
    for source in (details if isinstance(details, dict) else {}, body):
        value = source.get("time_to_elapse")
        if isinstance(value, int | float):
            return float(value)
    header = response.headers.get("retry-after", "")
    return float(header) if header.isdigit() else 5.0
