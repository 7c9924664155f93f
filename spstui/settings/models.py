"""The settings file's schema: pydantic models are the single truth for what it may hold."""

from __future__ import annotations

import shlex
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# The appliance refuses `limit` above 500 on /api/audit/sessions.
MAX_PAGE_SIZE = 500


class SettingsError(Exception):
    """A settings file, profile choice or password problem, worded for the user.

    `problems` holds one line per problem; str() joins them."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))


# extra="forbid" turns typos into errors instead of silently ignored keys; strict=True
# stops `page_size = "500"` or `insecure = 1` from being quietly coerced.
_CONFIG = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

Name = Annotated[str, StringConstraints(min_length=1)]


class SavedQuery(BaseModel):
    """A named search, given the same way as on the command line."""

    model_config = _CONFIG

    q: str | None = None
    start: str | None = None
    end: str | None = None
    content: str | None = None
    sort: str | None = None


class Profile(BaseModel):
    """How to reach one appliance, and per-appliance preferences. Never a password."""

    model_config = _CONFIG

    url: str
    username: str | None = None
    # Paths are kept as written (with ~) so a save does not rewrite them; they are
    # expanded when resolved.
    ca_bundle: str | None = None
    insecure: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    download_dir: str | None = None
    player_command: str | None = None
    refresh_interval: float = Field(5.0, gt=0)
    page_size: int = Field(MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    timeout: float = Field(30.0, gt=0)
    retries: int = Field(3, ge=0, le=10)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// (or http://) URL, like https://sps.example.com")
        return value

    @field_validator("username", "ca_bundle", "client_cert", "client_key", "download_dir")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty (leave the key out instead)")
        return value

    @field_validator("client_key")
    @classmethod
    def _key_needs_cert(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("client_cert") is None:
            raise ValueError("needs client_cert as well (the key alone cannot log in)")
        return value

    @field_validator("player_command")
    @classmethod
    def _check_player(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "{file}" not in value:
            raise ValueError("must contain {file}, where the trail's path goes, "
                             "like \"sdp --play {file}\"")
        try:
            shlex.split(value)
        except ValueError as exc:  # unbalanced quotes would only fail at play time
            raise ValueError(f"cannot be split into words: {exc}") from None
        return value


class Settings(BaseModel):
    """The whole settings file."""

    model_config = _CONFIG

    theme: Name = "dark"
    profiles: dict[Name, Profile] = Field(default_factory=dict)
    saved_queries: dict[Name, SavedQuery] = Field(default_factory=dict)
    # Declared after `profiles` so its validator can see them.
    default_profile: Name | None = None

    @field_validator("default_profile")
    @classmethod
    def _default_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        profiles = info.data.get("profiles")
        if value is not None and profiles is not None and value not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise ValueError(f"no profile named '{value}' (profiles: {known})")
        return value
