"""What happened inside a session: events, alerts, channels and indexer runs.

Each session uses a small, fixed vocabulary of commands (terminal protocols) or
window titles (graphical ones), chosen by bits of its record. That vocabulary
is a bit mask, so content search over thousands of sessions is a mask test per
session rather than generating every event; the events themselves are made on
demand from a PRNG seeded by the session.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from functools import lru_cache

from spstui.simulator import vocab
from spstui.simulator.sessions import Session, SessionStore

TERMINAL_VOCAB = vocab.COMMANDS + vocab.HOSTILE_COMMANDS
GRAPHICAL_VOCAB = vocab.WINDOW_TITLES + vocab.HOSTILE_TITLES
_PICKS = 6


def vocabulary(s: Session) -> tuple[str, ...]:
    if s.protocol in vocab.TERMINAL_PROTOCOLS:
        return TERMINAL_VOCAB
    if s.protocol in vocab.GRAPHICAL_PROTOCOLS:
        return GRAPHICAL_VOCAB
    return ()


def vocab_mask(s: Session) -> int:
    """Bit i set: entry i of the session's vocabulary can appear in its events."""
    words = vocabulary(s)
    if not words or not s.accepted or not s.has_trail:
        return 0
    terminal = words is TERMINAL_VOCAB
    base = vocab.BASE_COMMANDS if terminal else vocab.BASE_TITLES
    plain = len(vocab.COMMANDS) if terminal else len(vocab.WINDOW_TITLES)
    mask = (1 << base) - 1
    bits = s.content_bits
    for k in range(_PICKS):
        mask |= 1 << (((bits >> (6 * k)) & 63) % plain)
    if (bits >> 40) & 31 == 0:  # about one session in 32 holds hostile text
        mask |= 1 << (plain + (bits >> 45) % (len(words) - plain))
    return mask


def prompt(s: Session) -> str:
    sign = "#" if s.server_user == "root" else "$"
    return f"{s.server_user}@{s.server.name.split('.')[0]}:~{sign} "


def naive_iso(ts: float, digits: int = 3) -> str:
    """Event times: naive ISO 8601 (UTC) with fractional seconds, as in the samples."""
    text = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[: len(text) - (6 - digits)]


def _interesting(action: str, terminal: bool) -> str | None:
    """The highlighted keyword or title an event matches, if any."""
    if terminal:
        words = action.split()
        for word in words[:2]:  # "sudo -i" and "sudo chmod ..." alike
            if word in vocab.INTERESTING_COMMANDS:
                return word
        return None
    return next((t for t in vocab.INTERESTING_TITLES if t in action), None)


@lru_cache(maxsize=4096)
def _planned_events(seed: int, s: Session) -> tuple[dict[str, object], ...]:
    words = vocabulary(s)
    mask = vocab_mask(s)
    if not mask:
        return ()
    choices = [w for i, w in enumerate(words) if mask >> i & 1]
    rng = random.Random(seed * 1_000_003 + s.idx)
    length = max(1.0, s.planned_end - s.start)
    count = int(min(120, max(2, length / 40)))
    times = sorted(s.start + rng.uniform(0.5, length) for _ in range(count))
    terminal = words is TERMINAL_VOCAB
    shell = prompt(s) if terminal else ""
    kind = "command" if terminal else "screen.windowtitle"
    record_id = 0
    events = []
    for ts in times:
        record_id += rng.randint(5, 40)
        action = rng.choice(choices)
        # "time" is formatted only when an event is served (see `public`): the risk
        # score of every listed session walks these, and needs only "_ts".
        events.append({
            "action": action,
            "channels_id": "0",
            "content": shell + action,
            "record_id": record_id,
            "type": kind,
            "_ts": ts,
            "_interesting": _interesting(action, terminal),
        })
    return tuple(events)


