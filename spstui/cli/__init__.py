"""The `spstui` command line: the TUI by default, plus scriptable sub-commands.

Exit codes: 0 success, 1 failure, 2 usage. Errors go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from spstui import __version__
from spstui.api.errors import SpsError
from spstui.cli import arguments, simulator_cmd
from spstui.cli.connect import ConnectError, RememberedPassword, add_connection_options
from spstui.output import safe_text

if TYPE_CHECKING:
    from spstui.cli.demo import DemoProcess


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spstui",
        description="Browse and triage the recorded sessions of a One Identity Safeguard for "
        "Privileged Sessions (SPS) appliance from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"spstui {__version__}")
    add_connection_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    arguments.register(sub)
    simulator_cmd.register(sub)
    return parser


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """Let `--start -24h` and `--sort -duration` work: argparse would take a value
    that starts with '-' for an option."""
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        nxt = items[i + 1] if i + 1 < len(items) else ""
        if items[i] in ("--start", "--end", "--sort") and re.fullmatch(r"-\w[\w.,-]*", nxt) \
                and nxt not in ("-h", "-o"):
            out.append(f"{items[i]}={nxt}")
            i += 2
            continue
        out.append(items[i])
        i += 1
    return out


async def run_tui(args: argparse.Namespace, demo: DemoProcess | None = None) -> int:
    """The terminal UI (the default when no command is given), on `demo` if given.

    Asked for another profile (the palette's "Connect"), it starts again on that one;
    if that one cannot be opened, on the one before, saying why (with the password
    that one logged in with: the user is not asked for it again; one the appliance
    refused is asked for again)."""
    notice: str | None = None
    previous: argparse.Namespace | None = None
    password = RememberedPassword()  # what the run on `args` was given, if it logged in
    previous_password: RememberedPassword | None = None

    def switched() -> None:
        # The app is up on the new profile (past connecting; its login comes after, and
        # a refused one is the app's to show): the switch can no longer go back, so what
        # was kept for going back is let go, the demo appliance too once it is left.
        nonlocal previous, previous_password, demo
        previous, previous_password = None, None
        if demo is not None and not args.demo:
            demo.stop_soon()
            demo = None

    while True:
        try:
            switch_to = await _run_app(args, demo, notice, password, on_app_up=switched)
        except (ConnectError, SpsError, KeyboardInterrupt) as err:
            if previous is None:
                raise
            why = "cancelled" if isinstance(err, KeyboardInterrupt) else safe_text(err)
            notice = f"Could not switch to the profile '{args.profile}': {why}"
            args, previous = previous, None
            password, previous_password = previous_password or RememberedPassword(), None
            continue
        if switch_to is None:
            return 0
        # The app that ended was frozen out of the collector's sight (settle_heap): give
        # it back, or every switch would keep a whole app alive.
        gc.unfreeze()
        gc.collect()
        # The command line's overrides belonged to the profile it named.
        previous, args = args, argparse.Namespace(**{
            **vars(args), "profile": switch_to, "demo": False, "url": None, "user": None,
            "ca_bundle": None, "insecure": False})
        previous_password, password = password, RememberedPassword()
        notice = None


async def _run_app(args: argparse.Namespace, demo: DemoProcess | None, notice: str | None,
                   remembered: RememberedPassword | None = None,
                   on_app_up: Callable[[], object] | None = None) -> str | None:
    """One run of the app; returns the profile it asked to start again on, if any.
    `on_app_up` is called once the app is up: past connecting (and any password
    prompt), not necessarily logged in."""
    import asyncio
    import importlib

    from spstui.cli.connect import open_backend, resolve_profile
    from spstui.tui.options import AppOptions
    from spstui.tui.state import first_query, load_state, state_path

    options = AppOptions(read_only=args.read_only, demo=args.demo, state_path=state_path(),
                         notice=notice)
    if not args.demo:
        profile = resolve_profile(args)
        options.profile = profile.name
        options.page_size = profile.page_size
        options.refresh_interval = profile.refresh_interval
        options.download_dir = profile.download_dir
        options.player_command = profile.player_command
    # Streaming: the demo serves its simulator on a loopback port so downloads and
    # follow mode stream as they would from an appliance.
    async with open_backend(args, streaming=True, demo=demo if args.demo else None,
                            remembered=remembered) as backend:
        # The opening page is asked for now, and the UI's modules (Textual's above all)
        # load in a thread meanwhile: the event loop carries the login and the request
        # while they import, and the browser takes the answer when it opens.
        backend.prefetch(first_query(load_state(options.state_path), options.page_size))
        await asyncio.to_thread(importlib.import_module, "spstui.tui.app")
        from spstui.tui.app import SpsApp

        # Modules live as long as the app: out of the collector's sight, a full
        # collection while the first page loads takes ~5 ms, not ~45.
        gc.freeze()
        subtitle = "demo appliance" if args.demo else (args.url or options.profile or "")
        if args.read_only:
            subtitle += " · read-only"
        app = SpsApp(backend, subtitle=subtitle, options=options)
        if on_app_up is not None:
            app.call_later(on_app_up)  # its first message, handled once it is up
        return await app.run_async()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
    if args.command == "simulator":
        return simulator_cmd.run(args)
    if not args.command:
        # Start-up builds a great deal and frees almost nothing, and the collector's
        # passes over it took about a sixth of the time to the first page. It is off
        # until the first page is on screen (the app's settle_heap turns it on again).
        gc.disable()
        try:
            return _run_tui_command(args)
        finally:
            gc.enable()
    from spstui.cli import commands

    handler = getattr(commands, f"cmd_{args.handler}")
    return _run(lambda: handler(args))


def _run_tui_command(args: argparse.Namespace) -> int:
    if args.demo and not args.offline:
        from spstui.cli.connect import start_demo

        # First of all: the simulator builds its sessions on the other core while
        # the app imports and lays out its screen.
        with start_demo() as demo:
            return _run(lambda: run_tui(args, demo))
    return _run(lambda: run_tui(args))


def _run(start: Callable[[], Coroutine[Any, Any, int]]) -> int:
    import asyncio

    try:
        return asyncio.run(start())
    except (SpsError, ConnectError) as err:
        # Error texts quote the appliance, so they are untrusted too.
        print(f"spstui: {safe_text(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spstui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) is gone: stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
