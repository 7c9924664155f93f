"""Passwords: from the environment, the system keyring or a prompt; never from a file.

Nothing here logs or prints a password, and error messages never contain one."""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from spstui.settings.models import SettingsError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# keyring is imported where a password is looked up or stored (not at start-up: it
# takes ~40 ms, and the demo, certificate logins and $SPSTUI_PASSWORD never need it).

SERVICE = "spstui"
PASSWORD_ENV = "SPSTUI_PASSWORD"
_NO_KEYRING = (
    "No system keyring is available to store passwords in (keyring backend: {backend}). "
    "Install or unlock one (e.g. GNOME Keyring or KWallet; see `keyring --list-backends`), "
    f"or give the password in the {PASSWORD_ENV} environment variable instead.")


def account(profile_name: str, username: str) -> str:
    """The keyring account name: one entry per profile and user."""
    return f"{profile_name}:{username}"


def get_password(profile_name: str, username: str, *, env: Mapping[str, str] = os.environ,
                 prompt: Callable[[str], str] | None = getpass.getpass,
                 interactive: bool | None = None) -> str:
    """$SPSTUI_PASSWORD, else the keyring, else a prompt (when interactive).

    `interactive` defaults to whether stdin is a terminal, checked at call time."""
    from_env = env.get(PASSWORD_ENV)
    if from_env:
        return from_env
    backend = _usable_backend()
    if backend is not None:
        try:
            stored = backend.get_password(SERVICE, account(profile_name, username))
        except Exception:  # a locked or broken keyring must not stop a login by prompt
            stored = None
        if stored:
            return stored
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive and prompt is not None:
        try:
            with _interruptible():
                typed = prompt(f"Password for {username} on {profile_name}: ")
        except EOFError:
            typed = ""
        if typed:
            return typed
        raise SettingsError(f"No password given for {username} on {profile_name}.")
    raise SettingsError(
        f"No password for {username} on {profile_name}, and no terminal to ask on: set "
        f"{PASSWORD_ENV}, or store one in the system keyring with spstui "
        "(or run spstui in a terminal to be asked).")


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl+C raises KeyboardInterrupt at once while the prompt waits.

    The prompt blocks the event loop it is called from, and asyncio's own SIGINT handler
    only asks the main task to stop: the prompt would go on reading, and a second Ctrl+C
    would end the whole program instead of giving up on this one password."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread; elsewhere Ctrl+C is not ours
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        # None: a handler not set from Python, which cannot be put back from here.
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def store_password(profile_name: str, username: str, password: str) -> None:
    """Keep the password in the system keyring; never in the settings file."""
    if not password:
        raise SettingsError("Refusing to store an empty password.")
    backend = _backend_or_error()
    try:
        backend.set_password(SERVICE, account(profile_name, username), password)
    except Exception as exc:  # the message is the backend's, never the password
        raise SettingsError(f"The system keyring refused to store the password for "
                            f"{username} on {profile_name}: {type(exc).__name__}") from None


def forget_password(profile_name: str, username: str) -> bool:
    """Remove a stored password; False if there was none."""
    import keyring.errors

    backend = _backend_or_error()
    try:
        backend.delete_password(SERVICE, account(profile_name, username))
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise SettingsError(f"The system keyring could not remove the password for "
                            f"{username} on {profile_name}: {type(exc).__name__}") from None
    return True


def _usable_backend() -> KeyringBackend | None:
    """The keyring, unless there is none: the "fail" backend only raises, and the "null"
    backend (how users switch keyrings off) silently drops what it is given."""
    import keyring
    import keyring.backends.fail
    import keyring.backends.null

    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return None
    return backend


def _backend_or_error() -> KeyringBackend:
    import keyring

    backend = _usable_backend()
    if backend is None:
        try:
            name = type(keyring.get_keyring()).__module__
        except Exception:
            name = "none"
        raise SettingsError(_NO_KEYRING.format(backend=name))
    return backend
