"""The App tab of the settings screen, without the widgets: preferences of this program.

Profile-level preferences (refresh interval, page size, player command,
download directory) are checked with the settings file's own `Profile` model,
applied to the running app's options at once, and saved into the profile in
use. The theme and the default profile are saved at the top of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spstui.settings import Profile, Settings, SettingsError, paths
from spstui.settings.store import describe_error
from spstui.tui.options import AppOptions

# Validation needs a whole Profile; when no profile is in use any valid URL will do.
_PLACEHOLDER_URL = "https://sps.invalid"


@dataclass(frozen=True)
class PrefSpec:
    name: str  # the Profile field (and AppOptions attribute)
    label: str
    help: str
    placeholder: str = ""


PROFILE_PREFS = (
    PrefSpec("refresh_interval", "Refresh interval (s)",
             "Seconds between refreshes of live data (more than 0)."),
    PrefSpec("page_size", "Page size", "Sessions per page of the browser (1-500)."),
    PrefSpec("player_command", "Player command",
             "How to start Safeguard Desktop Player; {file} is replaced by the trail's path. "
             "Empty: look for the player on PATH.", "e.g. sdp --play {file}"),
    PrefSpec("download_dir", "Download directory",
             "Where downloaded audit trails are saved. Empty: the default folder.",
             str(paths()["downloads"])),
)


def shown(options: AppOptions) -> dict[str, str]:
    """What the form shows for the options in use."""
    return {
        "refresh_interval": f"{options.refresh_interval:g}",
        "page_size": str(options.page_size),
        "player_command": options.player_command or "",
        "download_dir": str(options.download_dir),
    }


def base_profile(settings: Settings, profile: str | None) -> Profile:
    found = settings.profiles.get(profile) if profile else None
    return found if found is not None else Profile(url=_PLACEHOLDER_URL)


def _parse(name: str, text: str) -> Any:
    text = text.strip()
    if name in ("player_command", "download_dir"):
        return text or None
    try:
        return int(text) if name == "page_size" else float(text)
    except ValueError:
        kind = "a whole number" if name == "page_size" else "a number"
        raise ValueError(f"{name}: '{text}' is not {kind}") from None


def check(name: str, text: str, base: Profile) -> tuple[Any, str | None]:
    """(value, None) or (None, message naming the field) for one preference."""
    try:
        value = _parse(name, text)
    except ValueError as err:
        return None, str(err)
    probe = base.model_copy()
    try:
        setattr(probe, name, value)  # the model validates assignments
    except ValidationError as err:
        return None, f"{name}: {describe_error(err.errors()[0])}"
    return value, None


def apply(options: AppOptions, values: Mapping[str, Any]) -> None:
    """Put checked values into the running app's options."""
    for name, value in values.items():
        if name == "download_dir":
            options.download_dir = Path(value).expanduser() if value else paths()["downloads"]
        else:
            setattr(options, name, value)


def settings_change(values: Mapping[str, Any], profile: str | None, theme: str | None,
                    default_profile: str | None, default_changed: bool
                    ) -> tuple[Callable[[Settings], Settings], bool]:
    """A change for `SpsApp.update_settings`, and whether it writes anything at all."""
    in_profile = bool(values) and profile is not None

    def change(settings: Settings) -> Settings:
        if theme is not None:
            settings.theme = theme
        if default_changed:
            settings.default_profile = default_profile
        if in_profile and profile is not None:
            target = settings.profiles.get(profile)
            if target is None:
                raise SettingsError(f"the profile '{profile}' is no longer in the settings "
                                    "file; nothing was saved")
            for name, value in values.items():
                setattr(target, name, value)
        return settings

    return change, in_profile or theme is not None or default_changed
