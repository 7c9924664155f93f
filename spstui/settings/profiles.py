"""Choosing the appliance: a profile from the settings file plus command-line overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spstui.api.client import Connection
from spstui.settings.models import Profile, Settings, SettingsError
from spstui.settings.store import config_path, describe_error, paths

PROFILE_ENV = "SPSTUI_PROFILE"
# Which command-line option set each field, to blame the right thing in errors.
_OPTIONS = {"url": "--url", "username": "--user", "insecure": "--insecure",
            "ca_bundle": "--ca-bundle"}


@dataclass(frozen=True)
class ResolvedProfile:
    """Everything needed to work with one appliance; paths are ~-expanded."""

    name: str | None  # None for an ad-hoc --url without a profile
    url: str
    username: str | None
    ca_bundle: str | None
    insecure: bool
    client_cert: str | None
    client_key: str | None
    download_dir: Path
    player_command: str | None
    refresh_interval: float
    page_size: int
    timeout: float
    retries: int

    @property
    def keyring_name(self) -> str:
        """The profile name for password look-ups; the URL for an ad-hoc connection, so
        one appliance's stored password is never offered to another."""
        return self.name if self.name is not None else self.url

    def connection(self, password: str | None) -> Connection:
        return Connection(url=self.url, username=self.username, password=password,
                          ca_bundle=self.ca_bundle, insecure=self.insecure,
                          client_cert=self.client_cert, client_key=self.client_key,
                          timeout=self.timeout, retries=self.retries)


def resolve(settings: Settings, *, profile: str | None = None, url: str | None = None,
            user: str | None = None, insecure: bool | None = None,
            ca_bundle: str | None = None,
            env: Mapping[str, str] = os.environ) -> ResolvedProfile:
    """Pick the profile and apply the command-line overrides, which win.

    The profile is --profile, else $SPSTUI_PROFILE, else default_profile, else the only
    one. A --url without --profile is an ad-hoc connection that uses no profile: taking
    the default profile's user name and keyring password to another URL would leak them.
    """
    name = _choose(settings, profile, url, env)
    base = settings.profiles[name].model_dump(exclude_unset=True) if name else {}
    overrides: dict[str, Any] = {"url": url, "username": user, "insecure": insecure,
                                 "ca_bundle": ca_bundle}
    base.update({key: value for key, value in overrides.items() if value is not None})
    if ca_bundle is not None and insecure is None:
        base["insecure"] = False  # an explicit CA bundle means "verify with it"
    try:
        merged = Profile.model_validate(base)
    except ValidationError as exc:
        raise SettingsError(*(f"{_OPTIONS.get(str(e['loc'][0]), e['loc'][0])}: {describe_error(e)}"
                              for e in exc.errors())) from None

    def where(key: str) -> str:
        if key in overrides and overrides[key] is not None:
            return _OPTIONS[key]
        return f"profiles.{name}.{key} in {config_path(env)}"

    expanded = {key: _expand(getattr(merged, key))
                for key in ("ca_bundle", "client_cert", "client_key")}
    missing = [f"{where(key)}: no such file: {path}" for key, path in expanded.items()
               if path is not None and not os.path.isfile(path)]
    if missing:  # fail here rather than deep inside the TLS set-up
        raise SettingsError(*missing)
    download_dir = _expand(merged.download_dir)
    return ResolvedProfile(
        name=name, url=merged.url, username=merged.username, insecure=merged.insecure,
        download_dir=Path(download_dir) if download_dir else paths(env)["downloads"],
        player_command=merged.player_command, refresh_interval=merged.refresh_interval,
        page_size=merged.page_size, timeout=merged.timeout, retries=merged.retries,
        **expanded)


def _choose(settings: Settings, profile: str | None, url: str | None,
            env: Mapping[str, str]) -> str | None:
    known = sorted(settings.profiles)
    listing = f"profiles: {', '.join(known)}" if known else "no profiles are defined"
    if profile is not None:
        source = "--profile"
    elif url is not None:
        return None
    elif env.get(PROFILE_ENV):
        profile, source = env[PROFILE_ENV], PROFILE_ENV
    elif settings.default_profile is not None:
        profile, source = settings.default_profile, "default_profile"
    elif len(known) == 1:
        return known[0]
    elif not known:
        raise SettingsError(
            "No appliance to connect to: give --url URL, or add a profile to "
            f"{config_path(env)} ([profiles.NAME] with url = \"https://...\").")
    else:
        raise SettingsError(
            f"Several profiles and none chosen ({listing}): give --profile NAME, set "
            f"{PROFILE_ENV}, or set default_profile in {config_path(env)}.")
    if profile not in settings.profiles:
        raise SettingsError(f"No profile named '{profile}' (from {source}); {listing}.")
    return profile


def _expand(path: str | None) -> str | None:
    return os.path.expanduser(path) if path is not None else None
