"""Transfers: trail downloads, follow mode with the player, and exports.

Each job runs in a worker (group "transfers") and has one line at the bottom
of the screen: what it is, a progress bar and how far it got. A finished job
leaves its line and says so in a notification. Files only ever appear under
their final name once complete: the API layer downloads to a temporary name
and renames, and exports here do the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerError

from spstui.api import sessions, trails
from spstui.api.client import SpsClient
from spstui.api.errors import NoAuditTrail, SpsError
from spstui.api.search import MAX_LIMIT, Progress, iterate_items
from spstui.backend import Backend
from spstui.output import safe_text, to_jsonable
from spstui.tui.confirm import Confirm
from spstui.tui.export_dialog import ExportSpec
from spstui.tui.render import literal

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

PAINT_INTERVAL = 0.1  # repaint a job's line at most ten times a second
PARALLEL_DOWNLOADS = 2  # enough to overlap latency without hogging the appliance
Tick = Callable[[int, int | None], None]  # (done, total if known)
Outcome = Literal["done", "failed", "cancelled"]


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:,.1f} {unit}"


def _sentence(label: str) -> str:
    """A job's label to open a sentence: `str.capitalize` would lower-case the rest,
    and session keys (part of the label) are case-sensitive."""
    return label[:1].upper() + label[1:]


@dataclass(eq=False)
class Job:
    kind: Literal["download", "follow", "export"]
    label: str
    unit: Literal["bytes", "rows"]
    done: int = 0
    total: int | None = None
    state: Literal["queued", "running", "cancelled", "finished"] = "queued"
    key: str | None = None  # the session whose trail it fetches
    painted: float = 0.0
    worker: Worker[None] | None = None
    line: TransferLine | None = None

    def amount(self) -> str:
        if self.state == "queued":
            return "queued"
        if self.unit == "rows":
            done = f"{self.done:,}"
            return f"{done} / {self.total:,} rows" if self.total is not None else f"{done} rows"
        if self.total:
            return f"{human_size(self.done)} / {human_size(self.total)}"
        return human_size(self.done)


class TransferLine(Horizontal):
    """One job: label, progress bar (indeterminate while the total is unknown), amount."""

    DEFAULT_CSS = """
    TransferLine {
        height: 1;
    }
    TransferLine > .transfer-label {
        width: 1fr;
    }
    TransferLine > ProgressBar {
        width: 40;
    }
    TransferLine > .transfer-amount {
        width: 24;
        text-align: right;
    }
    """

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        label = literal(self.job.label)
        label.overflow = "ellipsis"
        yield Static(label, classes="transfer-label")
        yield ProgressBar(total=self.job.total, show_eta=False)
        yield Static(literal(self.job.amount()), classes="transfer-amount")

    def paint(self) -> None:
        self.query_one(ProgressBar).update(total=self.job.total, progress=self.job.done)
        self.query_one(".transfer-amount", Static).update(literal(self.job.amount()))


class Transfers(VerticalScroll, can_focus=False):
    """The running transfers; hidden when there are none. Put it in a screen's layout
    (below the main area) and bind a key to `cancel_all`."""

    DEFAULT_CSS = """
    Transfers {
        height: auto;
        max-height: 4;
        display: none;
        background: $boost;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    Transfers.-busy {
        display: block;
    }
    """

    @dataclass
    class Finished(Message):
        """A job ended: `path` is the file written (None unless it succeeded)."""

        kind: str
        label: str
        path: Path | None
        outcome: Outcome
        key: str | None = None  # the session, for a download or a follow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._jobs: list[Job] = []
        self._slots = asyncio.Semaphore(PARALLEL_DOWNLOADS)

    # -- what the app asks ------------------------------------------------------------------

    def running(self) -> int:
        """Jobs queued or running (ask before quitting while this is not 0)."""
        return len(self._jobs)

    @property
    def jobs(self) -> list[Job]:
        """The jobs queued or running, oldest first (a copy)."""
        return list(self._jobs)

    def cancel_all(self) -> int:
        """Cancel every job; unfinished downloads and exports leave no file behind."""
        jobs = list(self._jobs)
        if not jobs:
            self._tell("Nothing is being transferred.")
            return 0
        for job in jobs:
            if job.worker is not None:
                job.worker.cancel()
            job.state = "cancelled"
            self._drop(job)
        self._tell(f"Cancelled {len(jobs)} transfer{'s' if len(jobs) != 1 else ''}.",
                   "warning")
        return len(jobs)

    async def stop_all(self, timeout: float = 5.0) -> int:
        """Cancel every job and wait (a bounded time) until each has removed its
        unfinished file: call this before quitting."""
        workers = [job.worker for job in self._jobs if job.worker is not None]
        count = self.cancel_all() if workers else 0

        async def settled(worker: Worker[None]) -> None:
            with contextlib.suppress(WorkerError):  # cancelled, failed or never started
                await worker.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*map(settled, workers)), timeout)
        return count

    # -- starting jobs ------------------------------------------------------------------------

    def start_download(self, keys: list[str]) -> int:
        """One `.zat` per session into the download folder, two at a time."""
        if not keys:
            return 0
        client = self._client("Downloads need the appliance (offline mode).")
        folder = self._folder() if client else None
        if client is None or folder is None:
            return 0
        for key in keys:
            job = self._add(Job("download", f"download {trails.safe_filename(key, 'zat')}",
                                "bytes", key=key))
            job.worker = self._download(job, client, key, folder)
        return len(keys)

    def start_follow(self, key: str) -> bool:
        """Follow an active session (.srs follow mode) and open it in the player; a
        session that has already ended is downloaded whole (.srs) and opened."""
        client = self._client("Following a session needs the appliance (offline mode).")
        folder = self._folder() if client else None
        if client is None or folder is None:
            return False
        # The session's key, not a file name: the file is .live.srs until the session ends.
        job = self._add(Job("follow", f"follow {key}", "bytes", key=key))
        job.worker = self._follow(job, client, key, folder)
        return True

    def start_export(self, spec: ExportSpec) -> bool:
        backend = self._host.backend
        if spec.scope == "all" and (backend.offline or backend.client is None):
            self._tell("Exporting all matches needs the appliance (offline mode); export "
                       "this page instead.", "warning")
            return False
        job = self._add(Job("export", f"export {spec.path.name}", "rows"))
        job.worker = self._export(job, spec)
        return True

    # -- workers ------------------------------------------------------------------------------

    @work(group="transfers", exclusive=False)
    async def _download(self, job: Job, client: SpsClient, key: str, folder: Path) -> None:
        async def body() -> tuple[str, Path]:
            async with self._slots:
                self._begin(job)
                path = await trails.download(client, key, folder, progress=self._ticker(job))
            return f"Downloaded {path} ({human_size(path.stat().st_size)}).", path

        await self._run(job, body)

    @work(group="transfers", exclusive=False)
    async def _follow(self, job: Job, client: SpsClient, key: str, folder: Path) -> None:
        async def body() -> tuple[str, Path]:
            self._begin(job)
            session = await sessions.get_session(client, key)
            recording = session.body.recording
            # Both signs, as the status is documented per channel: no trail element
            # and the "no trail" status. Either alone, the appliance is asked.
            if not recording.has_trail and trails.not_recorded(recording.index_status):
                raise NoAuditTrail(trails.no_trail_notice([key]))  # no 404 to show
            tick = self._ticker(job)
            if not session.body.active:
                path = await trails.download(client, key, folder, srs=True, progress=tick)
                self._play(path)
                return (f"The session has already ended: downloaded its whole trail to "
                        f"{path} ({human_size(path.stat().st_size)}).", path)
            path = await trails.follow(client, key, folder, progress=tick, on_file=self._play)
            return (f"The session ended; its trail is in {path} "
                    f"({human_size(path.stat().st_size)}).", path)

        await self._run(job, body)

    @work(group="transfers", exclusive=False)
    async def _export(self, job: Job, spec: ExportSpec) -> None:
        async def body() -> tuple[str, Path]:
            self._begin(job)
            count = await write_export(spec, self._host.backend, progress=self._ticker(job),
                                       notice=lambda text: self._tell(text, "warning"))
            size = human_size(spec.path.stat().st_size)
            return f"Exported {count:,} sessions to {spec.path} ({size}).", spec.path

        await self._run(job, body)

    async def _run(self, job: Job, body: Callable[[], Awaitable[tuple[str, Path]]]) -> None:
        """Run a job's body; say how it ended; never let an appliance error escape."""
        outcome: Outcome = "failed"
        path: Path | None = None
        try:
            message, path = await body()
            outcome = "done"
            self._tell(message)
        except asyncio.CancelledError:
            outcome = "cancelled"
            if job.kind == "follow":
                self._tell(f"Stopped following: what arrived so far is in the .live.srs "
                           f"file in {self._host.options.download_dir}.", "warning")
            raise
        except NoAuditTrail as err:
            self._tell(str(err), "warning")
        except SpsError as err:
            self._tell(f"{_sentence(job.label)} failed: {err}", "error")
        except OSError as err:  # the local disk: full, read-only, permissions
            where = str(err.filename or "file")
            if where.endswith(".part"):  # the hidden file it is written to first
                where = f"in {Path(where).parent}"
            self._tell(f"{_sentence(job.label)} failed: {err.strerror or err} ({where}).",
                       "error")
        finally:
            self._drop(job)
            self.post_message(self.Finished(job.kind, job.label, path, outcome, job.key))

    # -- helpers ------------------------------------------------------------------------------

    @property
    def _host(self) -> SpsApp:
        return self.app  # type: ignore[return-value]

    def _tell(self, message: str, severity: Literal["information", "warning", "error"]
              = "information") -> None:
        # Messages quote keys, paths and appliance errors: never markup, never controls
        # (line by line: a message may put a path on a line of its own).
        timeout = 10 if severity == "information" else 20
        shown = "\n".join(safe_text(line) for line in message.split("\n"))
        self.app.notify(shown, severity=severity, markup=False, timeout=timeout)

    def _client(self, offline_message: str) -> SpsClient | None:
        backend: Backend = self._host.backend
        if backend.offline or backend.client is None:
            self._tell(offline_message, "warning")
            return None
        return backend.client

    def _folder(self) -> Path | None:
        folder = Path(self._host.options.download_dir).expanduser()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # trails are private
        except OSError as err:
            self._tell(f"Cannot create the download folder {folder}: {err.strerror or err}.",
                       "error")
            return None
        return folder

    def _play(self, file: Path) -> None:
        launch = trails.launch_player(self._host.options.player_command, file)
        self._tell(launch.message, "information" if launch.started else "warning")

    def _add(self, job: Job) -> Job:
        self._jobs.append(job)
        job.line = TransferLine(job)
        self.mount(job.line)
        self.add_class("-busy")
        return job

    def _begin(self, job: Job) -> None:
        job.state = "running"
        self._paint(job, force=True)

    def _drop(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        if job.line is not None:
            job.line.remove()
            job.line = None
        self.set_class(bool(self._jobs), "-busy")

    def _ticker(self, job: Job) -> Tick:
        def tick(done: int, total: int | None) -> None:
            job.done, job.total = done, total
            self._paint(job)

        return tick

    def _paint(self, job: Job, force: bool = False) -> None:
        now = time.monotonic()
        if job.line is None or (not force and now - job.painted < PAINT_INTERVAL):
            return
        job.painted = now
        job.line.paint()


class TransfersSummary(Static):
    """One line for screens pushed over the browser (whose Transfers widget does the
    work and shows the bars): what is being transferred and how far it got."""

    DEFAULT_CSS = """
    TransfersSummary {
        height: 1;
        display: none;
        background: $boost;
        padding: 0 1;
    }
    TransfersSummary.-busy {
        display: block;
    }
    """

    def on_mount(self) -> None:
        self.set_interval(0.5, self.paint)
        self.paint()

    def paint(self) -> None:
        transfers = find_transfers(self.app)
        jobs = transfers.jobs if transfers is not None else []
        self.set_class(bool(jobs), "-busy")
        if jobs:
            self.update(literal(" · ".join(f"{job.label}: {job.amount()}"
                                           for job in jobs) + "   (ctrl+x cancels)"))


# -- quitting ---------------------------------------------------------------------------------

def find_transfers(app: App[Any]) -> Transfers | None:
    # A screen holds its Transfers at the top (the browser does): looking only there
    # keeps the twice-a-second summary from walking every widget of every screen.
    for screen in reversed(app.screen_stack):
        for node in screen.children:
            if isinstance(node, Transfers):
                return node
    return None


def request_quit(app: App[Any], result: Any = None, verb: str = "Quit") -> None:
    """Quit (with `result` for whoever runs the app), asking first while transfers run
    (cancelling them cleans up their files)."""
    transfers = find_transfers(app)
    busy = transfers.running() if transfers else 0
    if not busy:
        app.exit(result)
        return

    async def answer(yes: bool | None) -> None:
        if yes:
            if transfers is not None:
                await transfers.stop_all()  # their unfinished files are gone before we exit
            app.exit(result)

    running = f"{busy} transfer{'s are' if busy != 1 else ' is'} still running"
    app.push_screen(Confirm(f"{running}. {verb} and cancel {'them' if busy != 1 else 'it'}?",
                            yes_label=verb, danger=True), answer)


# -- exports ----------------------------------------------------------------------------------

def as_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A search result as an export record: its key, then the appliance's own fields."""
    body = row.get("body")
    if isinstance(body, Mapping):
        return {"key": row.get("key"), **body}
    return {"key": row.get("key"), **{k: v for k, v in row.items() if k != "key"}}


def flat_record(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested session documents as dotted columns (search results already are); links
    to sub-resources ({"href": ...}) are not data and are left out."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, Mapping):
            if set(value) != {"href"}:
                out.update(flat_record(value, f"{dotted}."))
        else:
            out[dotted] = value
    return out


async def export_records(spec: ExportSpec, backend: Backend, progress: Tick | None = None,
                         notice: Callable[[str], None] | None = None,
                         ) -> AsyncIterator[dict[str, Any]]:
    """The records an export holds, reporting (done, total) as they come."""
    tick = progress or (lambda done, total: None)
    if spec.scope == "page":
        for done, row in enumerate(spec.page_rows, 1):
            tick(done, len(spec.page_rows))
            yield as_record(row)
    elif spec.scope == "marked":
        # One by one through the backend: marks span pages, and the cache answers offline.
        for done, key in enumerate(spec.keys, 1):
            session, _ = await backend.session(key)
            tick(done, len(spec.keys))
            yield {"key": session.key, **session.raw_body}
    else:
        if backend.client is None or backend.offline:
            raise SpsError("Exporting all matches needs the appliance (offline mode).")
        seen = Progress()
        query = replace(spec.query, limit=MAX_LIMIT)  # fewer, larger pages
        async for item in iterate_items(backend.client, query, progress=seen, notice=notice):
            tick(seen.fetched, seen.match_count)
            yield as_record(item)


async def write_export(spec: ExportSpec, backend: Backend, progress: Tick | None = None,
                       notice: Callable[[str], None] | None = None) -> int:
    """Write an export to `spec.path` (through a temporary file); returns the number of
    sessions written."""
    target = spec.path
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    records = export_records(spec, backend, progress, notice)
    try:
        with _private_text(part) as out:
            if spec.fmt == "json":
                count = await _json_array(records, out)
            else:
                count = await _csv(records, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


def _private_text(path: Path) -> IO[str]:
    """Session lists say who reached which server: readable by their owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


async def _json_array(records: AsyncIterator[dict[str, Any]], out: IO[str]) -> int:
    """A JSON array, one session per line, streamed: memory stays flat for big exports."""
    count = 0
    out.write("[")
    async for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(to_jsonable(record), ensure_ascii=True))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


async def _csv(records: AsyncIterator[dict[str, Any]], out: IO[str]) -> int:
    # The same CSV as `spstui search --format csv`: its columns are the union of
    # every record's fields, so the records are gathered first.
    from spstui.cli.commands import records_csv

    rows = [flat_record(record) async for record in records]
    out.write(records_csv(rows))
    return len(rows)


__all__ = ["ExportSpec", "Job", "Transfers", "find_transfers", "request_quit",
           "write_export"]
