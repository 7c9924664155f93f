"""The simulated appliance's recorded sessions.

Sessions are generated cheaply from a seed: one pass of a seeded PRNG yields a
compact record per session, and everything bulky (events, channels, bodies) is
derived from the record on demand. Time-dependent state — whether a session is
still active, its end time, its index status — is a pure function of the record
and a point in time, so the appliance "lives" as its clock advances, snapshots
can be evaluated as of the moment they were taken, and tests can move the clock.

Session indices follow start time: ``idx`` order is start order, which keeps
"sessions visible at time t" a prefix of the list.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from spstui.simulator import vocab

DAY = 86400.0
HISTORY_DAYS = 90
# Future sessions are generated lazily in windows of this many seconds.
FUTURE_WINDOW = 600.0
FUTURE_MIN, FUTURE_MAX = 20.0, 3600.0
# Seconds after a session ends before the indexer picks it up, and how long
# indexing takes per second of recording (capped).
INDEX_QUEUE_DELAY = 30.0
INDEX_SPEED = 0.05
INDEX_MAX = 900.0
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

INDEX_KINDS = ("indexed", "failed", "never", "not_required", "no_trail")


def _weighted(pairs: Sequence[tuple[object, int]], size: int = 1024) -> tuple[object, ...]:
    """A lookup table of `size` slots filled in proportion to the weights."""
    total = sum(w for _, w in pairs)
    table: list[object] = []
    for value, weight in pairs:
        table.extend([value] * round(size * weight / total))
    while len(table) < size:
        table.append(pairs[0][0])
    return tuple(table[:size])


_PROTOCOL_TABLE = _weighted(list(zip(vocab.PROTOCOLS, vocab.PROTOCOL_WEIGHTS, strict=True)))
_VERDICT_TABLE = _weighted(vocab.VERDICTS)
_INDEX_TABLE = _weighted(
    [("indexed", 72), ("failed", 4), ("never", 6), ("not_required", 12), ("no_trail", 6)]
)


def _host_ip(prefix: str, n: int) -> str:
    return f"{prefix}.{n // 250}.{n % 250 + 1}"


@dataclass(frozen=True)
class Host:
    name: str
    ip: str


def _hosts(names: Sequence[str], prefix: str) -> tuple[Host, ...]:
    return tuple(Host(f"{n}.{vocab.DOMAIN}", _host_ip(prefix, i + 3)) for i, n in enumerate(names))


LINUX = _hosts(vocab.LINUX_HOSTS, "10.10")
WINDOWS = _hosts(vocab.WINDOWS_HOSTS, "10.11")
WEB = _hosts(vocab.WEB_HOSTS, "10.12")
# Workstations; a fifth of them have no reverse DNS, so their name is their IP.
CLIENTS = tuple(
    Host(_host_ip("10.30", i) if i % 5 == 4 else f"ws-{i:03d}.corp.{vocab.DOMAIN}",
         _host_ip("10.30", i))
    for i in range(160)
) + tuple(Host(_host_ip("172.16", i), _host_ip("172.16", i)) for i in range(40))
SPS_IP = "10.20.0.10"


@dataclass(slots=True, eq=False)  # identity hash: sessions key caches
class Session:
    """One recorded session's fixed facts; see SessionStore for its state at a time."""

    idx: int
    start: float
    planned_end: float
    protocol: str
    verdict: str  # the documented lower-case spelling, e.g. "accept-terminated"
    user: str
    server_user: str
    client: Host
    client_port: int
    server: Host
    server_port: int
    transparent: bool  # the client targeted the server itself, not SPS
    policy: str
    channel_policy: str
    auth_method: str
    index_kind: str
    content_bits: int  # further deterministic choices: vocabulary, hostility, score
    token: str = field(default="", repr=False)  # the random part of the key, made lazily

    @property
    def accepted(self) -> bool:
        return self.verdict in ("accept", "accept-terminated")

    @property
    def has_trail(self) -> bool:
        return self.index_kind != "no_trail"


def _server_for(protocol: str, bits: int) -> Host:
    if protocol in ("SSH", "TELNET"):
        return LINUX[bits % len(LINUX)]
    if protocol == "HTTP":
        return WEB[bits % len(WEB)]
    if protocol == "VNC":
        pool = LINUX + WINDOWS
        return pool[bits % len(pool)]
    return WINDOWS[bits % len(WINDOWS)]


def _server_user(protocol: str, user: str, bits: int) -> str:
    if bits % 4 == 0:
        return user  # mapped to the same name on the server
    pool = vocab.SERVER_USERS_UNIX if protocol in ("SSH", "TELNET") else vocab.SERVER_USERS_WINDOWS
    return pool[(bits >> 2) % len(pool)]


