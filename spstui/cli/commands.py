"""The scriptable sub-commands: search, show, download, terminate, config, cache, info.

Their options are in `arguments.py`; this module is imported only to run one."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from spstui.api import configuration as cfg
from spstui.api import sessions, trails
from spstui.api.dates import resolve_date
from spstui.api.errors import SpsError
from spstui.api.models import Session, SessionRow
from spstui.api.search import (
    BASIC_SEARCH_CAP,
    Progress,
    SearchQuery,
    csv_page,
    iterate_items,
)
from spstui.backend import Freshness
from spstui.cli.connect import cache_name, open_backend, open_client
from spstui.output import (
    counted,
    csv_for_terminal,
    csv_text,
    safe_text,
    table,
    write_json,
    write_jsonl,
)

ROW_HEADERS = ("start (UTC)", "user", "client", "server", "protocol", "verdict", "duration",
               "active", "index", "risk", "key")


def _progress(enabled: bool, unit: str = "sessions") -> Any:
    """A progress bar on stderr, only when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    return lambda done, total: print(f"\r{progress_line(done, total, unit)}", end="",
                                     file=sys.stderr, flush=True)


def progress_line(done: int, total: int | None, unit: str, width: int = 30) -> str:
    """`[#########.....]  45%  115.2 / 256.0 MiB`; without a total, just the amount."""
    def amount(n: int) -> str:
        return f"{n / 2**20:,.1f}" if unit == "MiB" else f"{n:,}"

    if not total:
        return f"{amount(done)} {unit}"
    share = min(1.0, done / total)
    filled = int(share * width)
    return (f"[{'#' * filled}{'.' * (width - filled)}] {share:4.0%}  "
            f"{amount(done)} / {amount(total)} {unit}")


# -- search ----------------------------------------------------------------------------------

def _query(args: argparse.Namespace) -> SearchQuery:
    query = SearchQuery(q=args.q or "", content=args.content,
                        start=resolve_date(args.start) if args.start else None,
                        end=resolve_date(args.end) if args.end else None,
                        sort=tuple(s for s in (args.sort or "").split(",") if s.strip()))
    if args.fields:
        query = replace(query, fields=tuple(f.strip() for f in args.fields.split(",")
                                            if f.strip()))
    return query


def _row_cells(row: SessionRow) -> list[object]:
    user = row.name or ""
    if row.server_username and row.server_username != row.name:
        user = f"{user} → {row.server_username}"
    server = f"{row.server_address or ''}:{row.server_port or ''}"
    start = row.start_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if row.start_time \
        else ""
    return [start, user, row.client_address, server, row.protocol,
            row.verdict.normalized if row.verdict else "", row.duration,
            "●" if row.active else "", row.index_status, row.score, row.key]


def _row_record(row: SessionRow) -> dict[str, Any]:
    """A result as the appliance sent it: its own field names and values."""
    return {"key": row.key, **row.raw}


async def cmd_search(args: argparse.Namespace) -> int:
    query = _query(args)
    if args.all and not args.offline:
        return await _search_all(args, query)
    if args.format == "csv" and not args.offline and args.limit <= 500:
        # The appliance's own CSV (one row per value of multi-valued fields).
        async with open_client(args) as client:
            text = await csv_page(client, replace(query, limit=args.limit))
        sys.stdout.write(csv_for_terminal(text, sys.stdout))
        return 0
    rows, match_count, freshness = await _search_pages(args, query)
    if freshness is not None and freshness.stale:
        print(f"spstui: showing cached results, {safe_text(freshness.describe(time.time()))}",
              file=sys.stderr)
    cached = None
    if freshness is not None and freshness.stale:
        cached = {"fetched_at": freshness.fetched_at, "reason": freshness.reason}
    _write_results(args.format, [_row_record(r) for r in rows], match_count, cached)
    return 0


