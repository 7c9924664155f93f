"""Offline cache figure: reading back a cached 500-row search page.

Run: .venv/bin/python benchmarks/cache_page.py [--reads N]
Fills a temporary cache with 20 pages of 500 realistic rows, then times
get_page. Timings are printed, never asserted (the machines are noisy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from spstui.api.search import SearchQuery
from spstui.cache import CacheStore, query_key

PAGES = 20
ROWS = 500
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NAMES = ["admin", "root", "oracle", "jenkins", "józsef.kovács", "administrator", "svc_backup"]
PROTOCOLS = {"ssh": 22, "rdp": 3389, "telnet": 23, "vnc": 5900}
VERDICTS = ["ACCEPT"] * 8 + ["AUTH_FAIL", "DENY", "ACCEPT_TERMINATED", "GW_AUTH_FAIL"]


def row(rng: random.Random, n: int) -> dict[str, Any]:
    protocol = rng.choice(list(PROTOCOLS))
    start = START - timedelta(seconds=n * 97 + rng.randrange(60))
    duration = rng.randrange(5, 7200)
    active = n < 12
    policy = f"{protocol}_{rng.choice(['jump', 'dev', 'prod'])}"
    key = f"svc-{rng.randbytes(11).hex()}-{policy}-{n}"
    return {
        "key": key,
        "meta": {"href": f"/api/audit/sessions/{key}"},
        "body": {
            "active": active,
            "analytics.score.aggregated": rng.randrange(100),
            "client.address": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "client.port": rng.randrange(1024, 65535),
            "connection_policy": policy,
            "duration": duration,
            "end_time": None if active else (start + timedelta(seconds=duration)).isoformat(),
            "index_status": "CHANNEL_OPEN" if active else "INDEXED",
            "name": rng.choice(NAMES),
            "protocol": protocol,
            "server.address": f"192.168.{rng.randrange(256)}.{rng.randrange(256)}",
            "server.port": PROTOCOLS[protocol],
            "server_username": rng.choice(NAMES),
            "session_id": key.replace("-", "/", 2),
            "start_time": start.isoformat(timespec="milliseconds"),
            "verdict": rng.choice(VERDICTS),
        },
    }


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=50)
    reads = parser.parse_args().reads
    rng = random.Random(7)
    key = query_key(SearchQuery().params())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        with CacheStore(path) as store:
            for page in range(PAGES):
                items = [row(rng, page * ROWS + n) for n in range(ROWS)]
                store.put_page(key, page * ROWS, ROWS, PAGES * ROWS, items)
            times = []
            for n in range(reads):
                t = time.perf_counter()
                cached = store.get_page(key, (n * 7 % PAGES) * ROWS, ROWS)
                times.append(time.perf_counter() - t)
                assert cached is not None and len(cached.value.items) == ROWS
            search = []
            for _ in range(max(3, reads // 5)):
                t = time.perf_counter()
                store.search("protocol:ssh AND NOT verdict:accept", limit=ROWS)
                search.append(time.perf_counter() - t)
            size = store.info()["size_bytes"]
        print(f"cache of {PAGES} pages x {ROWS} rows: {size / 2**20:.1f} MiB")
        print(f"get_page, 500 rows, {reads} reads:                     {ms(times)}")
        print(f"offline search over {PAGES * ROWS:,} rows, 500-row page: {ms(search)}")


if __name__ == "__main__":
    main()
