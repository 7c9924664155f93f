"""Connection options shared by every command, and opening a client from them."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spstui.api.client import Connection, SpsClient
    from spstui.backend import Backend
    from spstui.cli.demo import DemoProcess
    from spstui.settings import ResolvedProfile


class ConnectError(Exception):
    """Not enough (or contradictory) information to reach an appliance."""


@dataclass
class RememberedPassword:
    """The password one run of the app logged in with, so that going back to that run
    (a profile switch that failed) does not ask for it again. In memory only: never
    written anywhere, and its holder drops it as soon as it cannot be needed.

    Kept while the run is on, and after it only if the appliance took it (see
    `open_client`): a wrong one is asked for again, not sent again."""

    account: tuple[str, str] | None = None  # (keyring name, user name)
    password: str | None = field(default=None, repr=False)

    def recall(self, account: tuple[str, str]) -> str | None:
        return self.password if account == self.account else None

    def keep(self, account: tuple[str, str], password: str) -> None:
        self.account, self.password = account, password

    def forget(self) -> None:
        self.account, self.password = None, None


def add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The options every command takes. Sub-commands suppress their defaults so an
    option given before the command name is not reset after it."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection")
    group.add_argument("--demo", action="store_true", default=default(False),
                       help="use the embedded simulated appliance (no set-up, auto-login)")
    group.add_argument("--profile", default=default(None), help="settings profile to use")
    group.add_argument("--url", default=default(None), help="appliance URL, e.g. https://sps")
    group.add_argument("--user", default=default(None), help="user name")
    group.add_argument("--ca-bundle", default=default(None), metavar="PEM",
                       help="CA certificate(s) to trust for the appliance")
    group.add_argument("--insecure", action="store_true", default=default(False),
                       help="do not verify the TLS certificate (warns every run)")
    group.add_argument("--offline", action="store_true", default=default(False),
                       help="answer from the local cache only")
    group.add_argument("--read-only", action="store_true", default=default(False),
                       help="hide and refuse every action that changes the appliance")


def warn(message: str) -> None:
    print(f"spstui: warning: {message}", file=sys.stderr)


def start_demo() -> DemoProcess:
    """The demo appliance in a process of its own (its log beside the app's state)."""
    from spstui.cli.demo import DemoProcess
    from spstui.tui.state_dir import state_path

    return DemoProcess(log=state_path().parent / "demo-simulator.log")


@asynccontextmanager
async def open_client(args: argparse.Namespace, *, streaming: bool = False,
                      demo: DemoProcess | None = None,
                      remembered: RememberedPassword | None = None,
                      ) -> AsyncIterator[SpsClient]:
    """A logged-in-on-demand client for the appliance the options name.

    `--demo` runs the simulator in-process; for streaming downloads (follow mode)
    and the app it runs in a process of its own on a loopback port instead, as
    in-process responses are buffered (and the app starts sooner beside it).
    A `demo` already started is used (and left to its owner to stop). A password in
    `remembered` for this profile is used instead of asking; one asked for is kept there,
    and stays there only if the appliance took it.
    """
    if args.demo:
        if streaming or demo is not None:
            with nullcontext(demo) if demo is not None else start_demo() as running:
                from spstui.api.client import Connection, SpsClient

                async with SpsClient(Connection(running.url, "admin", "admin"),
                                     warn=warn) as client:
                    yield client
            return
        import httpx

        from spstui.api.client import Connection, SpsClient
        from spstui.simulator import Simulator

        transport = httpx.ASGITransport(app=Simulator().app)
        async with SpsClient(Connection("https://demo.sps", "admin", "admin"),
                             transport=transport, warn=warn) as client:
            yield client
        return
    from spstui.api.client import SpsClient

    conn = resolve_connection(args, remembered)
    async with SpsClient(conn, warn=warn) as client:
        try:
            yield client
        finally:
            # The app logs in once it is up, so a wrong password is only known now (or
            # never tried, the run ended first): going back to this profile asks again.
            if remembered is not None and not client.credentials_accepted:
                remembered.forget()


def resolve_profile(args: argparse.Namespace) -> ResolvedProfile:
    from spstui.settings import SettingsError, load_settings, resolve

    try:
        return resolve(load_settings(), profile=args.profile, url=args.url, user=args.user,
                       insecure=args.insecure or None, ca_bundle=args.ca_bundle)
    except SettingsError as err:
        hint = ""
        if getattr(args, "offline", False):  # each profile's cache is its own: which?
            hint = (" Offline, spstui reads the cache of a profile (or --url); the "
                    "demo's is read with --demo --offline.")
        raise ConnectError(f"{err}{hint}") from None


def cache_name(args: argparse.Namespace) -> str:
    """Which cache file: one per profile (the demo has its own)."""
    return "demo" if args.demo else resolve_profile(args).keyring_name


@asynccontextmanager
async def open_backend(args: argparse.Namespace, *, streaming: bool = False,
                       demo: DemoProcess | None = None,
                       remembered: RememberedPassword | None = None,
                       ) -> AsyncIterator[Backend]:
    """Client and cache together; --offline answers from the cache alone."""
    from spstui.backend import Backend
    from spstui.cache import CacheStore, default_path

    try:
        cache: CacheStore | None = CacheStore(default_path(cache_name(args)), warn=warn)
    except (OSError, sqlite3.Error) as err:
        if args.offline:
            raise ConnectError(f"The cache cannot be opened ({err}); offline mode needs it.") \
                from None
        warn(f"the cache cannot be used ({err}); continuing without it.")
        cache = None
    try:
        if args.offline:
            yield Backend(None, cache, offline=True)
            return
        async with open_client(args, streaming=streaming, demo=demo,
                               remembered=remembered) as client:
            yield Backend(client, cache)
    finally:
        if cache is not None:
            cache.close()


def resolve_connection(args: argparse.Namespace,
                       remembered: RememberedPassword | None = None) -> Connection:
    from spstui.settings import SettingsError, get_password

    try:
        profile = resolve_profile(args)
        password = None
        if not profile.client_cert:
            if not profile.username:
                raise ConnectError("No user name: give --user or set username in the profile.")
            account = (profile.keyring_name, profile.username)
            password = remembered.recall(account) if remembered is not None else None
            if password is None:
                password = get_password(*account)
                if remembered is not None:
                    remembered.keep(account, password)
        return profile.connection(password)
    except SettingsError as err:
        raise ConnectError(str(err)) from None