def _write_results(fmt: str, records: list[dict[str, Any]], match_count: int | None,
                   cached: dict[str, Any] | None = None) -> None:
    """Search results (key plus the appliance's fields) in the chosen format."""
    if fmt == "json":
        doc: dict[str, Any] = {"match_count": match_count, "items": records}
        if cached:
            doc["cached"] = cached
        write_json(doc)
    elif fmt == "jsonl":
        write_jsonl(records)
    elif fmt == "csv":
        sys.stdout.write(csv_for_terminal(records_csv(records), sys.stdout))
    else:
        rows = [SessionRow.model_validate(r) for r in records]
        print(table([_row_cells(r) for r in rows], ROW_HEADERS))
        print(f"\n{len(rows):,} of {match_count or len(rows):,} matching sessions",
              file=sys.stderr)


async def _search_pages(args: argparse.Namespace, query: SearchQuery
                        ) -> tuple[list[SessionRow], int | None, Freshness | None]:
    """Pages through the backend (network first, cache when unreachable or offline)."""
    wanted = None if args.all else args.limit
    size = min(wanted or 500, 500)
    page_query = replace(query, limit=size)
    rows: list[SessionRow] = []
    match_count: int | None = None
    freshness: Freshness | None = None
    async with open_backend(args) as backend:
        offset = 0
        while wanted is None or len(rows) < wanted:
            page, fresh = await backend.page(page_query, offset)
            freshness = freshness if freshness and freshness.stale else fresh
            match_count = page.meta.match_count
            rows.extend(page.items)
            offset += len(page.items)
            # Basic search reaches the first 10,000; the cache answers all it holds.
            reachable = match_count or 0
            if not fresh.stale:
                reachable = min(reachable, BASIC_SEARCH_CAP)
            if not page.items or offset >= reachable:
                break
    return rows[:wanted] if wanted else rows, match_count, freshness


async def _search_all(args: argparse.Namespace, query: SearchQuery) -> int:
    """Every match, streamed from the appliance (advanced search past 10,000)."""
    progress = Progress()
    tick = _progress(True)

    def tell(message: str) -> None:
        print(f"spstui: {safe_text(message)}", file=sys.stderr)

    records: list[dict[str, Any]] = []
    async with open_client(args) as client:
        async for item in iterate_items(client, query, progress=progress, notice=tell):
            record = {"key": item.get("key"), **(item.get("body") or {})}
            if args.format == "jsonl":
                # Stream: one object per line as pages arrive; memory stays flat.
                sys.stdout.write(json.dumps(record, ensure_ascii=True) + "\n")
            else:
                records.append(record)
            if tick and progress.fetched % 500 == 0:
                tick(progress.fetched, progress.match_count)
    if tick:
        print(file=sys.stderr)
    if args.format != "jsonl":  # jsonl was streamed above
        _write_results(args.format, records, progress.match_count)
    return 0


def records_csv(records: list[dict[str, Any]]) -> str:
    """CSV of result records; a list value gives one row per item (as the appliance's
    own CSV does), never a Python list written into a cell."""
    headers = sorted({k for rec in records for k in rec} - {"key"})
    rows = []
    for rec in records:
        columns = [v if isinstance(v, list) else [v] for v in (rec.get(h) for h in headers)]
        for combo in itertools.product(*(c or [None] for c in columns)):
            rows.append([rec.get("key"), *combo])
    return csv_text(rows, ["key", *headers])


# -- show ------------------------------------------------------------------------------------

def _overview(session: Session) -> list[tuple[str, object]]:
    b = session.body
    r = b.recording
    score = b.analytics.score.aggregated if b.analytics.score else None
    return [
        ("key", session.key), ("session id", r.session_id), ("protocol", b.protocol),
        ("active", b.active), ("verdict", b.verdict), ("start", b.start_time),
        ("end", b.end_time), ("duration (s)", b.duration),
        ("gateway user", b.user.name), ("server user", b.user.server_username),
        ("client", b.client.label if b.client else None),
        ("server", b.server.label if b.server else None),
        ("target", r.target.label if r.target else None),
        ("connection policy", r.connection_policy), ("channel policy", r.channel_policy),
        ("auth method", r.auth_method), ("index status", r.index_status),
        ("archived", r.archived), ("has trail", r.has_trail), ("risk score", score),
        ("interesting", ", ".join(b.analytics.interesting_events)),
    ]


