"""JSON documents for one session and its parts, in the reference samples' shapes.

`compat` selects the release: "6.0" writes channel times as epoch seconds and
links the indexer part as `indexer`; "8.0" writes ISO 8601 and `indexing`.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from spstui.simulator import events as ev
from spstui.simulator import vocab
from spstui.simulator.dates import iso, iso_z
from spstui.simulator.fields import target_ip
from spstui.simulator.sessions import DAY, SPS_IP, Session, SessionStore

NODE_ID = "6fed7872-065e-41d2-9cfa-ba75e8cad901"
ARCHIVE_POLICY = "8106930065bf7eb4c3cf59"


def _policy_id(policy: str) -> str:
    return hashlib.blake2b(policy.encode(), digest_size=11).hexdigest()


def _endpoint(ip: str, name: str, port: int) -> dict[str, Any]:
    return {"ip": ip, "name": name, "port": port}


def indexer_link(compat: str) -> str:
    return "indexer" if compat == "6.0" else "indexing"


def session_body(store: SessionStore, s: Session, t: float, compat: str) -> dict[str, Any]:
    key = store.key(s)
    href = f"/api/audit/sessions/{key}"
    active = store.is_active(s, t)
    end = store.end_time(s, t)
    status = store.index_status(s, t)
    terminal = s.protocol in vocab.TERMINAL_PROTOCOLS
    graphical = s.protocol in vocab.GRAPHICAL_PROTOCOLS
    extracted = status in ("INDEXED", "INDEXING_FAILED") or (
        status != "NO_TRAIL" and bool(ev.events_at(store, s, t))
    )
    recording: dict[str, Any] = {
        "archived": store.archived(s, t),
        "auth_method": s.auth_method,
        "channel_policy": s.channel_policy,
        "command_extracted": terminal and extracted,
        "connection_policy": s.policy,
        "connection_policy_id": _policy_id(s.policy),
        "content_reference_id": 1000 + s.idx,
        "has_accepted_channel": s.accepted,
        "index_status": status,
        "server_local": _endpoint(SPS_IP, SPS_IP, vocab.SERVICE_PORTS[s.protocol]),
        "session_id": store.session_id(s),
        "target": _endpoint(target_ip(s), target_ip(s), s.server_port),
        "verdict": vocab.VERDICT_TEXT[s.verdict],
        "window_title_extracted": graphical and extracted,
    }
    if s.has_trail:
        archive = None
        if recording["archived"]:
            assert end is not None
            archived_at = end + 31 * DAY
            archive = {
                "date": iso_z(archived_at),
                "path": iso_z(archived_at)[:10] + "/",
                "policy": ARCHIVE_POLICY,
                "server": vocab.ARCHIVE_SERVER,
            }
        recording["audit_trail"] = {"archive": archive, "download": {"href": f"{href}/audit_trail"}}
    interesting = ev.interesting_events(store, s, t)
    bits = s.content_bits
    scripted = s.user.startswith("svc_") or s.user == "jenkins"
    # Revision counts the document's updates: start, end, each index status change.
    revision = 1 + (0 if active else 1) + {"INDEXING_IN_PROGRESS": 1, "INDEXED": 2,
                                           "INDEXING_FAILED": 2}.get(status, 0)
    body: dict[str, Any] = {
        "active": active,
        "alerts": {"href": f"{href}/alerts"},
        "analytics": {
            "interesting_events": interesting,
            "scripted": scripted,
            "scripted_results": {
                "clockmaster": "True: keystroke timing is machine-like" if scripted
                else "False: human keystroke timing",
                "gapminder": "False" if not scripted else "True: no idle gaps",
            } if terminal and s.accepted else {},
            "score": {
                "aggregated": ev.risk_score(store, s, t),
                "details": {
                    "command": {"score": min(100, 20 * len(interesting))},
                    "fis": {"score": (bits >> 28) % 100},
                    "hostlogin": {"score": (bits >> 36) % 60},
                },
            },
            "similar_sessions": [],
            "tags": ["interesting"] if interesting else [],
        },
        "channels": {"href": f"{href}/channels"},
        "client": _endpoint(s.client.ip, s.client.name, s.client_port),
        "creation_time": iso_z(s.start + (bits >> 50) % 3 + 0.244),
        "duration": store.duration(s, t),
        "end_time": None if end is None else iso(end),
        "events": {"href": f"{href}/events"},
        "hidden": False,
        indexer_link(compat): {"href": f"{href}/{indexer_link(compat)}"},
        "node_id": NODE_ID,
        "origin": "RECORDING",
        "phantom": False,
        "protocol": s.protocol,
        "recording": dict(sorted(recording.items())),
        "revision": revision,
        "server": _endpoint(s.server.ip, s.server.name, s.server_port),
        "start_time": iso(s.start),
        "trail_downloads": {"href": f"{href}/trail_downloads"},
        "user": {"id": _user_id(s.user), "name": s.user, "server_username": s.server_user},
        "verdict": s.verdict.upper().replace("-", "_"),
    }
    return dict(sorted(body.items()))


def _user_id(user: str) -> str:
    return hashlib.blake2b(user.encode(), digest_size=6).hexdigest()


def channel_items(store: SessionStore, s: Session, t: float, compat: str) -> list[dict[str, Any]]:
    key = store.key(s)
    items = []
    for ch in ev.channels_at(store, s, t):
        body = dict(ch)
        for name in ("start_time", "end_time"):
            value = cast(float | None, body[name])
            if value is not None:
                body[name] = int(value) if compat == "6.0" else iso(float(value))
        n = int(ch["channel_id"]) + 1  # type: ignore[call-overload]
        items.append({"body": body, "key": str(n),
                      "meta": {"href": f"/api/audit/sessions/{key}/channels/{n}"}})
    return items


def gui_downloads(store: SessionStore, s: Session, t: float) -> list[dict[str, Any]]:
    """Downloads made on the appliance's web interface before the simulator started."""
    end = store.end_time(s, t)
    if end is None or not s.has_trail or (s.content_bits >> 54) % 7:
        return []
    count = 1 + (s.content_bits >> 57) % 2
    return [
        {"from_api": False, "ip_address": "10.20.30.40",
         "time": iso_z(min(store.t0, end + 3600 * (i + 1))), "username": "auditor"}
        for i in range(count)
        if end + 3600 * (i + 1) < store.t0
    ]