def events_at(store: SessionStore, s: Session, t: float) -> list[dict[str, object]]:
    """The events recorded by time t (a live session's list grows as time passes)."""
    if not s.has_trail or s.index_kind == "not_required":
        return []  # no indexing, so nothing was extracted
    until = min(t, store.end_at(s, t))
    return [e for e in _planned_events(store.seed, s) if e["_ts"] <= until]  # type: ignore[operator]


def public(event: dict[str, object]) -> dict[str, object]:
    return {"action": event["action"], "channels_id": event["channels_id"],
            "content": event["content"], "record_id": event["record_id"],
            "time": naive_iso(float(event["_ts"])),  # type: ignore[arg-type]
            "type": event["type"]}


@lru_cache(maxsize=4096)
def _interesting_times(seed: int, s: Session) -> tuple[tuple[float, str], ...]:
    """(time, keyword) of each interesting event planned, in time order: every listed
    session's risk score asks, and an active one's answer changes as time passes."""
    return tuple((float(e["_ts"]), str(e["_interesting"]))  # type: ignore[arg-type]
                 for e in _planned_events(seed, s) if e["_interesting"])


def interesting_events(store: SessionStore, s: Session, t: float) -> list[str]:
    if not s.has_trail or s.index_kind == "not_required":
        return []  # as events_at: nothing was extracted
    until = min(t, store.end_at(s, t))
    seen: dict[str, None] = {}
    for ts, keyword in _interesting_times(store.seed, s):
        if ts > until:
            break
        seen[keyword] = None
    return list(seen)


def alerts_at(store: SessionStore, s: Session, t: float) -> list[dict[str, object]]:
    """Content-policy alerts: only policies that store alerts raise them."""
    if s.policy not in ("ssh_prod", "ssh_jump", "rdp_admins", "telnet_legacy"):
        return []
    out = []
    for e in events_at(store, s, t):
        keyword = e["_interesting"]
        if not keyword:
            continue
        ts = float(e["_ts"])  # type: ignore[arg-type]
        out.append({
            "alert_type": "adp.event.command" if e["type"] == "command" else "adp.event.screen",
            "channel_id": "0",
            "matched_action": e["action"],
            "matched_content": e["content"],
            "matched_regexp": keyword,
            "record_id": e["record_id"],
            "rule_name": "PatternMatcherRule",
            "time": naive_iso(ts, 6),
        })
    return out


def risk_score(store: SessionStore, s: Session, t: float) -> int:
    score = (s.content_bits >> 20) % 25
    score += 12 * len(interesting_events(store, s, t))
    if not s.accepted:
        score += 30
    if s.server_user in ("root", "Administrator", "administrator"):
        score += 10
    return min(100, score)


def _channel_specs(s: Session, bits: int) -> list[tuple[str, dict[str, object], str]]:
    """(type, extra fields, verdict) of each channel a session opened."""
    if not s.accepted:
        return []
    p = s.protocol
    if p == "SSH":
        specs: list[tuple[str, dict[str, object], str]] = [("session shell", {}, "accept")]
        if bits & 1:
            specs.append(("session exec", {"command": "uptime"}, "accept"))
        if bits & 2:
            specs.append(("session exec scp", {"scp_path": "/srv/backup"}, "accept"))
        if bits & 4:
            specs.append(("session subsystem sftp", {"subsystem_name": "sftp"}, "accept"))
        if bits & 8:
            specs.append(("local forward", {
                "originator.address": "::1", "originator.port": 40000 + bits % 20000,
                "connected.address": "db01.prod." + vocab.DOMAIN, "connected.port": 5432,
            }, "accept"))
        if bits & 16:
            specs.append(("remote forward", {
                "originator.address": "::1", "originator.port": 42212,
                "connected.address": "localhost", "connected.port": 9898,
            }, "accept"))
        if bits & 32:
            specs.append(("x11 forward", {}, "deny"))
        return specs
    if p == "RDP":
        specs = [("drawing", {}, "accept")]
        optional: list[tuple[str, dict[str, object], str]] = [
            ("sound", {}, "accept"),
            ("clipboard", {}, "accept"),
            ("dynamic virtual", {"dynamic_channel": "Microsoft::Windows::RDS::Geometry::v08.01"},
             "accept"),
            ("disk redirect", {"device_name": "J:"}, "accept"),
            ("printer redirect", {"device_name": "PRN22"}, "accept"),
            ("scard redirect", {"device_name": "SCARD"}, "accept"),
            ("serial redirect", {"device_name": "COM1"}, "accept"),
            ("parallel redirect", {"device_name": "LPT1"}, "accept"),
            ("seamless", {}, "deny"),
            ("custom", {}, "deny"),
        ]
        specs += [spec for i, spec in enumerate(optional) if bits >> i & 1]
        return specs
    if p == "ICA":
        app = vocab.ICA_APPLICATIONS[bits % len(vocab.ICA_APPLICATIONS)]
        return [("drawing", {}, "accept"), ("seamless", {"application": app}, "accept")]
    if p == "TELNET":
        return [("terminal", {}, "accept")]
    if p == "VNC":
        return [("drawing", {}, "accept")]
    return [("http", {}, "accept")]