async def cmd_show(args: argparse.Namespace) -> int:
    names = {"channels": "channels", "events": "events", "indexing": "indexing",
             "alerts": "alerts", "downloads": "trail_downloads"}
    parts: dict[str, list[Any]] = {}
    async with open_backend(args) as backend:
        session, freshness = await backend.session(args.key)
        for option, part in names.items():
            if getattr(args, option):
                parts[option], _ = await backend.part(args.key, part)
    if freshness.stale:
        print(f"spstui: showing a cached copy, {safe_text(freshness.describe(time.time()))}",
              file=sys.stderr)
    if args.format == "json":
        write_json({"key": session.key, "body": session.raw_body,
                    **{name: [p.model_dump(mode="json", exclude_none=True) for p in items]
                       for name, items in parts.items()}})
        return 0
    print(table(_overview(session), ("field", "value"), max_width=100))
    for name, items in parts.items():
        print(f"\n{name} ({len(items)})")
        if items:
            records = [p.model_dump(exclude_none=True) for p in items]
            headers = list(dict.fromkeys(k for rec in records for k in rec
                                         if k not in ("config", "version")))
            print(table([[rec.get(h) for h in headers] for rec in records], headers))
    return 0


# -- download / terminate ---------------------------------------------------------------------

async def cmd_download(args: argparse.Namespace) -> int:
    dest = args.output or _download_dir(args) or Path.cwd()
    tick = _progress(True, "MiB")
    template = _player_template(args)
    # Downloads stream: with --demo that needs the loopback server (see open_client).
    async with open_client(args, streaming=True) as client:
        if args.follow:
            session = await sessions.get_session(client, args.key)
            if not session.body.active:
                print("spstui: the session is not active; downloading its whole trail "
                      "instead.", file=sys.stderr)
                path = await trails.download(client, args.key, dest, srs=True, progress=tick)
            else:
                def started(live: Path) -> None:
                    if args.play:
                        print(f"spstui: {trails.launch_player(template, live).message}",
                              file=sys.stderr)

                path = await trails.follow(client, args.key, dest, progress=tick,
                                           on_file=started)
        else:
            path = await trails.download(client, args.key, dest, srs=args.srs, progress=tick)
    if tick:
        print(file=sys.stderr)
    print(path)
    if args.play and not args.follow:
        launch = trails.launch_player(template, path)
        print(f"spstui: {launch.message}", file=sys.stderr)
    return 0


def _download_dir(args: argparse.Namespace) -> str | None:
    if args.demo:
        return None
    from spstui.cli.connect import resolve_profile

    folder = resolve_profile(args).download_dir
    return f"{folder}{os.sep}" if folder else None


def _player_template(args: argparse.Namespace) -> str | None:
    if args.demo:
        return None
    try:
        from spstui.settings import load_settings, resolve

        return resolve(load_settings(), profile=args.profile, url=args.url).player_command
    except Exception:  # the player is optional: no profile means look on PATH
        return None


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"spstui: {question} Not confirmed: add --yes to run without a terminal.",
              file=sys.stderr)
        return False
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def _refuse_read_only(args: argparse.Namespace, what: str) -> bool:
    if getattr(args, "read_only", False):
        print(f"spstui: --read-only: not allowed to {what}.", file=sys.stderr)
        return True
    return False


async def cmd_terminate(args: argparse.Namespace) -> int:
    if _refuse_read_only(args, "terminate sessions"):
        return 2
    async with open_client(args) as client:
        session = await sessions.get_session(client, args.key)
        body = session.body
        if not body.active:
            print(f"spstui: session {safe_text(args.key)} is not active.", file=sys.stderr)
            return 1
        who = safe_text(f"{body.user.name} → {body.server.label if body.server else '?'}")
        question = f"Terminate the active {safe_text(body.protocol)} session of {who}?"
        if not _confirm(question, args.yes):
            return 1
        await sessions.terminate(client, body.recording.session_id or args.key)
    print(f"terminated {safe_text(args.key)}")
    return 0