def make_session(idx: int, start: float, duration: float, r: int, r2: int,
                 force_accept: bool = False) -> Session:
    """Build one session from two 64-bit random words (cheap: no PRNG calls)."""
    protocol = str(_PROTOCOL_TABLE[r & 1023])
    verdict = "accept" if force_accept else str(_VERDICT_TABLE[(r >> 10) & 1023])
    if verdict == "key-error" and protocol != "SSH":
        verdict = "accept"
    policies = vocab.POLICIES[protocol]
    policy, channel_policies, auths = policies[(r >> 20) % len(policies)]
    user = vocab.GATEWAY_USERS[(r >> 24) % len(vocab.GATEWAY_USERS)]
    accepted = verdict in ("accept", "accept-terminated")
    if not accepted:
        index_kind = "no_trail"
        duration = float((r >> 30) % 6)
    elif protocol == "HTTP":
        index_kind = "not_required"
    else:
        index_kind = str(_INDEX_TABLE[(r >> 34) & 1023])
    return Session(
        idx=idx,
        start=start,
        planned_end=start + duration,
        protocol=protocol,
        verdict=verdict,
        user=user,
        server_user=_server_user(protocol, user, r >> 44),
        client=CLIENTS[(r >> 48) % len(CLIENTS)],
        client_port=32768 + (r >> 8) % 28000,
        server=_server_for(protocol, r >> 52),
        server_port=vocab.SERVICE_PORTS[protocol] if (r >> 58) % 8 else 2222,
        transparent=bool((r >> 61) & 1),
        policy=policy,
        channel_policy=channel_policies[(r >> 62) % len(channel_policies)],
        auth_method=auths[(r >> 40) % len(auths)],
        index_kind=index_kind,
        content_bits=r2,
    )


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _business_hours(ts: float, bits: int) -> float:
    """Move three quarters of start times into 07:00-19:00 of their day."""
    if bits % 4 == 0:
        return ts
    day = math.floor(ts / DAY) * DAY
    return day + 7 * 3600 + (ts - day) % (12 * 3600)