def channels_at(store: SessionStore, s: Session, t: float) -> list[dict[str, object]]:
    """Channel bodies with float times (the HTTP layer formats them per release)."""
    rng = random.Random(store.seed * 7_919 + s.idx)
    end = store.end_at(s, t)
    live = t < end
    out = []
    for i, (kind, extra, verdict) in enumerate(_channel_specs(s, s.content_bits >> 24)):
        if i == 0:
            c_start, c_end = s.start, end
        else:
            c_start = s.start + rng.uniform(0, max(0.0, end - s.start))
            c_end = c_start if verdict == "deny" else min(end, c_start + rng.uniform(1, 600))
        if c_start > t:
            continue
        open_now = live and (i == 0 or c_end > t)
        body: dict[str, object] = {
            "type": kind,
            "verdict": verdict,
            "channel_id": i,
            "active": open_now,
            "start_time": c_start,
            "end_time": None if open_now else c_end,
            "duration": int((t if open_now else c_end) - c_start),
            "rule_num": str(1 + i % 3),
        }
        if s.has_trail and verdict == "accept":
            body["audit_stream_id"] = f"{store.token(s)[:8]}-{i}"
        body.update(extra)
        out.append(body)
    return out


def indexer_runs(store: SessionStore, s: Session, t: float) -> list[dict[str, object]]:
    """Items of /indexing: one run once the indexer has picked the session up."""
    status = store.index_status(s, t)
    states = {"INDEXING_IN_PROGRESS": "IN_PROGRESS", "INDEXED": "COMPLETED",
              "INDEXING_FAILED": "FAILED"}
    if status not in states:
        return []
    graphical = s.protocol in vocab.GRAPHICAL_PROTOCOLS
    started = store.end_at(s, t) + 30
    run: dict[str, object] = {
        "config": {
            "command": {"enabled": not graphical},
            "keyboard": {"buffer_interval": 3, "enabled": False},
            "mouse": {"buffer_interval": 1, "enabled": False},
            "near_realtime": s.policy == "ssh_jump",
            "ocr_languages": ["eng"] if graphical else [],
            "screen": {"enabled": True, "omnipage_trade_off": "TO_ACCURATE"},
            "title": {"enabled": graphical},
        },
        "statistics": {
            "cpu_time": int(store.index_time(s, t) * 0.6),
            "duration": int(min(t - started, store.index_time(s, t))),
            "start_time": int(started * 1000),
        },
        "status": states[status],
        "version": {"adp": "8.0.3", "worker": "6.2.11"},
    }
    if status == "INDEXING_FAILED":
        run["error_message"] = "Audit trail is corrupted at offset 0x3f2a10; indexed up to there"
    return [run]
