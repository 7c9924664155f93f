"""The settings screen, driven with the keyboard against the simulator in-process."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Button, Input, Select, Static, Switch

from spstui.api.client import Connection, SpsClient
from spstui.api.configuration import INDEXER, VNC_OPTIONS
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.settings import config_path, load_settings
from spstui.simulator import Simulator
from spstui.simulator.app import Fault
from spstui.tui.app import SpsApp
from spstui.tui.config_forms import INDEXER_FORM, VNC_FORM, edit
from spstui.tui.options import AppOptions
from spstui.tui.settings_confirm import SettingsConfirm
from spstui.tui.settings_screen import SettingsScreen

SIZE = (160, 45)
WORKERS = "#indexer-number_of_workers"


def new_client(sim: Simulator) -> SpsClient:
    """A client with a login of its own."""
    return SpsClient(Connection("https://sps.test", "admin", "admin"),
                     transport=httpx.ASGITransport(app=sim.app))


@pytest.fixture
async def app_client(sim: Simulator) -> AsyncIterator[SpsClient]:
    async with new_client(sim) as sps:
        yield sps


@pytest.fixture
def backend(app_client: SpsClient, tmp_path: Path) -> Iterator[Backend]:
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(app_client, cache)


async def settle(pilot: Any) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_settings(pilot: Any) -> SettingsScreen:
    await settle(pilot)
    screen = SettingsScreen()
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_loading_shows_the_values_then_a_bad_worker_count_is_flagged_and_not_saved(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        workers = screen.query_one(WORKERS, Input)
        loaded = (workers.value, app.focused is workers,
                  screen.query_one("#vnc-service-log_level", Input).value,
                  screen.query_one("#vnc-service-enabled", Switch).value,
                  screen.query_one("#vnc-audit-timestamping-selection", Select).value,
                  screen.query_one("#indexer-decryption_keys", Input).value,
                  screen.query_one("#vnc-audit-timestamping-server_url", Input).disabled)
        hint = text_of(screen, "#appliance-status")
        await pilot.press("ctrl+u", "0")
        await pilot.pause()
        error = text_of(screen, "#indexer-number_of_workers-error")
        await pilot.press("ctrl+u", *"two")
        await pilot.pause()
        not_a_number = text_of(screen, "#indexer-number_of_workers-error")
        sent_before = len(sim.request_log)
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = text_of(screen, "#appliance-status")
        no_modal = app.screen is screen
        writes = [r for r in list(sim.request_log)[sent_before:] if r.method != "GET"]
    assert loaded == ("2", True, "4", True, "local", "e38d47bd-5374-4d7c-b683-e26ea77142e2",
                      True)  # the server URL only applies to remote timestamping
    assert "ctrl+s" in hint
    assert "number_of_workers" in error and "greater than or equal to 1" in error
    assert "number_of_workers" in not_a_number and "'two' is not a whole number" in not_a_number
    assert status.startswith("Not saved: 1 field to fix first. Indexer: "
                             "number_of_workers: 'two'") and no_modal
    assert writes == []


async def test_saving_a_new_worker_count_shows_the_diff_then_commits_one_transaction(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+u", "4", "ctrl+s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SettingsConfirm)
        lines = [str(s.render()) for s in modal.query(".confirm-line").results(Static)]
        sent_before = len(sim.request_log)
        await pilot.press("y")
        await settle(pilot)
        status = text_of(screen, "#appliance-status")
        shown = screen.query_one(WORKERS, Input).value
        requests = [(r.method, r.path) for r in list(sim.request_log)[sent_before:]]
    assert lines == [f"Indexer ({INDEXER}):", "  number_of_workers: 2 -> 4"]
    assert status == "Saved 1 change." and shown == "4"
    writes = [r for r in requests if r[0] != "GET"]
    assert writes == [("POST", "/api/transaction"), ("PUT", INDEXER),
                      ("PUT", "/api/transaction")]
    async with new_client(sim) as fresh_client:
        fresh = (await fresh_client.get_json(INDEXER))["body"]
    assert fresh["number_of_workers"] == 4
    assert fresh["decryption_keys"][0]["key"] == "e38d47bd-5374-4d7c-b683-e26ea77142e2"


async def test_a_switch_says_on_or_off_beside_it(backend: Backend) -> None:
    # Its slider tells the two apart by colour only.
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        switch = screen.query_one("#vnc-service-enabled", Switch)
        before = (switch.value, text_of(screen, "#vnc-service-enabled-state"))
        switch.toggle()
        await pilot.pause()
        after = (switch.value, text_of(screen, "#vnc-service-enabled-state"))
    assert {before, after} == {(True, "on"), (False, "off")}


async def test_vnc_and_indexer_changes_are_saved_together(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+u", "3", "ctrl+t")
        await pilot.pause()
        assert app.focused is screen.query_one("#vnc-service-enabled", Switch)
        await pilot.press("tab", "ctrl+u", "7", "ctrl+s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SettingsConfirm)
        lines = [str(s.render()) for s in modal.query(".confirm-line").results(Static)]
        posts_before = sum(r.method == "POST" for r in sim.request_log)
        await pilot.press("y")
        await settle(pilot)
        status = text_of(screen, "#appliance-status")
        posts = sum(r.method == "POST" for r in sim.request_log) - posts_before
    assert "  number_of_workers: 2 -> 3" in lines and "  service.log_level: 4 -> 7" in lines
    assert status == "Saved 2 changes." and posts == 1
    assert sim.config.committed(INDEXER)["number_of_workers"] == 3
    assert sim.config.committed(VNC_OPTIONS)["service"]["log_level"] == 7


async def test_a_failed_put_rolls_back_keeps_the_edits_and_says_why(
        backend: Backend, sim: Simulator, app_client: SpsClient) -> None:
    before = sim.config.committed(INDEXER)
    sim.faults.append(Fault(path=INDEXER, method="PUT", status=500))
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+u", "5", "ctrl+s", "y")
        await settle(pilot)
        status = text_of(screen, "#appliance-status")
        kept = screen.query_one(WORKERS, Input).value
    assert status.startswith("Not saved, nothing was changed on the appliance:")
    assert "failed on the appliance (500)" in status
    assert kept == "5"
    assert sim.config.committed(INDEXER) == before
    answer = await app_client.get_json("/api/transaction")
    assert answer["body"]["status"] == "closed"
    assert ("DELETE", "/api/transaction") in [(r.method, r.path) for r in sim.request_log]
    async with new_client(sim) as other:  # nothing locks the configuration any more
        await other.request("POST", "/api/transaction")
        await other.request("DELETE", "/api/transaction")


async def test_read_only_flag_disables_the_forms_and_says_why(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20, options=AppOptions(read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        workers = screen.query_one(WORKERS, Input)
        status = text_of(screen, "#appliance-status")
        save_offered = not screen.query_one("#save", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        after_save = text_of(screen, "#appliance-status")
        await pilot.press("ctrl+t", "ctrl+t")  # the App tab: saved on this computer
        await pilot.pause()
        app_save_offered = not screen.query_one("#save", Button).disabled
    assert workers.disabled and workers.value == "2"
    assert status == "Read-only: started with --read-only."
    assert not save_offered and app_save_offered
    assert after_save == ("Read-only: started with --read-only. Nothing can be saved to "
                          "the appliance.")


async def test_a_403_on_reading_makes_the_forms_read_only_with_the_reason(
        backend: Backend, sim: Simulator) -> None:
    sim.faults.append(Fault(path=VNC_OPTIONS, method="GET", status=403, code="Forbidden"))
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        status = text_of(screen, "#appliance-status")
        workers = screen.query_one(WORKERS, Input)
    assert status.startswith("Read-only: the appliance refused (403): ")
    assert "injected fault" in status
    assert workers.disabled


async def test_a_403_on_opening_the_transaction_turns_the_forms_read_only(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        sim.faults.append(Fault(path="/api/transaction", method="POST", status=403,
                                code="Forbidden"))
        await pilot.press("ctrl+u", "6", "ctrl+s", "y")
        await settle(pilot)
        status = text_of(screen, "#appliance-status")
        workers = screen.query_one(WORKERS, Input)
    assert status.startswith("Read-only: the appliance refused (403): ")
    assert workers.disabled and workers.value == "6"
    assert sim.config.committed(INDEXER)["number_of_workers"] == 2


async def test_offline_backend_shows_the_forms_unavailable(tmp_path: Path) -> None:
    with CacheStore(tmp_path / "c.sqlite3") as cache:
        app = SpsApp(Backend(None, cache, offline=True))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot)
            status = text_of(screen, "#appliance-status")
            disabled = screen.query_one(WORKERS, Input).disabled
    assert status.startswith("Unavailable offline") and disabled


async def test_escape_with_unsaved_edits_asks_before_leaving(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+u", "9", "escape")
        await pilot.pause()
        asked = isinstance(app.screen, SettingsConfirm)
        await pilot.press("n")
        await pilot.pause()
        stayed = app.screen is screen and screen.query_one(WORKERS, Input).value == "9"
        await pilot.press("escape", "y")
        await settle(pilot)
        left = app.screen is not screen and not isinstance(app.screen, SettingsConfirm)
    assert asked and stayed and left


async def test_quitting_with_unsaved_edits_asks_first(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+u", "9")
        await app.action_quit()  # as the palette's Quit (q is typed in a field)
        await pilot.pause()
        assert isinstance(app.screen, SettingsConfirm)
        assert text_of(app.screen, "#confirm-title") == "Quit without saving the settings?"
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.screen is screen
        await app.action_quit()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert not app.is_running


def write_settings(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def test_page_size_is_applied_and_saved_under_the_profile_in_use(
        backend: Backend) -> None:
    write_settings('[profiles.lab]\nurl = "https://sps.lab.example"\n')
    options = AppOptions(profile="lab", page_size=500)
    app = SpsApp(backend, page_size=20, options=options)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+t", "ctrl+t")
        await pilot.pause()
        screen.query_one("#app-page_size", Input).focus()
        await pilot.press("ctrl+u", *"600")
        await pilot.pause()
        too_big = text_of(screen, "#app-page_size-error")
        await pilot.press("ctrl+u", *"120", "ctrl+s")
        await pilot.pause()
        status = text_of(screen, "#app-status")
        await pilot.press("escape")  # back to the browser, which pages by the new size
        await settle(pilot)
        first = text_of(app.screen, "#status")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        second = text_of(app.screen, "#status")
    assert "page_size" in too_big and "500" in too_big
    assert options.page_size == 120
    assert first.startswith("1–120 of") and second.startswith("121–240 of")
    assert status.startswith("Applied and saved to the settings file (profile lab).")
    assert load_settings().profiles["lab"].page_size == 120


async def test_preferences_are_checked_and_without_a_profile_apply_for_this_run_only(
        backend: Backend) -> None:
    options = AppOptions(refresh_interval=5.0)
    app = SpsApp(backend, page_size=20, options=options)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("ctrl+t", "ctrl+t")
        await pilot.pause()
        screen.query_one("#app-player_command", Input).focus()
        await pilot.press(*"vlc", "ctrl+s")
        await pilot.pause()
        error = text_of(screen, "#app-player_command-error")
        refused = text_of(screen, "#app-status")
        await pilot.press(*" {file}")
        screen.query_one("#app-refresh_interval", Input).focus()
        await pilot.press("ctrl+u", *"2.5", "ctrl+s")
        await pilot.pause()
        status = text_of(screen, "#app-status")
    assert "player_command" in error and "{file}" in error
    assert refused.startswith("Not applied")
    assert options.refresh_interval == 2.5 and options.player_command == "vlc {file}"
    assert status == "Applied for this run only: no profile is in use (demo or --url)."
    assert not config_path().exists()


async def test_an_invalid_settings_file_is_not_overwritten(backend: Backend) -> None:
    path = write_settings('[profiles.lab]\nurl = "https://sps.lab.example"\npage_size = \n')
    before = path.read_bytes()
    app = SpsApp(backend, page_size=20, options=AppOptions(profile="lab"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#settings-tabs").active = "tab-app"  # type: ignore[attr-defined]
        screen.query_one("#app-page_size", Input).focus()
        await pilot.press("ctrl+u", *"50", "ctrl+s")
        await pilot.pause()
        status = text_of(screen, "#app-status")
    assert status.startswith("Applied for this run, but the settings file was not changed:")
    assert "TOML syntax error" in status
    assert path.read_bytes() == before


async def test_in_an_80_column_terminal_the_fields_and_their_messages_fit(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        workers = screen.query_one(WORKERS, Input)
        await pilot.press("ctrl+u", "0")
        await pilot.pause()
        error = screen.query_one("#indexer-number_of_workers-error", Static)
        shown = workers.region, error.region, str(error.render())
    field, message, text = shown
    assert field.right <= message.x and message.right <= 80 and field.width >= 16
    assert "greater than or equal to 1" in text
    # Every line of it is on screen (the row grows; "to 1" was cut below 3 lines).
    assert message.height >= len(textwrap.wrap(text, message.width - 2)) > 3


# -- the form logic, without the screen ----------------------------------------------------

VNC_LOCAL = {"audit": {"cleanup": {"enabled": False},
                       "timestamping": {"selection": "local", "signing_interval": 30}},
             "service": {"enabled": True, "log_level": 4}}


def test_remote_timestamping_needs_a_url_and_local_drops_the_remote_keys() -> None:
    remote = edit(VNC_FORM, VNC_LOCAL, {"audit.timestamping.selection": "remote"})
    assert remote.problems == {"audit.timestamping.server_url":
                               "audit.timestamping.server_url: required for remote timestamping"}
    done = edit(VNC_FORM, VNC_LOCAL, {
        "audit.timestamping.selection": "remote",
        "audit.timestamping.server_url": "http://tsa.example/",
        "audit.timestamping.oid.policy_oid": "1.2.3"})
    # Typing only the policy OID still gives the new `oid` object its switch.
    assert done.valid and done.body["audit"]["timestamping"]["oid"] == {
        "enabled": False, "policy_oid": "1.2.3"}
    back = edit(VNC_FORM, done.body, {"audit.timestamping.selection": "local"})
    assert back.valid and back.body == VNC_LOCAL


def test_untouched_fields_keep_references_and_bad_text_names_the_field() -> None:
    original = {"decryption_keys": [{"key": "k1", "meta": {"href": "/x/k1"}}],
                "number_of_workers": 1, "remote_access": {"enabled": False},
                "selection": "integrated"}
    same = edit(INDEXER_FORM, original, {"number_of_workers": "3"})
    assert same.valid and same.body["decryption_keys"] == original["decryption_keys"]
    bad = edit(INDEXER_FORM, original, {"remote_access.listen": "nic1.interfaces.a.addresses.1",
                                        "remote_access.access_restriction.allowed_from":
                                            "10.0.0.1/8"})
    assert bad.problems["remote_access.listen"].startswith(
        "remote_access.listen: 'nic1.interfaces.a.addresses.1' is not address:port")
    assert "'10.0.0.1/8' is not an IPv4-address/prefix network" in \
        bad.problems["remote_access.access_restriction.allowed_from"]


def test_settings_screen_snapshot(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    app = SpsApp(Backend(new_client(sim), CacheStore(tmp_path / "cache.sqlite3")), page_size=50)

    async def run_before(pilot: Any) -> None:
        await open_settings(pilot)
        await pilot.press("ctrl+u", "0")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_a_fields_to_fix_message_goes_once_they_are_fixed(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one(WORKERS, Input).focus()
        await pilot.press("ctrl+u", *"abc", "ctrl+s")
        await settle(pilot)
        refused = text_of(screen, "#appliance-status")
        await pilot.press("ctrl+u", "6")
        await pilot.pause()
        fixed = text_of(screen, "#appliance-status")
    assert refused.startswith("Not saved: 1 field to fix first.")
    assert fixed == "Fixed: ctrl+s reviews the changes and saves them."
