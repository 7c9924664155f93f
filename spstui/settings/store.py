"""Where spstui keeps its files, and reading and writing the settings file."""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from spstui.settings.models import Profile, SavedQuery, Settings, SettingsError

APP = "spstui"
CONFIG_ENV = "SPSTUI_CONFIG"
PASSWORD_IN_FILE = (
    "passwords are never stored in the settings file; use the system keyring "
    "(spstui stores it there when asked) or the SPSTUI_PASSWORD environment variable")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """The settings file: $SPSTUI_CONFIG, else the platform's per-user config folder."""
    override = env.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def paths(env: Mapping[str, str] = os.environ) -> dict[str, Path]:
    """Every path spstui uses, for `spstui info`."""
    return {
        "config": config_path(env),
        "cache": Path(platformdirs.user_cache_dir(APP)),
        "downloads": Path(platformdirs.user_downloads_dir()) / APP,
        # Beside the settings file, so $SPSTUI_CONFIG moves them together.
        "themes": config_path(env).parent / "themes",
    }


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the settings file; a missing file means defaults."""
    path = config_path() if path is None else path.expanduser()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        reason = exc.strerror or exc
        raise SettingsError(f"{path}: cannot read the settings file: {reason}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(_syntax_error(path, text, exc)) from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(*(f"{path}: {_dotted(e['loc'])}: {describe_error(e)}"
                              for e in exc.errors())) from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings file atomically (temp file, fsync, rename), mode 0600.

    Only keys that were set are written, so defaults can improve in later releases.
    Comments in a hand-edited file are not preserved."""
    path = config_path() if path is None else path.expanduser()
    if path.is_symlink():  # keep dotfile-manager symlinks pointing at the real file
        path = path.resolve()
    data = settings.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    try:
        # Never write a file that load_settings would refuse (e.g. after model_construct).
        Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(*(f"{path}: not saved: {_dotted(e['loc'])}: {describe_error(e)}"
                              for e in exc.errors())) from None
    content = tomli_w.dumps(data).encode("utf-8")
    try:
        # 0700 applies only to folders created here, never to an existing one like ~.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")  # mkstemp creates it 0600
    except OSError as exc:
        raise SettingsError(f"{path}: cannot save settings: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_name, 0o600)  # in case a filesystem ignored mkstemp's mode
        os.replace(temp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise SettingsError(f"{path}: cannot save settings: {exc.strerror or exc}") from exc
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible everywhere (e.g. Windows)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    # Python 3.11's TOMLDecodeError has no lineno/colno; the position is in the message.
    message = str(exc)
    match = _TOML_POSITION.search(message)
    if match:
        line, column = int(match[1]), int(match[2])
        message = message[: match.start()]
    else:  # "(at end of document)"
        message = message.replace(" (at end of document)", " at the end of the file")
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return f"{path}, line {line}, column {column}: TOML syntax error: {message}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    """('saved_queries', 'sudo last day', 'q') -> saved_queries."sudo last day".q"""
    return ".".join(str(part) if _BARE_KEY.fullmatch(str(part)) else f'"{part}"'
                    for part in loc) or "(top level)"


def describe_error(error: ErrorDetails) -> str:
    loc, kind, value = error["loc"], error["type"], error["input"]
    last = str(loc[-1]).lower() if loc else ""
    # A password key gets its own message, and its value is never echoed.
    if last == "password" and (kind == "extra_forbidden" or not isinstance(value, dict)):
        return PASSWORD_IN_FILE
    if kind == "extra_forbidden":
        allowed = sorted(_model_at(loc).model_fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key ({hint}allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    if kind in ("model_type", "dict_type"):
        return "must be a table ([section] or { key = value, ... })"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool) and "password" not in map(str, loc):
        message += f" (got {_short(value)})"
    return message


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model whose table holds the last key of `loc`."""
    if len(loc) == 3 and loc[0] == "profiles":
        return Profile
    if len(loc) == 3 and loc[0] == "saved_queries":
        return SavedQuery
    return Settings


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
