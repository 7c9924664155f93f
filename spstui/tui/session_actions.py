"""Actions on sessions shared by the browser and the active-sessions view:
download (d), follow (f), terminate (x) and copy the key (y).

A screen mixes this in and provides `current_key()`, `current_row()` and
`target_keys()`. Transfers run in the browser's Transfers widget, which lives
as long as the app, so leaving the active view does not cancel them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events, work
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

from spstui.api import sessions, trails
from spstui.api.errors import SpsError
from spstui.api.models import SessionRow
from spstui.output import safe_text
from spstui.tui.confirm import Confirm
from spstui.tui.detail import DetailPane
from spstui.tui.row_table import RowTable
from spstui.tui.transfers import Transfers, find_transfers

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

SESSION_BINDINGS: list[BindingType] = [
    Binding("d", "download", "Download", id="session.download"),
    Binding("f", "follow", "Follow", id="session.follow"),
    Binding("x", "terminate", "Terminate", id="session.terminate"),
    Binding("y", "copy_key", "Copy key", show=False, id="session.copy-key"),
    Binding("enter", "open_details", "Details", show=False, key_display="enter",
            id="session.details"),
    Binding("ctrl+x", "cancel_transfers", "Cancel transfers", show=False,
            id="session.cancel-transfers"),
    Binding("less_than_sign", "divider(1)", "Wider details", show=False,
            id="session.wider-details"),
    Binding("greater_than_sign", "divider(-1)", "Narrower details", show=False,
            id="session.narrower-details"),
    Binding("equals_sign", "divider(0)", "Details at their usual width", show=False,
            id="session.usual-details"),
]
CHANGES_APPLIANCE = frozenset({"terminate"})
# Below this many columns (an 80-column SSH window) the table and the details take
# turns on the whole width: side by side, neither would show enough to read.
NARROW_WIDTH = 100
# `<` and `>` move the divider between the table and the details by this many cells;
# each side keeps at least its minimum.
DIVIDER_STEP = 8
MIN_DETAILS = 30
MIN_TABLE = 40


class SessionActions(Screen[Any]):
    BINDINGS: ClassVar[list[BindingType]] = SESSION_BINDINGS

    DEFAULT_CSS = """
    SessionActions.-narrow DetailPane { display: none; }
    SessionActions.-narrow.zoomed DetailPane { display: block; width: 1fr; }
    """

    # -- what the screen provides -------------------------------------------------------

    def current_key(self) -> str | None:
        raise NotImplementedError

    def current_row(self) -> SessionRow | None:
        raise NotImplementedError

    def session_table(self) -> RowTable:
        raise NotImplementedError

    def divider_left(self) -> Widget:
        """What sits left of the divider: the table (with what goes with it)."""
        raise NotImplementedError

    def target_keys(self) -> list[str]:
        key = self.current_key()
        return [key] if key else []

    def row_for(self, key: str) -> SessionRow | None:
        """The row shown for `key`, if the screen has it (the highlighted one at least)."""
        row = self.current_row()
        return row if row is not None and row.key == key else None

    def session_ended(self, key: str) -> None:
        """Called after a terminate: the screen refreshes what it shows."""

    # -- shared -------------------------------------------------------------------------

    @property
    def sps(self) -> SpsApp:
        return cast("SpsApp", self.app)

    # -- moving about (the screens bind j/k/g/G, z and 1-6 to these) -------------------

    def _moved_table(self) -> RowTable:
        """What j/k/g/G move in: the details' table when they have the screen (zoomed),
        so the keys scroll what is shown instead of picking another session unseen."""
        if self.has_class("zoomed"):
            table = self.query_one(DetailPane).current_table()
            if table is not None:
                return table
        return self.session_table()

    def action_cursor(self, step: int) -> None:
        table = self._moved_table()
        table.move_cursor(row=table.cursor_row + step)

    def action_cursor_edge(self, last: int) -> None:
        table = self._moved_table()
        table.move_cursor(row=table.row_count - 1 if last else 0)

    def action_zoom(self) -> None:
        if self.has_class("zoomed"):
            self.set_zoomed(False)
            self.session_table().focus()
        else:
            self.action_open_details()

    def action_open_details(self) -> None:
        self.set_zoomed(True)  # the screen's CSS gives the details the width
        # The keys go with it (the table is hidden); escape (or z) goes back.
        self._focus_details()

    def set_zoomed(self, zoomed: bool) -> None:
        """Give the details the whole screen, or put them back beside the table."""
        self.set_class(zoomed, "zoomed")
        self.lay_out_divider()

    # -- the divider between the table and the details (<, >, =) ------------------------

    def action_divider(self, direction: int) -> None:
        """Widen (1) or narrow (-1) the details by a step, or give them back their
        usual width (0). Remembered across runs."""
        state = getattr(self.app, "ui_state", None)
        if state is None:
            return
        if direction == 0:
            state.detail_width = None
        elif self.has_class("zoomed") or self.has_class("-narrow"):
            self.notify("The divider moves while the table and the details are side by "
                        "side.", timeout=3)
            return
        else:
            # From the width last chosen, not the one on screen: keys typed in a burst
            # come before the layout that shows the one before.
            now = state.detail_width if state.detail_width is not None \
                else self.query_one(DetailPane).outer_size.width
            state.detail_width = self._clamped(self._clamped(now) + direction * DIVIDER_STEP)
        self.sps.save_ui_state()
        self.lay_out_divider()

    def _clamped(self, width: int) -> int:
        return max(MIN_DETAILS, min(width, self.size.width - MIN_TABLE))

    def lay_out_divider(self) -> None:
        """The details at the width chosen with < and >, while beside the table; the
        screen's CSS lays them out otherwise (no choice made, zoomed, or narrow)."""
        state = getattr(self.app, "ui_state", None)
        wanted = state.detail_width if state is not None else None
        details, left = self.query_one(DetailPane), self.divider_left()
        if wanted is None or self.has_class("zoomed") or self.has_class("-narrow"):
            details.styles.width = details.styles.min_width = None
            left.styles.max_width = None
            return
        width = self._clamped(wanted)
        details.styles.width = details.styles.min_width = width
        left.styles.max_width = "100%"  # the table takes all the rest

    def _focus_details(self) -> None:
        table = self.query_one(DetailPane).current_table()
        if table is not None:
            table.focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")
        self.lay_out_divider()

    def on_screen_resume(self) -> None:
        # The divider may have moved on the screen that was over this one. (Textual
        # calls this as well as the screens' own on_screen_resume.)
        self.lay_out_divider()

    def action_tab(self, n: int) -> None:
        self.query_one(DetailPane).show_tab(n)
        if self.has_class("zoomed"):
            self.call_after_refresh(self._focus_details)  # once that tab is shown

    def read_only(self) -> bool:
        options = getattr(self.app, "options", None)
        return bool(options is not None and options.read_only)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden under --read-only, which changes nothing on the appliance.
        return not (action in CHANGES_APPLIANCE and self.read_only())

    def transfers(self) -> Transfers | None:
        found = find_transfers(self.app)
        if found is None:
            self.notify("Transfers are not available on this screen.", severity="error")
        return found

    def not_recorded(self, keys: list[str]) -> list[str]:
        """The keys whose rows say there is no audit trail, said plainly before asking the
        appliance (whose 404 still answers for rows that do not say)."""
        missing = [k for k in keys if (row := self.row_for(k)) is not None
                   and trails.not_recorded(row.index_status)]
        if missing:
            # Keys come from the appliance: literal text, no controls.
            self.notify(safe_text(trails.no_trail_notice(missing)), severity="warning",
                        markup=False, timeout=6)
        return missing

    def action_download(self) -> None:
        keys = self.target_keys()
        missing = self.not_recorded(keys)
        keys = [k for k in keys if k not in missing]
        transfers = self.transfers() if keys else None
        if keys and transfers is not None:
            count = transfers.start_download(keys)
            if count:
                self.notify(f"Downloading {count} trail{'s' if count != 1 else ''} to "
                            f"{self.sps.options.download_dir}…", timeout=3)

    def action_follow(self) -> None:
        key = self.current_key()
        if key is None or self.not_recorded([key]):
            return
        row = self.current_row()
        transfers = self.transfers()
        if transfers is None:
            return
        if row is not None and row.active is False:
            self.notify("This session has ended: downloading its whole trail (.srs) for the "
                        "player instead.", timeout=4)
        transfers.start_follow(key)

    def action_copy_key(self) -> None:
        key = self.current_key()
        if key is None:
            return
        self.app.copy_to_clipboard(key)
        self.notify(f"Copied {key} (through the terminal: OSC 52).", timeout=3)

    def action_cancel_transfers(self) -> None:
        transfers = self.transfers()
        if transfers is not None:
            transfers.cancel_all()

    def action_terminate(self) -> None:
        if self.read_only():
            self.notify("Read-only: terminating sessions is switched off.", severity="error")
            return
        key, row = self.current_key(), self.current_row()
        if key is None or row is None:
            return
        if self.sps.backend.client is None or self.sps.backend.offline:
            # Said before asking: the answer could not be acted on.
            self.notify("Terminating needs the appliance (offline mode).", severity="error")
            return
        if not row.active:
            self.notify("This session is not active; only active sessions can be terminated.",
                        severity="warning")
            return
        who = f"{row.name or '?'} → {row.server_address or '?'}:{row.server_port or ''}"
        question = (f"Terminate the active {row.protocol or ''} session of {who}?\n"
                    f"{key}\nThe user is disconnected at once; this cannot be undone.")

        def answer(yes: bool | None) -> None:
            if yes:
                self.terminate_session(key, row.session_id or key)

        self.app.push_screen(Confirm(question, yes_label="Terminate", danger=True), answer)

    @work(group="terminate")
    async def terminate_session(self, key: str, session_id: str) -> None:
        client = self.sps.backend.client
        if client is None or self.sps.backend.offline:
            self.notify("Terminating needs the appliance (offline mode).", severity="error")
            return
        try:
            await sessions.terminate(client, session_id)
        except SpsError as err:
            self.notify(f"Could not terminate {key}: {err}", severity="error", timeout=10)
            return
        self.notify(key, title="Session terminated")
        self.session_ended(key)
