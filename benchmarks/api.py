"""API layer figures against the simulator on a loopback port.

1. Export of 100,000 matches: `spstui search --all --format jsonl` beside a
   plain httpx loop over the same advanced-search pages (time ratio, peak RSS).
2. A 1 GiB trail download: `spstui download` beside curl (time ratio, peak RSS).

Run: .venv/bin/python benchmarks/api.py [--sessions 100000] [--trail-mib 1024]
Each client runs in its own process, measured by a wrapper that reports the
child's wall time and peak RSS. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from spstui.api.search import EXTRA_FIELDS, TABLE_FIELDS
from spstui.simulator import Simulator
from spstui.simulator.server import BackgroundServer

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "with open(sys.argv[1], 'wb') as out:\n"
    "    code = subprocess.run(sys.argv[2:], stdout=out).returncode\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {wall} {rss}')\n"
)

PLAIN_LOOP = """
import json, sys, httpx
url = sys.argv[1]
with httpx.Client(base_url=url) as c:
    c.get("/api/authentication", auth=("admin", "admin")).raise_for_status()
    snap = c.get("/api/audit/sessions/_snapshot").json()["body"]["snapshot"]
    fields = ",".join(sys.argv[2:])
    params = {"limit": 500, "sort": "start_time", "snapshot": snap, "fields": fields}
    out = sys.stdout
    while True:
        doc = c.get("/api/audit/sessions", params=params).json()
        for item in doc["items"]:
            out.write(json.dumps({"key": item["key"], **item["body"]}) + "\\n")
        if not doc["meta"]["next"]:
            break
        params["search_after"] = doc["meta"]["search_after"]
"""


def measure(output: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one command, stdout to `output`."""
    result = subprocess.run([sys.executable, "-c", MEASURE, str(output), *argv], env=env,
                            capture_output=True, text=True, check=True)
    code, wall, rss = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{argv[0]} failed ({code}): {result.stderr}")
    return float(wall), int(rss) / 1024


def spstui(*args: str) -> list[str]:
    return [sys.executable, "-m", "spstui", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--trail-mib", type=int, default=1024)
    args = parser.parse_args()
    env = {**os.environ, "SPSTUI_PASSWORD": "admin", "SPSTUI_CONFIG": os.devnull + ".toml"}
    sim = Simulator(sessions=args.sessions, active_ratio=0.0)
    with tempfile.TemporaryDirectory() as tmp, BackgroundServer(sim) as server:
        out = Path(tmp)
        print(f"simulator: {args.sessions:,} sessions at {server.url}")
        t_cli, rss_cli = measure(out / "cli.jsonl", spstui(
            "search", "--url", server.url, "--user", "admin", "--all", "--format", "jsonl"), env)
        fields = [*TABLE_FIELDS, *EXTRA_FIELDS]
        t_raw, rss_raw = measure(out / "raw.jsonl",
                                 [sys.executable, "-c", PLAIN_LOOP, server.url, *fields], env)
        n_cli = sum(1 for _ in (out / "cli.jsonl").open())
        n_raw = sum(1 for _ in (out / "raw.jsonl").open())
        print(f"export, spstui search --all --format jsonl: {t_cli:6.2f} s  "
              f"peak RSS {rss_cli:6.1f} MiB  ({n_cli:,} lines)")
        print(f"export, plain httpx loop:                   {t_raw:6.2f} s  "
              f"peak RSS {rss_raw:6.1f} MiB  ({n_raw:,} lines)")
        print(f"export ratio spstui / plain loop: {t_cli / t_raw:.2f}")

        biggest = max(sim.store.sessions[:sim.store.visible_count(sim.now())],
                      key=lambda s: s.has_trail and s.accepted)
        sim.store.trail_size_override[biggest.idx] = args.trail_mib * 2**20
        key = sim.store.key(biggest)
        t_dl, rss_dl = measure(out / "dl.out", spstui(
            "download", key, "--url", server.url, "--user", "admin", "-o",
            str(out / "spstui.zat")), env)
        curl = shutil.which("curl")
        if curl is None:
            print("curl not found: download comparison skipped")
            return
        cookie = out / "cookies.txt"
        subprocess.run([curl, "-s", "-u", "admin:admin", "-c", str(cookie),
                        f"{server.url}/api/authentication"], check=True, capture_output=True)
        t_curl, rss_curl = measure(out / "curl.out", [
            curl, "-s", "-b", str(cookie), "-o", str(out / "curl.zat"),
            f"{server.url}/api/audit/sessions/{key}/audit_trail"], env)
        size = (out / "spstui.zat").stat().st_size
        same = size == (out / "curl.zat").stat().st_size
        print(f"download {size / 2**20:,.0f} MiB, spstui: {t_dl:6.2f} s  peak RSS "
              f"{rss_dl:6.1f} MiB")
        print(f"download {size / 2**20:,.0f} MiB, curl:   {t_curl:6.2f} s  peak RSS "
              f"{rss_curl:6.1f} MiB  (same size: {same})")
        print(f"download ratio spstui / curl: {t_dl / t_curl:.2f}")
        print(json.dumps({"export_ratio": round(t_cli / t_raw, 2),
                          "download_ratio": round(t_dl / t_curl, 2)}))


if __name__ == "__main__":
    main()
