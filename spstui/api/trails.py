"""Audit trail downloads (.zat, or .srs for follow mode) and Safeguard Desktop Player.

Downloads are streamed to a temporary name beside the target and renamed only
when complete, so an interrupted download never leaves a file under the final
name. Follow mode writes `<name>.live.srs` as bytes arrive (the player reads
it while it grows) and renames it to `<name>.srs` once the session has ended.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from spstui.api.client import SpsClient
from spstui.api.errors import SpsError, TransferInterrupted
from spstui.api.sessions import session_path

Progress = Callable[[int, int | None], None]  # (bytes so far, total if known)
# Names Safeguard Desktop Player installs under, by platform and release.
PLAYER_NAMES = (
    "safeguard-desktop-player", "SafeguardDesktopPlayer", "safeguard-player",
    "SafeguardDesktopPlayer.exe", "Safeguard Desktop Player",
)


# The index status of a channel the appliance did not record ("Auditing is not
# enabled for the channel"): the session has no audit trail.
NOT_RECORDED = "NO_TRAIL"


def not_recorded(index_status: str | None) -> bool:
    """Whether the appliance says a session has no audit trail. An unknown status (not
    asked for, or an older release) is no answer: ask, and let its 404 say so."""
    return index_status == NOT_RECORDED


def no_trail_notice(keys: Sequence[str]) -> str:
    """What to tell the user about sessions that have no trail to download or follow."""
    if len(keys) == 1:
        return f"{keys[0]} has no audit trail: it was not recorded."
    shown = ", ".join(keys[:3]) + (", …" if len(keys) > 3 else "")
    return f"{len(keys)} sessions have no audit trail (they were not recorded): {shown}."


def safe_filename(key: str, extension: str) -> str:
    """A file name from an appliance-supplied key: no separators, no control
    characters, no leading dots, bounded length."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._")[:180] or "session"
    return f"{name}.{extension}"


def _target(key: str, dest: Path | str, extension: str) -> Path:
    """A folder (existing, or written with a trailing separator) gets a file named
    after the session; anything else is the file name itself."""
    text = str(dest)
    path = Path(text).expanduser()
    if path.is_dir() or text.endswith(("/", os.sep)):
        path.mkdir(parents=True, exist_ok=True)
        return path / safe_filename(key, extension)
    return path


def _private_open(path: Path) -> BinaryIO:
    """Trails hold privileged sessions: readable by their owner only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


async def download(client: SpsClient, key: str, dest: Path | str, *, srs: bool = False,
                   progress: Progress | None = None) -> Path:
    """Download a session's trail to `dest` (a folder or a file name)."""
    extension = "srs" if srs else "zat"
    target = _target(key, dest, extension)
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    written = 0
    params = {"format": "srs"} if srs else None
    try:
        with _private_open(part) as out:
            async with client.stream(session_path(key, "audit_trail"), params) as response:
                total = _length(response)
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    if progress:
                        progress(written, total)
            if total is not None and written != total:
                raise TransferInterrupted(
                    f"The download of {key} stopped at {written:,} of {total:,} bytes.",
                    hint="Run the download again.")
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except httpx.HTTPError as err:
        part.unlink(missing_ok=True)
        raise TransferInterrupted(
            f"The download of {key} was interrupted after {written:,} bytes: {err}.",
            hint="Nothing was saved under the final name; run the download again.") from err
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def follow(client: SpsClient, key: str, dest: Path | str, *,
                 progress: Progress | None = None,
                 on_file: Callable[[Path], None] | None = None, reconnects: int = 5) -> Path:
    """Follow an active session in .srs follow mode until it ends.

    `on_file` is called once the live file exists (start the player then).
    A dropped stream is reopened (up to `reconnects` times in a row) and the
    bytes already written are skipped, as the appliance restarts the stream.
    """
    final = _target(key, dest, "srs")
    live = final.with_name(final.name.removesuffix(".srs") + ".live.srs")
    try:
        await _follow_into(client, key, live, progress, on_file, reconnects)
    except BaseException:
        # Keep what arrived (the user may want it), but leave no empty file behind:
        # a refused request (no trail, no permission) or a cancel before any byte.
        if live.exists() and live.stat().st_size == 0:
            live.unlink()
        raise
    os.replace(live, final)
    return final


async def _follow_into(client: SpsClient, key: str, live: Path, progress: Progress | None,
                       on_file: Callable[[Path], None] | None, reconnects: int) -> None:
    written = 0
    failures = 0
    announced = False
    with _private_open(live) as out:
        while True:
            skip = written
            try:
                async with client.stream(session_path(key, "audit_trail"),
                                         {"format": "srs"}) as response:
                    async for chunk in response.aiter_bytes():
                        if skip:
                            drop = min(skip, len(chunk))
                            chunk, skip = chunk[drop:], skip - drop
                        if not chunk:
                            continue
                        out.write(chunk)
                        out.flush()  # the player reads the file while it grows
                        written += len(chunk)
                        failures = 0
                        if not announced and on_file:
                            announced = True
                            on_file(live)
                        if progress:
                            progress(written, None)
            except (httpx.TransportError, TransferInterrupted, SpsError) as err:
                if isinstance(err, SpsError) and err.status is not None:
                    raise  # the appliance said no: not a dropped connection
                failures += 1
                if failures > reconnects:
                    raise TransferInterrupted(
                        f"Following {key} failed after {failures} attempts: {err}.",
                        hint=f"What arrived so far is in {live}.") from err
                await asyncio.sleep(min(30.0, 0.5 * 2 ** (failures - 1)))
                continue
            # The stream ended cleanly; a proxy closing an idle connection looks the
            # same, so ask whether the session has really ended before finishing.
            if not await _still_active(client, key):
                return


async def _still_active(client: SpsClient, key: str) -> bool:
    from spstui.api.sessions import get_session

    try:
        return (await get_session(client, key)).body.active
    except SpsError:
        return False  # cannot tell: keep what we have rather than loop


@dataclass(frozen=True)
class PlayerLaunch:
    started: bool
    message: str
    command: tuple[str, ...] = ()


def player_command(template: str | None, file: Path,
                   which: Callable[[str], str | None] = shutil.which) -> list[str] | None:
    """The command that opens `file`: the configured template, else a player on PATH."""
    if template:
        return [part.replace("{file}", str(file)) for part in shlex.split(template)]
    for name in PLAYER_NAMES:
        found = which(name)
        if found:
            return [found, str(file)]
    return None


def launch_player(template: str | None, file: Path,
                  which: Callable[[str], str | None] = shutil.which,
                  spawn: Callable[[Sequence[str]], object] | None = None) -> PlayerLaunch:
    """Hand a trail to Safeguard Desktop Player, or say plainly where it is."""
    command = player_command(template, file, which)
    if command is None:
        return PlayerLaunch(False, (
            "Safeguard Desktop Player was not found on PATH; set player_command in your "
            "profile, e.g. player_command = \"/path/to/player {file}\". The trail is in:\n"
            f"{file}"))  # last and on a line of its own: no full stop runs into the name
    run = spawn or (lambda cmd: subprocess.Popen(  # the user's own command
        list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True))
    try:
        run(command)
    except OSError as err:
        return PlayerLaunch(False, f"The trail is in {file}, but the player did not start: {err}.",
                            tuple(command))
    return PlayerLaunch(True, f"Opened {file} in {Path(command[0]).name}.", tuple(command))
