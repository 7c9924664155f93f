"""Simulator figures: start-up with 20,000 sessions and the latency of a 500-row page.

Run: .venv/bin/python benchmarks/simulator.py [--runs N]
Timings are printed, never asserted (the machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import httpx
from bytecode import compile_spstui

from spstui.simulator import Simulator
from spstui.simulator.server import BackgroundServer

STARTUP = (
    "import time; t = time.perf_counter(); "
    "from spstui.simulator import Simulator; s = Simulator(sessions=20000); "
    "print(time.perf_counter() - t)"
)
PAGES = {
    "fields=* (500 rows, newest first)": {"fields": "*"},
    "fields=* q=protocol:ssh AND NOT verdict:accept": {
        "fields": "*", "q": "protocol:ssh AND NOT verdict:accept"},
    "fields=* content=sudo": {"fields": "*", "content": "sudo"},
    "fields=* sort=-duration": {"fields": "*", "sort": "-duration"},
}


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def startup(runs: int) -> None:
    fresh = [float(subprocess.run([sys.executable, "-c", STARTUP], capture_output=True,
                                  text=True, check=True).stdout) for _ in range(runs)]
    print(f"start-up, fresh interpreter, 20,000 sessions (imports included): {ms(fresh)}")
    warm = []
    for _ in range(runs):
        t = time.perf_counter()
        Simulator(sessions=20_000)
        warm.append(time.perf_counter() - t)
    print(f"start-up, data generation only, 20,000 sessions:                {ms(warm)}")


async def pages(base_url: str, transport: httpx.AsyncBaseTransport | None, runs: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, transport=transport) as client:
        (await client.get("/api/authentication", auth=("admin", "admin"))).raise_for_status()
        for name, params in PAGES.items():
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                r = await client.get("/api/audit/sessions", params={**params, "limit": 500})
                r.raise_for_status()
                times.append(time.perf_counter() - t)
            print(f"  {name:48} {ms(times)}  ({len(r.content) / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    compile_spstui()
    startup(max(3, runs // 2))
    sim = Simulator(sessions=20_000)
    print("500-row page, in-process (httpx.ASGITransport):")
    asyncio.run(pages("http://sps", httpx.ASGITransport(app=sim.app), runs))
    with BackgroundServer(sim) as server:
        print(f"500-row page, loopback port ({server.url}):")
        asyncio.run(pages(server.url, None, runs))


if __name__ == "__main__":
    main()
