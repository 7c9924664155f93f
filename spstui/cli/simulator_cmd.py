"""`spstui simulator`: serve the simulated appliance on a port."""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime
from typing import Any

DEMO_PORT = 8443


def _timestamp(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 date and time") from None


def _ratio(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def register(sub: argparse._SubParsersAction[Any]) -> None:
    sim = sub.add_parser(
        "simulator", help="serve a simulated SPS appliance (REST API) on a port",
        description="Serve a simulated SPS appliance whose REST API answers like the "
        "reference guide describes, with realistic, living data.")
    sim.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: %(default)s)")
    sim.add_argument("--port", type=int, default=8443, help="port (default: %(default)s)")
    sim.add_argument("--tls", action="store_true",
                     help="serve HTTPS with a freshly generated CA and certificate")
    sim.add_argument("--user", default="admin", help="login name (default: %(default)s)")
    sim.add_argument("--password", default="admin", help="login password (default: %(default)s)")
    sim.add_argument("--seed", type=int, default=1, help="data seed (default: %(default)s)")
    sim.add_argument("--sessions", type=_nonnegative_int, default=20_000,
                     help="recorded sessions over the last 90 days (default: %(default)s)")
    sim.add_argument("--active-ratio", type=_ratio, default=0.005,
                     help="share of sessions active at start-up (default: %(default)s)")
    sim.add_argument("--compat", choices=("6.0", "8.0"), default="8.0",
                     help="which release's response shapes to serve (default: %(default)s)")
    sim.add_argument("--session-ttl", type=float, default=1200.0, metavar="SECONDS",
                     help="login cookie lifetime without activity (default: %(default)s)")
    sim.add_argument("--latency", type=float, default=0.0, metavar="MS",
                     help="added delay per request, in milliseconds (default: %(default)s)")
    sim.add_argument("--now", type=_timestamp, metavar="ISO-TIME",
                     help="start the simulated clock at this time instead of the real time")


def _curl_help(url: str, user: str, password: str, insecure: str) -> str:
    return (
        f"Try it:\n"
        f"  curl{insecure} -u {user}:{password} -c cookies.txt {url}/api/authentication\n"
        f"  curl{insecure} -b cookies.txt \"{url}/api/audit/sessions?fields=protocol,verdict"
        f"&q=protocol:ssh%20AND%20NOT%20verdict:accept&limit=10&offset=31\"\n"
        f"  curl{insecure} -b cookies.txt \"{url}/api/audit/sessions?q=active:true"
        f"&fields=start_time,name,protocol\"\n"
        "Press Ctrl+C to stop."
    )


def run(args: argparse.Namespace) -> int:
    from spstui.simulator import Clock, Simulator
    from spstui.simulator.server import make_tls_files, serve

    sim = Simulator(seed=args.seed, sessions=args.sessions, active_ratio=args.active_ratio,
                    compat=args.compat, user=args.user, password=args.password,
                    session_ttl=args.session_ttl, latency_ms=args.latency,
                    clock=Clock(args.now))
    tls = make_tls_files() if args.tls else None
    scheme = "https" if tls else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"{scheme}://{host}:{args.port}"
    print(f"SPS simulator {args.compat}: {len(sim.store.sessions):,} sessions at {url} "
          f"(user {args.user})")
    cacert = ""
    if tls:
        print(f"CA certificate: {tls.ca}  (curl --cacert {tls.ca}, or -k)")
        cacert = f" --cacert {tls.ca}"
    print(_curl_help(url, args.user, args.password, cacert), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve(sim, args.host, args.port, tls)
    return 0


def run_demo() -> int:
    """Until the terminal UI lands, the demo serves the simulator and shows how to try it."""
    import socket

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["simulator"])
    with socket.socket() as probe:
        busy = probe.connect_ex(("127.0.0.1", DEMO_PORT)) == 0
    if busy:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            args.port = free.getsockname()[1]
    return run(args)