# -- config -----------------------------------------------------------------------------------

def _assignment(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise cfg.ConfigError(f"'{item}' is not KEY=VALUE (e.g. number_of_workers=4)")
    return key.strip(), cfg.parse_value(value)


def _flatten(body: Any, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(body, dict):
        out: list[tuple[str, object]] = []
        for key in sorted(body):
            out += _flatten(body[key], f"{prefix}.{key}" if prefix else key)
        return out
    return [(prefix, json.dumps(body) if isinstance(body, list) else body)]


async def cmd_config(args: argparse.Namespace) -> int:
    path = cfg.OBJECTS[args.object]
    if args.action != "get" and _refuse_read_only(args, "change the configuration"):
        return 2
    async with open_client(args) as client:
        if args.action == "get":
            body = await cfg.read(client, path)
            if args.format == "json":
                write_json(body)
            else:
                print(table(_flatten(body), ("key", "value"), max_width=100))
            return 0
        try:
            edits = [_assignment(item) for item in args.assignments]
        except cfg.ConfigError as err:
            print(f"spstui: {safe_text(err)}", file=sys.stderr)
            return 2
        confirmed = True

        def edit(body: dict[str, Any]) -> None:
            for key, value in edits:
                cfg.set_dotted(body, key, value)

        def confirm(changes: list[cfg.Change]) -> bool:
            nonlocal confirmed
            for change in changes:
                print(f"  {safe_text(change)}")
            if args.dry_run:
                print("(dry run: nothing changed)")
                return False
            confirmed = _confirm("Apply these changes?", args.yes)
            return confirmed

        try:
            changes = await cfg.change(client, path, edit, confirm)
        except cfg.ConfigError as err:
            raise SpsError(f"Invalid {args.object} configuration: {err}") from None
    if not confirmed:
        return 1
    if changes:
        print(f"committed {counted(len(changes), 'change')}")
    elif not args.dry_run:
        print("nothing changed")
    return 0


# -- info -------------------------------------------------------------------------------------

async def cmd_info(args: argparse.Namespace) -> int:
    import platform

    from spstui import __version__
    from spstui.cache.paths import cache_dir
    from spstui.settings import SettingsError, load_settings, paths

    where = {**paths(), "cache": cache_dir()}  # SPSTUI_CACHE_DIR may move it
    try:
        settings = load_settings()
        profiles = {name: p.url for name, p in settings.profiles.items()}
        default = settings.default_profile
        problem = None
    except SettingsError as err:
        profiles, default, problem = {}, None, str(err)
    info: dict[str, Any] = {
        "version": __version__,
        "python": platform.python_version(),
        "paths": {name: str(path) for name, path in where.items()},
        "profiles": profiles,
        "default_profile": default,
    }
    if problem:
        info["settings_error"] = problem
    if args.format == "json":
        write_json(info)
        return 0
    rows: list[tuple[str, object]] = [("version", __version__),
                                      ("python", info["python"])]
    rows += [(f"{name} path", path) for name, path in info["paths"].items()]
    rows += [(f"profile {name}" + (" (default)" if name == default else ""), url)
             for name, url in profiles.items()] or [("profiles", "none configured")]
    if problem:
        rows.append(("settings error", problem))
    print(table(rows, ("what", "value"), max_width=100))
    return 0


# -- cache ------------------------------------------------------------------------------------

async def cmd_cache(args: argparse.Namespace) -> int:
    from spstui.cache import CacheStore, default_path

    path = default_path(cache_name(args))
    with CacheStore(path) as cache:
        if args.action == "clear":
            cache.clear()
            print(f"cleared {path} (triage marks kept)")
            return 0
        info = cache.info()
    if args.format == "json":
        write_json(info)
    else:
        print(table([(k, v) for k, v in info.items()], ("what", "value"), max_width=100))
    return 0