class SessionStore:
    """All sessions, and what they look like at any point in time."""

    def __init__(self, *, seed: int, count: int, active_ratio: float, t0: float) -> None:
        self.seed = seed
        self.t0 = t0
        self.terminated: dict[int, float] = {}
        self.api_downloads: dict[int, list[dict[str, object]]] = {}
        self.trail_size_override: dict[int, int] = {}
        self.sessions: list[Session] = []
        self.starts: list[float] = []
        self.longest = 0.0  # the longest planned duration: bounds where running ones start
        self._future_windows = 0
        active = min(count, round(count * active_ratio))
        # New sessions arrive at a rate that keeps about `active` of them running
        # (Little's law with the mean of the log-uniform future durations).
        mean_duration = (FUTURE_MAX - FUTURE_MIN) / math.log(FUTURE_MAX / FUTURE_MIN)
        self._arrival_rate = max(active, 1) / mean_duration
        self._generate_initial(count, active)

    # -- generation -----------------------------------------------------------------

    def _generate_initial(self, count: int, active: int) -> None:
        rng = random.Random(self.seed)
        t0 = self.t0
        rows: list[tuple[float, float, int, int, bool]] = []
        span = HISTORY_DAYS * DAY
        for _ in range(count - active):
            r = rng.getrandbits(64)
            r2 = rng.getrandbits(64)
            start = _business_hours(t0 - span * rng.random(), r2 >> 56)
            if start >= t0 - 5:
                start = t0 - 5 - rng.random() * 3600
            # Mostly seconds to hours; one in 64 runs for up to half a day.
            long_one = not r2 & 63
            duration = _log_uniform(rng, 3600, 12 * 3600) if long_one else _log_uniform(
                rng, 8, 4 * 3600)
            room = t0 - start - 1
            if duration > room:
                # It would still run at t0 but is not one of the active ones: it ended
                # a little before t0 (spread over the last 15 minutes, not all at t0 - 1,
                # so some are being indexed when the appliance starts).
                duration = room - ((r2 >> 8) % 1000) / 1000 * min(900.0, room / 2)
            rows.append((start, max(duration, 0.0), r, r2, False))
        for _ in range(active):
            # Running now: started within the last three hours, ending within the hour.
            start = t0 - rng.uniform(5, 3 * 3600)
            rows.append((start, (t0 - start) + rng.uniform(30, 3600), rng.getrandbits(64),
                         rng.getrandbits(64), True))
        rows.sort(key=lambda row: row[0])
        self.sessions = [
            make_session(i, start, duration, r, r2, force_accept)
            for i, (start, duration, r, r2, force_accept) in enumerate(rows)
        ]
        self.starts = [s.start for s in self.sessions]
        self.longest = max((s.planned_end - s.start for s in self.sessions), default=0.0)

    def _extend_to(self, t: float) -> None:
        """Generate the sessions that start in future windows up to time t."""
        while self.t0 + self._future_windows * FUTURE_WINDOW <= t:
            w = self._future_windows
            rng = random.Random(f"{self.seed}:future:{w}")
            lo = self.t0 + w * FUTURE_WINDOW
            start = lo + rng.expovariate(self._arrival_rate)
            while start < lo + FUTURE_WINDOW:
                r, r2 = rng.getrandbits(64), rng.getrandbits(64)
                duration = _log_uniform(rng, FUTURE_MIN, FUTURE_MAX)
                s = make_session(len(self.sessions), start, duration, r, r2)
                self.sessions.append(s)
                self.starts.append(start)
                self.longest = max(self.longest, s.planned_end - start)
                start += rng.expovariate(self._arrival_rate)
            self._future_windows += 1

    # -- lookup -----------------------------------------------------------------------

    def visible_count(self, t: float) -> int:
        """How many sessions have started by time t (they are a prefix of the list)."""
        self._extend_to(t)
        return bisect.bisect_right(self.starts, t)

    def visible(self, t: float) -> list[Session]:
        return self.sessions[: self.visible_count(t)]

    def may_run_at(self, sessions: Sequence[Session], t: float) -> Sequence[Session]:
        """The part of `sessions` (a prefix of the list, so ordered by start) that can
        be active at t: none that started more than the longest duration ago is."""
        return sessions[bisect.bisect_left(self.starts, t - self.longest, 0, len(sessions)):]

    def token(self, s: Session) -> str:
        if not s.token:
            digest = hashlib.blake2b(f"{self.seed}:{s.idx}".encode(), digest_size=16).digest()
            n = int.from_bytes(digest, "big")
            chars = []
            for _ in range(22):
                n, rem = divmod(n, 58)
                chars.append(BASE58[rem])
            s.token = "".join(chars)
        return s.token

    def key(self, s: Session) -> str:
        """The REST key: the session id with its special characters replaced by '-'."""
        return f"svc-{self.token(s)}-{s.policy}-{s.idx + 1}"

    def session_id(self, s: Session) -> str:
        return f"svc/{self.token(s)}/{s.policy}:{s.idx + 1}"

    def find(self, ident: str, t: float) -> Session | None:
        """The visible session whose key or session_id is `ident`."""
        sep = "-" if ident.startswith("svc-") else ":"
        try:
            n = int(ident.rsplit(sep, 1)[1])
        except (IndexError, ValueError):
            return None
        if not 1 <= n <= self.visible_count(t):
            return None
        s = self.sessions[n - 1]
        return s if ident in (self.key(s), self.session_id(s)) else None

    # -- state at a time --------------------------------------------------------------

    def end_at(self, s: Session, t: float) -> float:
        """When the session ends (or will end, as far as is known at time t)."""
        stop = self.terminated.get(s.idx)
        if stop is not None and stop <= t:
            return min(stop, s.planned_end)
        return s.planned_end

    def is_active(self, s: Session, t: float) -> bool:
        return s.start <= t < self.end_at(s, t)

    def end_time(self, s: Session, t: float) -> float | None:
        end = self.end_at(s, t)
        return None if t < end else end

    def duration(self, s: Session, t: float) -> int:
        return int(min(t, self.end_at(s, t)) - s.start)

    def index_status(self, s: Session, t: float) -> str:
        kind = s.index_kind
        if kind == "no_trail":
            return "NO_TRAIL"
        if kind == "not_required":
            return "INDEXING_NOT_REQUIRED"
        end = self.end_at(s, t)
        if t < end:
            return "CHANNEL_OPEN"
        queued = end + INDEX_QUEUE_DELAY
        if kind == "never" or t < queued:
            return "NOT_INDEXED"
        if t < queued + self.index_time(s, t):
            return "INDEXING_IN_PROGRESS"
        return "INDEXING_FAILED" if kind == "failed" else "INDEXED"

    def index_time(self, s: Session, t: float) -> float:
        return min(INDEX_MAX, 5 + INDEX_SPEED * (self.end_at(s, t) - s.start))

    def content_searchable(self, s: Session, t: float) -> bool:
        """Content search covers what the indexer has processed (even partly)."""
        return self.index_status(s, t) in ("INDEXED", "INDEXING_IN_PROGRESS", "INDEXING_FAILED")

    def archived(self, s: Session, t: float) -> bool:
        end = self.end_time(s, t)
        old_enough = end is not None and t - end > 30 * DAY
        return old_enough and s.has_trail and (s.content_bits >> 8) % 5 != 0

    def terminate(self, s: Session, t: float) -> None:
        self.terminated[s.idx] = t

    def trail_size(self, s: Session, t: float) -> int:
        """Bytes of audit trail recorded by time t (deterministic)."""
        override = self.trail_size_override.get(s.idx)
        if override is not None:
            return override
        rate = {"SSH": 1500, "TELNET": 900, "RDP": 42000, "VNC": 60000, "ICA": 30000, "HTTP": 5000}
        factor = 0.4 + ((s.content_bits >> 12) % 100) / 80
        recorded = max(0.0, min(t, self.end_at(s, t)) - s.start)
        return 4096 + int(recorded * rate[s.protocol] * factor)
