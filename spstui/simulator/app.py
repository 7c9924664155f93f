"""The simulated appliance as a Starlette app (routes, auth, request log, faults).

Use it in-process through ``httpx.ASGITransport(app=Simulator().app)`` or serve
it on a port with uvicorn (see server.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spstui.simulator import bodies, search, trails
from spstui.simulator import events as ev
from spstui.simulator.clock import Clock
from spstui.simulator.configstore import ConfigStore
from spstui.simulator.dates import iso_z, parse_interval
from spstui.simulator.errors import ApiError
from spstui.simulator.fields import EVENT_FIELDS
from spstui.simulator.logins import Login, Logins
from spstui.simulator.query import QueryError, compile_query
from spstui.simulator.sessions import Session, SessionStore

SESSIONS = "/api/audit/sessions"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # with the query string
    status: int
    duration_ms: float


@dataclass
class Fault:
    """A failure to inject into matching requests (tests and benchmarks).

    path is matched as a prefix of the request path; `times` requests are hit.
    status: answer with this error instead; drop_after: cut the response body
    after that many bytes (the connection drops mid-transfer); delay: seconds to
    wait before answering (for client time-outs).
    """

    path: str
    method: str | None = None
    status: int | None = None
    code: str = "InternalError"
    drop_after: int | None = None
    delay: float = 0.0
    times: int = 1


class _Dropped(Exception):
    """Raised to abort a response mid-body, as a dropped connection would."""


class Simulator:
    """One simulated appliance: its data, configuration, logins and HTTP app."""

    def __init__(self, *, seed: int = 1, sessions: int = 20_000, active_ratio: float = 0.005,
                 compat: str = "8.0", user: str = "admin", password: str = "admin",
                 session_ttl: float = 1200.0, latency_ms: float = 0.0,
                 clock: Clock | None = None, follow_poll: float = 0.2,
                 client_certificates: bool = False) -> None:
        if compat not in ("6.0", "8.0"):
            raise ValueError("compat must be 6.0 or 8.0")
        self.clock = clock or Clock()
        self.compat = compat
        self.latency_ms = latency_ms
        self.follow_poll = follow_poll
        # Served over TLS with client certificates required (see server.py):
        # then GET /api/authentication?type=x509 logs in.
        self.client_certificates = client_certificates
        self.store = SessionStore(seed=seed, count=sessions, active_ratio=active_ratio,
                                  t0=self.clock.now())
        self.config = ConfigStore(compat=compat, now=self.clock.now, transaction_ttl=session_ttl)
        self.logins = Logins(user, password, session_ttl, self.clock.now, self.config.end_login)
        self.snapshots = search.Snapshots()
        self.request_log: deque[RequestRecord] = deque(maxlen=100_000)
        self.faults: list[Fault] = []
        self.app: ASGIApp = _Middleware(self, build_app(self))

    def now(self) -> float:
        return self.clock.now()

    def warm(self, newest: int = 500) -> None:
        """Work out ahead what listing the newest sessions takes (their events, for the
        risk score), as an appliance's index has it at hand. The demo does this while
        the app is still starting, so the first page is answered without the wait."""
        t = self.now()
        for s in self.store.visible(t)[-newest:]:
            ev.risk_score(self.store, s, t)

    def session(self, ident: str) -> Session:
        s = self.store.find(ident, self.now())
        if s is None:
            raise ApiError(404, "NotFound", f"No session has the key '{ident}'.",
                           {"key": ident})
        return s


class _Middleware:
    """Request log, artificial latency and fault injection around the app."""

    def __init__(self, sim: Simulator, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        full = f"{path}?{query}" if query else path
        status = 500
        fault = self._fault(scope["method"], path)
        drop_after = fault.drop_after if fault else None
        sent = 0

        async def logging_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and drop_after is not None:
                body = message.get("body", b"")
                if sent + len(body) > drop_after:
                    await send({**message, "body": body[: max(0, drop_after - sent)],
                                "more_body": True})
                    raise _Dropped(f"simulated connection drop after {drop_after} bytes")
                sent += len(body)
            await send(message)

        try:
            if self.sim.latency_ms:
                await asyncio.sleep(self.sim.latency_ms / 1000)
            if fault and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault and fault.status:
                error = ApiError(fault.status, fault.code, "Simulated failure (injected fault).")
                await _error_response(error, path)(scope, receive, logging_send)
            else:
                await self.app(scope, receive, logging_send)
        finally:
            elapsed = (time.perf_counter() - began) * 1000
            self.sim.request_log.append(RequestRecord(scope["method"], full, status, elapsed))

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.sim.faults:
            if fault.times > 0 and path.startswith(fault.path) and (
                fault.method is None or fault.method == method
            ):
                fault.times -= 1
                return fault
        return None


def _parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] or "/"


def _error_response(err: ApiError, path: str) -> JSONResponse:
    body: dict[str, Any] = {
        "error": {"code": err.code, "details": err.details, "message": err.message},
        "meta": {"href": path, "parent": _parent(path)},
    }
    return JSONResponse(body, status_code=err.status)


Handler = Callable[[Request, Login], Awaitable[Response]]


def build_app(sim: Simulator) -> Starlette:
    def authed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                login = sim.logins.check(request.cookies.get("session_id"),
                                         request.headers.get("authorization"), request.url.path)
                response = await handler(request, login)
            except ApiError as err:
                return _error_response(err, request.url.path)
            return response
        return endpoint

    def doc(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status)

    def base_url(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    # -- authentication -------------------------------------------------------------

    async def authentication(request: Request) -> Response:
        try:
            if request.query_params.get("type") == "x509":
                if not (sim.client_certificates and request.url.scheme == "https"):
                    raise ApiError(401, "AuthenticationFailure",
                                   "Certificate login needs a client certificate over TLS.")
                login = sim.logins.login_certificate("x509-user")
            else:
                login = sim.logins.login(request.headers.get("authorization"))
        except ApiError as err:
            return _error_response(err, request.url.path)
        response = doc({"meta": {"href": "/api/authentication", "parent": "/api",
                                 "remaining_seconds": int(sim.logins.ttl)}})
        response.set_cookie("session_id", login.id, path="/", httponly=True,
                            secure=request.url.scheme == "https")
        return response

    # -- search ---------------------------------------------------------------------

    async def sessions_list(request: Request, login: Login) -> Response:
        params = request.query_params.multi_items()
        names = {k for k, _ in params}
        if sim.compat == "8.0" and names & {"snapshot", "search_after"}:
            search.client_id(request.headers)
            return doc(search.snapshot_search(sim.store, sim.snapshots, sim.now(), params,
                                              base_url(request)))
        result, media = search.basic_search(sim.store, sim.now(), params, base_url(request))
        if isinstance(result, str):
            return Response(result, media_type=media)
        return doc(result)

    def advanced_only() -> None:
        if sim.compat != "8.0":
            raise ApiError(404, "NotFound", "Advanced search is not available on this release.")

    async def snapshot(request: Request, login: Login) -> Response:
        advanced_only()
        client = search.client_id(request.headers)
        return doc(sim.snapshots.open(sim.store, client, sim.now()))

    async def count(request: Request, login: Login) -> Response:
        advanced_only()
        search.client_id(request.headers)
        return doc(search.count(sim.store, sim.snapshots, dict(request.query_params), sim.now()))

    # -- one session and its parts ----------------------------------------------------

    def part_meta(request: Request, key: str, login: Login, **extra: Any) -> dict[str, Any]:
        return {"href": request.url.path, "parent": f"{SESSIONS}/{key}", **extra,
                "remaining_seconds": sim.logins.remaining(login)}

    def paged(request: Request, key: str, login: Login, items: list[Any],
              match_count: bool = True, q_fields: dict[str, Any] | None = None) -> JSONResponse:
        params = request.query_params
        limit = min(search.parse_int(params, "limit", 500, "InvalidQuery"), 500)
        offset = search.parse_int(params, "offset", 0, "InvalidQuery")
        # Links keep the request's other parameters (q), so following them stays filtered.
        path = request.url.path
        rest = "".join(f"&{k}={quote(v, safe=',:*-')}" for k, v in params.multi_items()
                       if k not in ("limit", "offset"))
        last = max(0, (len(items) - 1) // limit * limit)
        meta = part_meta(
            request, key, login,
            first=f"{path}?limit={limit}&offset=0{rest}",
            last=f"{path}?limit={limit}&offset={last}{rest}",
            limit=limit,
            next=f"{path}?limit={limit}&offset={offset + limit}{rest}"
            if offset + limit < len(items) else None,
            offset=offset,
            previous=f"{path}?limit={limit}&offset={max(0, offset - limit)}{rest}"
            if offset else None,
        )
        if match_count:
            meta["match_count"] = len(items)
        return doc({"items": items[offset:offset + limit], "meta": dict(sorted(meta.items()))})

    async def one_session(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        s = sim.session(key)
        return doc({"body": bodies.session_body(sim.store, s, sim.now(), sim.compat), "key": key,
                    "meta": {"href": request.url.path, "parent": SESSIONS,
                             "remaining_seconds": sim.logins.remaining(login)}})

    async def channels(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        items = bodies.channel_items(sim.store, sim.session(key), sim.now(), sim.compat)
        return paged(request, key, login, items)

    async def channel(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        items = bodies.channel_items(sim.store, sim.session(key), sim.now(), sim.compat)
        found = next((c for c in items if c["key"] == request.path_params["channel"]), None)
        if found is None:
            raise ApiError(404, "NotFound", "No such channel in this session.")
        parent = f"{SESSIONS}/{key}/channels"
        return doc({**found, "meta": {"href": request.url.path, "parent": parent}})

    def event_filter(q: str) -> Callable[[dict[str, Any]], bool]:
        try:
            pred = compile_query(q, EVENT_FIELDS, ("content",), parse_interval)
        except QueryError as err:
            raise ApiError(400, "InvalidQuery", f"Invalid q: {err}",
                           {"query": q, "field": err.field}) from None

        def value(e: dict[str, Any], name: str) -> object:
            if name == "time":
                return e["_ts"]
            if name == "channels_id":
                return int(e["channels_id"])
            return e[name]

        return lambda e: pred(lambda name: value(e, name))

    async def events(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        found = ev.events_at(sim.store, sim.session(key), sim.now())
        q = request.query_params.get("q", "")
        if q.strip():
            keep = event_filter(q)
            found = [e for e in found if keep(e)]
        return paged(request, key, login, [ev.public(e) for e in found], match_count=False)

    async def content(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        q = request.query_params.get("q", "")
        if not q.strip():
            raise ApiError(400, "InvalidQuery", "Content search needs a non-empty q parameter.",
                           {"parameter": "q"})
        s = sim.session(key)
        keep = event_filter(q)
        found = [ev.public(e) for e in ev.events_at(sim.store, s, sim.now()) if keep(e)]
        return paged(request, key, login, found)

    async def indexing(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        runs = ev.indexer_runs(sim.store, sim.session(key), sim.now())
        return paged(request, key, login, runs)

    async def alerts(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        return paged(request, key, login, ev.alerts_at(sim.store, sim.session(key), sim.now()))

    async def trail_downloads(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        s = sim.session(key)
        items = bodies.gui_downloads(sim.store, s, sim.now())
        items += sim.store.api_downloads.get(s.idx, [])
        return paged(request, key, login, items)

    async def audit_trail(request: Request, login: Login) -> Response:
        key = request.path_params["key"]
        s = sim.session(key)
        fmt = (request.query_params.get("format") or "zat").lower()
        if fmt not in ("zat", "srs"):
            raise ApiError(400, "InvalidQuery", f"Unknown format '{fmt}': use srs, or leave "
                           "it out for .zat.", {"parameter": "format"})
        if not s.has_trail:
            raise ApiError(404, "NotFound", "This session has no audit trail: auditing was not "
                           "enabled for it, or the connection was not established.")
        now = sim.now()
        store = sim.store
        store.api_downloads.setdefault(s.idx, []).append({
            "from_api": True,
            "ip_address": request.client.host if request.client else "127.0.0.1",
            "time": iso_z(now),
            "username": login.user,
        })
        head = trails.header(fmt, key)
        suffix = fmt
        headers = {"Content-Disposition": f'attachment; filename="{key}.{suffix}"'}
        if fmt == "srs" and store.is_active(s, now):
            stream = trails.growing(
                store.seed, s.idx, head,
                recorded=lambda: store.trail_size(s, sim.now()),
                still_active=lambda: store.is_active(s, sim.now()),
                poll=sim.follow_poll,
            )
            return StreamingResponse(stream, media_type="application/octet-stream",
                                     headers=headers)
        size = store.trail_size(s, now)
        headers["Content-Length"] = str(size)
        return StreamingResponse(trails.fixed(store.seed, s.idx, head, size),
                                 media_type="application/octet-stream", headers=headers)

    async def terminate(request: Request, login: Login) -> Response:
        ident = request.query_params.get("id", "").strip()
        if not ident:
            raise ApiError(400, "SessionIdMissing", "Give the session to terminate in the id "
                           "parameter (its session_id, URL-encoded).", {"parameter": "id"})
        now = sim.now()
        s = sim.store.find(ident, now)
        if s is None or not sim.store.is_active(s, now):
            raise ApiError(404, "SessionCouldNotBeFound",
                           f"No active session has the id '{ident}'.", {"id": ident})
        sim.store.terminate(s, now)
        return doc({"key": sim.store.session_id(s),
                    "meta": {"href": "/api/active-sessions", "parent": "/api"}})

    # -- configuration and transactions ------------------------------------------------

    async def read_json(request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as err:
            raise ApiError(400, "InvalidJson", f"The request body is not valid JSON: {err}") \
                from None

    def config_endpoint(path: str) -> Handler:
        async def handler(request: Request, login: Login) -> Response:
            if request.method == "GET":
                result = sim.config.get(path, login.id)
            else:
                result = sim.config.put(path, await read_json(request), login.id)
            if "remaining_seconds" in result.get("meta", {}):
                result["meta"]["remaining_seconds"] = sim.logins.remaining(login)
            return doc(result)
        return handler

    async def transaction(request: Request, login: Login) -> Response:
        method = request.method
        if method == "POST":
            return doc(sim.config.open_transaction(login.id))
        if method == "PUT":
            return doc(sim.config.commit(login.id, await read_json(request)))
        if method == "DELETE":
            return doc(sim.config.rollback(login.id))
        return doc(sim.config.transaction(login.id))

    async def transaction_changes(request: Request, login: Login) -> Response:
        return doc(sim.config.changes(login.id))

    routes = [
        Route("/api/authentication", authentication, methods=["GET"]),
        Route(SESSIONS, authed(sessions_list), methods=["GET"]),
        Route(f"{SESSIONS}/_snapshot", authed(snapshot), methods=["GET"]),
        Route(f"{SESSIONS}/_count", authed(count), methods=["GET"]),
        Route(SESSIONS + "/{key}", authed(one_session), methods=["GET"]),
        Route(SESSIONS + "/{key}/channels", authed(channels), methods=["GET"]),
        Route(SESSIONS + "/{key}/channels/{channel}", authed(channel), methods=["GET"]),
        Route(SESSIONS + "/{key}/events", authed(events), methods=["GET"]),
        Route(SESSIONS + "/{key}/content", authed(content), methods=["GET"]),
        Route(SESSIONS + "/{key}/content/", authed(content), methods=["GET"]),
        Route(SESSIONS + "/{key}/indexing", authed(indexing), methods=["GET"]),
        Route(SESSIONS + "/{key}/indexer", authed(indexing), methods=["GET"]),
        Route(SESSIONS + "/{key}/indexers", authed(indexing), methods=["GET"]),
        Route(SESSIONS + "/{key}/alerts", authed(alerts), methods=["GET"]),
        Route(SESSIONS + "/{key}/trail_downloads", authed(trail_downloads), methods=["GET"]),
        Route(SESSIONS + "/{key}/audit_trail", authed(audit_trail), methods=["GET"]),
        Route("/api/active-sessions", authed(terminate), methods=["DELETE"]),
        Route("/api/transaction", authed(transaction), methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/api/transaction/changes", authed(transaction_changes), methods=["GET"]),
    ]
    for path in ("/api/configuration/vnc/options", "/api/configuration/local_services/indexer"):
        routes.append(Route(path, authed(config_endpoint(path)), methods=["GET", "PUT"]))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "Error")
        message = ("The requested object does not exist." if exc.status_code == 404
                   else f"{request.method} is not allowed on {request.url.path}.")
        return _error_response(ApiError(exc.status_code, code, message), request.url.path)

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
