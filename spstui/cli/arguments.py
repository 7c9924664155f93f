"""The sub-commands' options. Kept apart from `commands.py` (which runs them) so that
building the parser imports nothing heavy: the terminal UI starts without it."""

from __future__ import annotations

import argparse
from typing import Any

from spstui.cli.connect import add_connection_options

# The objects `spstui config` reads and changes (spstui.api.configuration.OBJECTS).
CONFIG_OBJECTS = ("indexer", "vnc")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text,
                                                         description=help_text)
        add_connection_options(parser, suppress=True)
        return parser

    p = command("search", "search recorded sessions")
    p.add_argument("q", nargs="?", default="", help="query, e.g. 'protocol:ssh AND NOT "
                   "verdict:accept' (the appliance's q syntax)")
    p.add_argument("--start", help="started at or after (ISO date, or -24h, -7d, today)")
    p.add_argument("--end", help="ended before (ISO date, or -24h, -7d, today)")
    p.add_argument("--content", help="only sessions whose indexed content has this")
    p.add_argument("--fields", help="comma-separated fields to return (json/jsonl/csv)")
    p.add_argument("--sort", help="comma-separated fields, '-' for descending")
    p.add_argument("--limit", type=_positive, default=100,
                   help="how many sessions (default: %(default)s; ignored with --all)")
    p.add_argument("--all", action="store_true",
                   help="every match (through advanced search past 10,000)")
    p.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table")
    p.set_defaults(handler="search")

    p = command("show", "show one session and its parts")
    p.add_argument("key")
    for part in ("channels", "events", "indexing", "alerts", "downloads"):
        p.add_argument(f"--{part}", action="store_true", help=f"also list its {part}")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler="show")

    p = command("download", "download a session's audit trail (.zat, or .srs)")
    p.add_argument("key")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--srs", action="store_true", help="the .srs format")
    mode.add_argument("--follow", action="store_true",
                      help="follow an active session (.srs follow mode) until it ends")
    p.add_argument("-o", "--output", default=None,
                   help="file, or folder (ending in /); default: the profile's download_dir "
                   "(your downloads folder)")
    p.add_argument("--play", action="store_true", help="open it in Safeguard Desktop Player")
    p.set_defaults(handler="download")

    p = command("terminate", "terminate an active session")
    p.add_argument("key")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler="terminate")

    p = command("config", "read or change VNC options or the indexer configuration")
    p.add_argument("object", choices=CONFIG_OBJECTS)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    get = actions.add_parser("get", help="print the configuration")
    add_connection_options(get, suppress=True)
    get.add_argument("--format", choices=("table", "json"), default="table")
    put = actions.add_parser("set", help="change KEY=VALUE (dotted keys) in one transaction")
    add_connection_options(put, suppress=True)
    put.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    put.add_argument("--dry-run", action="store_true", help="show the difference only")
    put.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler="config")

    p = command("cache", "show or clear the local cache of a profile")
    p.add_argument("action", choices=("info", "clear"))
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler="cache")

    p = sub.add_parser("info", help="print the version, every path spstui uses, and profiles",
                       description="Print the version, every path spstui uses, and profiles.")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler="info")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


