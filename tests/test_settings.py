"""spstui.settings from the outside: the settings file, profile choice and passwords."""

from __future__ import annotations

import ast
import os
import stat
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import platformdirs
import pytest
from keyring.backend import KeyringBackend
from pydantic import ValidationError

from spstui.api.client import Connection
from spstui.settings import (
    Profile,
    SavedQuery,
    Settings,
    SettingsError,
    config_path,
    forget_password,
    get_password,
    load_settings,
    paths,
    resolve,
    save_settings,
    store_password,
)

SAMPLE = """\
default_profile = "prod"
theme = "dark"

[profiles.prod]
url = "https://sps.example.com"
username = "auditor"
ca_bundle = "~/sps-ca.pem"
insecure = false
client_cert = "~/me.pem"
client_key = "~/me.key"
download_dir = "~/trails"
player_command = "sdp --play {file}"
refresh_interval = 5.0
page_size = 200
timeout = 12.5

[profiles.lab]
url = "http://10.0.0.5:8443"

[saved_queries]
"sudo last day" = { q = "protocol:ssh", content = "sudo", start = "-24h" }
"""
SECRET = "hunter2-do-not-echo"
NO_ENV: dict[str, str] = {}
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


# -- helpers -------------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring, so tests never touch the machine's real one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class BrokenKeyring(MemoryKeyring):
    """A keyring that fails the way a locked desktop keyring does."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot set {password}")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def never_prompt(message: str) -> str:
    raise AssertionError(f"prompted unexpectedly: {message}")


def two_profiles(**extra: object) -> Settings:
    return Settings.model_validate({
        "profiles": {"prod": {"url": "https://prod.example", "username": "auditor"},
                     "lab": {"url": "https://lab.example", "username": "tester"}},
        **extra})


# -- loading and saving --------------------------------------------------------------------


def test_missing_file_gives_defaults_without_profiles(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "nope" / "config.toml")
    assert settings == Settings()
    assert settings.profiles == {} and settings.default_profile is None
    assert settings.theme == "dark"


def test_sample_file_loads_into_models(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, SAMPLE))
    prod = settings.profiles["prod"]
    assert settings.default_profile == "prod"
    assert prod.page_size == 200 and prod.timeout == 12.5 and prod.username == "auditor"
    assert settings.profiles["lab"].page_size == 500  # the appliance's maximum by default
    assert settings.saved_queries["sudo last day"] == SavedQuery(
        q="protocol:ssh", content="sudo", start="-24h")


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    original = load_settings(write(tmp_path, SAMPLE))
    target = tmp_path / "again" / "config.toml"
    save_settings(original, target)
    assert load_settings(target) == original
    # Paths stay as written, so a save does not pin one machine's home folder.
    assert 'ca_bundle = "~/sps-ca.pem"' in target.read_text()


def test_save_writes_only_keys_that_were_set(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_settings(Settings(profiles={"p": Profile(url="https://sps.test")}), path)
    text = path.read_text()
    assert "url" in text
    assert "page_size" not in text and "timeout" not in text and "theme" not in text


def test_settings_never_hold_a_password() -> None:
    with pytest.raises(ValidationError, match="password"):
        Profile(url="https://sps.test", password=SECRET)


@pytest.mark.parametrize(("toml", "key", "problem"), [
    ('[profiles.prod]\nurl = "https://s"\npage_size = "500"\n',
     "profiles.prod.page_size", "valid integer"),
    ('[profiles.prod]\nurl = "https://s"\ninsecure = "yes"\n',
     "profiles.prod.insecure", "valid boolean"),
    ('[profiles.prod]\nurl = "https://s"\npage_size = 0\n',
     "profiles.prod.page_size", "greater than or equal to 1"),
    ('[profiles.prod]\nurl = "https://s"\npage_size = 501\n',
     "profiles.prod.page_size", "less than or equal to 500"),
    ('[profiles.prod]\nurl = "https://s"\nrefresh_interval = 0\n',
     "profiles.prod.refresh_interval", "greater than 0"),
    ('[profiles.prod]\nurl = "https://s"\nplayer_command = "sdp --play"\n',
     "profiles.prod.player_command", "must contain {file}"),
    ('[profiles.prod]\nurl = "https://s"\npage_sise = 5\n',
     "profiles.prod.page_sise", "unknown key (did you mean 'page_size'?"),
    ('defualt_profile = "prod"\n', "defualt_profile", "unknown key"),
    ('[profiles.prod]\nusername = "a"\n', "profiles.prod.url", "required key is missing"),
    ('[profiles.prod]\nurl = "sps.example.com"\n', "profiles.prod.url", "https://"),
    ('[profiles.prod]\nurl = "https://s"\nclient_key = "k.pem"\n',
     "profiles.prod.client_key", "client_cert"),
    ('default_profile = "prd"\n[profiles.prod]\nurl = "https://s"\n',
     "default_profile", "no profile named 'prd' (profiles: prod)"),
    ('[saved_queries]\n"last day" = { q = 1 }\n', 'saved_queries."last day".q', "valid string"),
    ('saved_queries = "x"\n', "saved_queries", "must be a table"),
])
def test_validation_error_names_file_key_and_problem(tmp_path: Path, toml: str, key: str,
                                                     problem: str) -> None:
    path = write(tmp_path, toml)
    [line] = load_error(path)
    assert line.startswith(f"{path}: {key}: ")
    assert problem in line


@pytest.mark.parametrize(("toml", "key"), [
    (f'[profiles.prod]\nurl = "https://s"\npassword = "{SECRET}"\n', "profiles.prod.password"),
    (f'password = "{SECRET}"\n', "password"),
    (f'[saved_queries]\npassword = "{SECRET}"\n', "saved_queries.password"),
    (f'[saved_queries.q]\nPassword = "{SECRET}"\n', "saved_queries.q.Password"),
])
def test_password_key_anywhere_gets_its_own_message(tmp_path: Path, toml: str,
                                                    key: str) -> None:
    path = write(tmp_path, toml)
    [line] = load_error(path)
    assert line.startswith(f"{path}: {key}: passwords are never stored in the settings file")
    assert "keyring" in line and "SPSTUI_PASSWORD" in line
    assert SECRET not in line


def test_every_problem_gets_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\nurl = "https://s"\npage_size = 0\ntimeout = -1\n'
                           '[profiles.b]\nurl = "https://t"\nplayer_command = "x"\n')
    problems = load_error(path)
    assert sorted(p.split(": ")[1] for p in problems) == [
        "profiles.a.page_size", "profiles.a.timeout", "profiles.b.player_command"]


def test_toml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "dark"\n[profiles.prod\nurl = "x"\n')
    [line] = load_error(path)
    assert line.startswith(f"{path}, line 2, column ")
    assert "TOML syntax error" in line


def test_unterminated_string_at_end_of_file_still_names_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "dark"\ntheme2 = "oops')
    [line] = load_error(path)
    assert line.startswith(f"{path}, line 2, column 15: ")


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_save_keeps_old_file_and_leaves_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    path = write(tmp_path, SAMPLE)

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(SettingsError, match="No space left on device") as caught:
        save_settings(Settings(theme="light"), path)
    assert str(path) in str(caught.value)
    assert path.read_text() == SAMPLE
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


@posix_only
def test_saved_file_is_private_and_new_folder_is_0700(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    save_settings(Settings(theme="light"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@posix_only
def test_save_over_readable_file_makes_it_private(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    path.chmod(0o644)
    save_settings(load_settings(path), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_spstui_config_env_var_moves_the_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("SPSTUI_CONFIG", str(target))
    save_settings(Settings(theme="light"))
    assert target.exists()
    assert load_settings().theme == "light"
    assert config_path() == target == paths()["config"]


def test_default_config_path_is_the_platform_config_folder() -> None:
    expected = Path(platformdirs.user_config_dir("spstui")) / "config.toml"
    assert config_path(NO_ENV) == expected


def test_paths_lists_every_location() -> None:
    found = paths(NO_ENV)
    config_dir = Path(platformdirs.user_config_dir("spstui"))
    assert found == {
        "config": config_dir / "config.toml",
        "cache": Path(platformdirs.user_cache_dir("spstui")),
        "downloads": Path(platformdirs.user_downloads_dir()) / "spstui",
        "themes": config_dir / "themes",
    }


# -- choosing the profile ------------------------------------------------------------------


def test_command_line_overrides_win_over_the_profile(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    settings = Settings.model_validate({"profiles": {"prod": {
        "url": "https://prod.example", "username": "auditor", "insecure": True,
        "page_size": 100}}})
    resolved = resolve(settings, profile="prod", url="https://other.example", user="boss",
                       ca_bundle=str(ca), env=NO_ENV)
    assert (resolved.name, resolved.url, resolved.username) == (
        "prod", "https://other.example", "boss")
    assert resolved.ca_bundle == str(ca)
    assert resolved.insecure is False  # an explicit CA bundle means: verify with it
    assert resolved.page_size == 100  # not overridden: from the profile


def test_insecure_override_both_ways() -> None:
    insecure = Settings.model_validate({"profiles": {"p": {"url": "https://s",
                                                           "insecure": True}}})
    secure = Settings.model_validate({"profiles": {"p": {"url": "https://s"}}})
    assert resolve(secure, insecure=True, env=NO_ENV).insecure is True
    assert resolve(insecure, insecure=False, env=NO_ENV).insecure is False
    assert resolve(insecure, env=NO_ENV).insecure is True


def test_profile_choice_order(memory_keyring: MemoryKeyring) -> None:
    settings = two_profiles(default_profile="lab")
    env = {"SPSTUI_PROFILE": "prod"}
    assert resolve(settings, profile="lab", env=env).name == "lab"  # --profile first
    assert resolve(settings, env=env).name == "prod"  # then SPSTUI_PROFILE
    assert resolve(settings, env=NO_ENV).name == "lab"  # then default_profile
    assert resolve(two_profiles(), env={"SPSTUI_PROFILE": ""}, profile="prod").name == "prod"
    only = Settings.model_validate({"profiles": {"solo": {"url": "https://s"}}})
    assert resolve(only, env=NO_ENV).name == "solo"  # else the only one


def test_url_alone_works_without_any_settings(tmp_path: Path) -> None:
    resolved = resolve(load_settings(tmp_path / "missing.toml"), url="https://sps.test",
                       user="admin", env=NO_ENV)
    assert resolved.name is None and resolved.url == "https://sps.test"
    assert resolved.keyring_name == "https://sps.test"
    assert resolved.page_size == 500 and resolved.insecure is False
    assert resolved.download_dir == paths(NO_ENV)["downloads"]


def test_url_without_profile_does_not_borrow_the_default_profile() -> None:
    resolved = resolve(two_profiles(default_profile="prod"), url="https://elsewhere",
                       env={"SPSTUI_PROFILE": "prod"})
    assert resolved.name is None and resolved.username is None


def test_url_with_profile_overrides_that_profile() -> None:
    resolved = resolve(two_profiles(), profile="prod", url="https://new.example", env=NO_ENV)
    assert (resolved.name, resolved.url, resolved.username) == (
        "prod", "https://new.example", "auditor")


def test_nothing_chosen_says_how_to_choose(tmp_path: Path) -> None:
    env = {"SPSTUI_CONFIG": str(tmp_path / "c.toml")}
    with pytest.raises(SettingsError) as caught:
        resolve(Settings(), env=env)
    assert "--url" in str(caught.value) and str(tmp_path / "c.toml") in str(caught.value)


def test_several_profiles_without_default_lists_them() -> None:
    with pytest.raises(SettingsError) as caught:
        resolve(two_profiles(), env=NO_ENV)
    message = str(caught.value)
    assert "profiles: lab, prod" in message
    assert "--profile" in message and "SPSTUI_PROFILE" in message and "default_profile" in message


@pytest.mark.parametrize(("kwargs", "env", "source"), [
    ({"profile": "qa"}, NO_ENV, "--profile"),
    ({}, {"SPSTUI_PROFILE": "qa"}, "SPSTUI_PROFILE"),
])
def test_unknown_profile_lists_existing_ones(kwargs: dict[str, Any], env: dict[str, str],
                                             source: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve(two_profiles(), env=env, **kwargs)
    message = str(caught.value)
    assert "'qa'" in message and source in message and "profiles: lab, prod" in message


def test_bad_url_override_blames_the_option() -> None:
    with pytest.raises(SettingsError, match=r"^--url: must be an https://"):
        resolve(Settings(), url="sps.example.com", env=NO_ENV)


def test_missing_certificate_file_is_reported_before_connecting(tmp_path: Path) -> None:
    settings = Settings.model_validate({"profiles": {"prod": {
        "url": "https://s", "ca_bundle": str(tmp_path / "gone.pem")}}})
    with pytest.raises(SettingsError, match=r"profiles\.prod\.ca_bundle .*: no such file"):
        resolve(settings, env=NO_ENV)
    with pytest.raises(SettingsError, match=r"^--ca-bundle: no such file"):
        resolve(Settings(), url="https://s", ca_bundle=str(tmp_path / "nope.pem"), env=NO_ENV)


def test_resolved_paths_expand_home_and_feed_the_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # what expanduser reads on Windows
    for name in ("ca.pem", "me.pem", "me.key"):
        (tmp_path / name).write_text("x")
    settings = Settings.model_validate({"profiles": {"prod": {
        "url": "https://s", "username": "auditor", "ca_bundle": "~/ca.pem",
        "client_cert": "~/me.pem", "client_key": "~/me.key", "download_dir": "~/trails",
        "timeout": 7.0, "retries": 1}}})
    resolved = resolve(settings, env=NO_ENV)
    assert resolved.download_dir == tmp_path / "trails"
    assert resolved.connection("pw") == Connection(
        url="https://s", username="auditor", password="pw", ca_bundle=str(tmp_path / "ca.pem"),
        insecure=False, client_cert=str(tmp_path / "me.pem"),
        client_key=str(tmp_path / "me.key"), timeout=7.0, retries=1)


# -- passwords -----------------------------------------------------------------------------


def test_password_from_environment_comes_first(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("spstui", "prod:auditor")] = "from-keyring"
    assert get_password("prod", "auditor", env={"SPSTUI_PASSWORD": "from-env"},
                        prompt=never_prompt, interactive=True) == "from-env"


def test_password_from_keyring_before_prompt(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("spstui", "prod:auditor")] = "from-keyring"
    assert get_password("prod", "auditor", env=NO_ENV, prompt=never_prompt,
                        interactive=True) == "from-keyring"
    # The entry is per profile and user: another user is not given it.
    with pytest.raises(SettingsError):
        get_password("prod", "other", env=NO_ENV, prompt=never_prompt, interactive=False)


def test_prompt_when_interactive_and_nothing_stored() -> None:
    asked: list[str] = []

    def prompt(message: str) -> str:
        asked.append(message)
        return "typed"

    assert get_password("prod", "auditor", env=NO_ENV, prompt=prompt,
                        interactive=True) == "typed"
    assert len(asked) == 1 and "auditor" in asked[0] and "prod" in asked[0]


def test_empty_prompt_answer_is_an_error() -> None:
    with pytest.raises(SettingsError, match="No password given"):
        get_password("prod", "auditor", env=NO_ENV, prompt=lambda _: "", interactive=True)


@pytest.mark.parametrize("backend", [BrokenKeyring, keyring.backends.fail.Keyring])
def test_keyring_errors_and_fail_backend_are_ignored(backend: type[KeyringBackend]) -> None:
    keyring.set_keyring(backend())
    assert get_password("prod", "auditor", env=NO_ENV, prompt=lambda _: "typed",
                        interactive=True) == "typed"


def test_non_interactive_without_password_says_how_to_give_one() -> None:
    with pytest.raises(SettingsError) as caught:
        get_password("prod", "auditor", env=NO_ENV, prompt=never_prompt, interactive=False)
    assert "SPSTUI_PASSWORD" in str(caught.value) and "keyring" in str(caught.value)


def test_store_and_forget_go_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store_password("prod", "auditor", SECRET)
    assert memory_keyring.entries == {("spstui", "prod:auditor"): SECRET}
    assert get_password("prod", "auditor", env=NO_ENV, prompt=never_prompt,
                        interactive=False) == SECRET
    assert forget_password("prod", "auditor") is True
    assert memory_keyring.entries == {}
    assert forget_password("prod", "auditor") is False


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
@pytest.mark.parametrize("action", [lambda: store_password("prod", "auditor", SECRET),
                                    lambda: forget_password("prod", "auditor")])
def test_no_keyring_backend_is_a_clear_error(backend: type[KeyringBackend],
                                             action: Callable[[], object]) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(SettingsError, match="No system keyring") as caught:
        action()
    assert "SPSTUI_PASSWORD" in str(caught.value)


def test_keyring_refusal_never_echoes_the_password() -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(SettingsError, match="refused") as caught:
        store_password("prod", "auditor", SECRET)
    # Not in the message, nor in a traceback (the backend's error quoted it).
    assert SECRET not in "".join(traceback.format_exception(caught.value))


# -- architecture --------------------------------------------------------------------------


def test_settings_never_import_the_ui_or_the_simulator() -> None:
    package = Path(__file__).resolve().parent.parent / "spstui" / "settings"
    imported: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
    assert imported, "no source found"
    bad = {m for m in imported if m.split(".")[0] == "textual" or m.startswith("spstui.simulator")}
    assert not bad


def test_interactive_defaults_to_whether_stdin_is_a_terminal_now(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    assert get_password("prod", "auditor", env=NO_ENV, prompt=lambda _: "typed") == "typed"
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(SettingsError, match="no terminal"):
        get_password("prod", "auditor", env=NO_ENV, prompt=never_prompt)
