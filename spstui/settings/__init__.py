"""spstui's settings: profiles (one per appliance) in a TOML file, command-line
overrides, and passwords from the environment, the system keyring or a prompt.

The settings file never holds a password. See `paths()` for where files live."""

from spstui.settings.models import (
    MAX_PAGE_SIZE,
    Profile,
    SavedQuery,
    Settings,
    SettingsError,
)
from spstui.settings.passwords import (
    PASSWORD_ENV,
    SERVICE,
    forget_password,
    get_password,
    store_password,
)
from spstui.settings.profiles import PROFILE_ENV, ResolvedProfile, resolve
from spstui.settings.store import CONFIG_ENV, config_path, load_settings, paths, save_settings

__all__ = [
    "CONFIG_ENV",
    "MAX_PAGE_SIZE",
    "PASSWORD_ENV",
    "PROFILE_ENV",
    "SERVICE",
    "Profile",
    "ResolvedProfile",
    "SavedQuery",
    "Settings",
    "SettingsError",
    "config_path",
    "forget_password",
    "get_password",
    "load_settings",
    "paths",
    "resolve",
    "save_settings",
    "store_password",
]
