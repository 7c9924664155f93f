"""Configuration objects of the simulated SPS and the transaction that changes them.

Serves two configuration objects, in the shapes of the SPS REST API reference:

* ``/api/configuration/vnc/options`` (global VNC options), and
* ``/api/configuration/local_services/indexer`` (the indexer service),

plus the transaction endpoints (``/api/transaction`` and
``/api/transaction/changes``). Everything here is plain, synchronous Python:
the HTTP layer maps each endpoint onto one method and turns an
:class:`~spstui.simulator.errors.ApiError` into an error response.

The model follows the appliance: one transaction per appliance at a time. A
login (REST session) opens it with ``POST /api/transaction``, which locks the
configuration for every other login; its PUTs change only the transaction's
pending copy, which only that login sees in GET; committing applies all
pending changes at once, rolling back discards them. A transaction whose owner
stays idle for ``transaction_ttl`` seconds, or whose login ends, is rolled back.

Internally references (certificates, keys, interface addresses) are stored as
bare ids; GET shows them expanded as ``{"key": id, "meta": {"href": ...}}``.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

from spstui.simulator.errors import ApiError

VNC_OPTIONS_PATH = "/api/configuration/vnc/options"
INDEXER_PATH = "/api/configuration/local_services/indexer"
CONFIG_PATHS = (VNC_OPTIONS_PATH, INDEXER_PATH)
TRANSACTION_PATH = "/api/transaction"
TRANSACTION_CHANGES_PATH = "/api/transaction/changes"

#: Every error code this module raises, with its HTTP status and meaning.
ERROR_CODES: dict[str, str] = {
    "NotFound": "404: the path is not a configuration object the simulator serves",
    "NoTransaction": "400: PUT or commit from a login without an open transaction of its own",
    "TransactionLocked": "409: another login's open transaction locks the configuration",
    "InvalidBody": "400: the body is not a JSON object, or is the GET answer's {body: ...} wrapper",
    "UnknownField": "400: a key the object does not have (or its current selection does not allow)",
    "MissingField": "400: a required key is absent",
    "InvalidType": "400: a value of the wrong JSON type (a bool is no int, an int is no bool)",
    "InvalidValue": "400: a value of the right type that is out of range or malformed",
}

_KEYS = {VNC_OPTIONS_PATH: "options", INDEXER_PATH: "indexer"}
_PARENTS = {
    VNC_OPTIONS_PATH: "/api/configuration/vnc",
    INDEXER_PATH: "/api/configuration/local_services",
}
# The meta objects of the reference pages' sample GET answers.
_GET_META: dict[str, dict[str, Any]] = {
    VNC_OPTIONS_PATH: {
        "first": "/api/configuration/vnc/channel_policies",
        "href": VNC_OPTIONS_PATH,
        "last": VNC_OPTIONS_PATH,
        "next": None,
        "parent": "/api/configuration/vnc",
        "previous": "/api/configuration/vnc/channel_policies",
        "transaction": TRANSACTION_PATH,
    },
    INDEXER_PATH: {
        "first": "/api/configuration/local_services/admin_web",
        "href": INDEXER_PATH,
        "last": "/api/configuration/local_services/user_web",
        "next": "/api/configuration/local_services/postgresql",
        "parent": "/api/configuration/local_services",
        "previous": "/api/configuration/local_services/admin_web",
        "remaining_seconds": 599,
        "transaction": TRANSACTION_PATH,
    },
}

# Initial committed values, in the internal form (references as bare ids).
_INITIAL: dict[str, dict[str, Any]] = {
    # The first sample of the VNC page.
    VNC_OPTIONS_PATH: {
        "audit": {
            "cleanup": {"enabled": False},
            "timestamping": {"selection": "local", "signing_interval": 30},
        },
        "service": {"enabled": True, "log_level": 4},
    },
    # The first indexer sample (external indexers disabled), on a two-core appliance.
    INDEXER_PATH: {
        "decryption_keys": ["e38d47bd-5374-4d7c-b683-e26ea77142e2"],
        "number_of_near_realtime_workers": 0,
        "number_of_workers": 2,
        "remote_access": {"enabled": False},
        "selection": "integrated",
    },
}

# A reference to a configured certificate or key: an id, usually a UUID.
_ID_REFERENCE = re.compile(r"[^\s/#?.]+(?:\.[^\s/#?.]+)*")
# A reference to an interface address: nic1.interfaces.<interface id>.addresses.<n>
_ADDRESS_REFERENCE = re.compile(r"[^\s/#?.]+\.interfaces\.[^\s/#?.]+\.addresses\.[^\s/#?.]+")
# A dotted-number object identifier, such as 1.2.3.
_OID = re.compile(r"[0-2](?:\.(?:0|[1-9][0-9]*))+")


# --------------------------------------------------------------------------- validation


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _field_name(field: str) -> str:
    return field or "the body"


def _invalid_type(field: str, value: object, expected: str) -> NoReturn:
    raise ApiError(
        400,
        "InvalidType",
        f"{_field_name(field)} must be {expected}, not {_json_type(value)}",
        {"field": field, "expected": expected, "got": _json_type(value)},
    )


def _invalid_value(field: str, value: object, reason: str) -> NoReturn:
    raise ApiError(
        400,
        "InvalidValue",
        f"Invalid value for {field}: {reason}",
        {"field": field, "value": value, "reason": reason},
    )


def _missing(field: str, why: str = "") -> NoReturn:
    raise ApiError(
        400,
        "MissingField",
        f"Missing required field {field}{' (' + why + ')' if why else ''}",
        {"field": field},
    )


def _unknown(field: str, allowed: Iterable[str], why: str = "") -> NoReturn:
    allowed_sorted = sorted(allowed)
    reason = why or "allowed fields here: " + (", ".join(allowed_sorted) or "none")
    raise ApiError(
        400,
        "UnknownField",
        f"Unknown field {field} ({reason})",
        {"field": field, "allowed": allowed_sorted},
    )


def _object(
    value: object, field: str, required: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, Any]:
    """Check that value is an object with exactly the allowed keys and every required one."""
    if not isinstance(value, dict):
        _invalid_type(field, value, "an object")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            _unknown(_join(field, str(key)), allowed)
    for key in required:
        if key not in value:
            _missing(_join(field, key))
    return value


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        _invalid_type(field, value, "a boolean")
    return value


def _int(value: object, field: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _invalid_type(field, value, "an integer")
    if minimum is not None and value < minimum:
        if maximum is None:
            _invalid_value(field, value, f"must be at least {minimum}")
        _invalid_value(field, value, f"must be between {minimum} and {maximum}")
    if maximum is not None and value > maximum:
        _invalid_value(field, value, f"must be between {minimum} and {maximum}")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str):
        _invalid_type(field, value, "a string")
    return value


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        _invalid_type(field, value, "a list")
    return value


def _reference(value: object, field: str, pattern: re.Pattern[str]) -> str:
    """A reference, as a bare id string (PUT form) or {"key": id, "meta": {...}} (GET form)."""
    if isinstance(value, dict):
        _object(value, field, ("key",), ("meta",))
        if "meta" in value:
            meta = _object(value["meta"], f"{field}.meta", (), ("href",))
            if "href" in meta:
                _str(meta["href"], f"{field}.meta.href")
        key_field = f"{field}.key"
        key = _str(value["key"], key_field)
    elif isinstance(value, str):
        key_field, key = field, value
    else:
        _invalid_type(field, value, 'a reference (an id string or {"key": id})')
    if not pattern.fullmatch(key):
        if pattern is _ADDRESS_REFERENCE:
            _invalid_value(
                key_field,
                key,
                "must reference an interface address as nic<N>.interfaces.<id>.addresses.<n>",
            )
        _invalid_value(key_field, key, "must be the id of a configured object")
    return key


def _check_bare_body(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "InvalidBody",
            f"The request body must be a JSON object, not {_json_type(body)}",
            {"expected": "object", "got": _json_type(body)},
        )
    if "body" in body:
        raise ApiError(
            400,
            "InvalidBody",
            'PUT the bare configuration object (the value of "body" in the GET answer), '
            'not the {"body": ..., "key": ..., "meta": ...} wrapper',
            {"field": "body"},
        )
    return body


def _validate_server_url(value: object, field: str) -> str:
    url = _str(value, field)
    if any(ch.isspace() for ch in url):
        _invalid_value(field, url, "must be an http:// URL without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        _invalid_value(field, url, f"not a valid URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme == "https":
        _invalid_value(field, url, "HTTPS timestamping servers are not supported; use http://")
    if scheme != "http":
        _invalid_value(field, url, "must be an http:// URL of the timestamping server")
    if "@" in parts.netloc:
        _invalid_value(
            field, url, "password-protected timestamping servers (user:password@) are not supported"
        )
    if not parts.hostname:
        _invalid_value(field, url, "must name the timestamping server's host")
    if port is not None and port == 0:
        _invalid_value(field, url, "port must be between 1 and 65535")
    return url


def _validate_oid(value: object, field: str) -> dict[str, Any]:
    oid = _object(value, field, ("enabled",), ("policy_oid",))
    enabled = _bool(oid["enabled"], f"{field}.enabled")
    out: dict[str, Any] = {"enabled": enabled}
    policy_field = f"{field}.policy_oid"
    if "policy_oid" in oid:
        policy = _str(oid["policy_oid"], policy_field)
        if not _OID.fullmatch(policy):
            _invalid_value(
                policy_field, policy, "must be a dotted-number object identifier such as 1.2.3"
            )
        out["policy_oid"] = policy
    elif enabled:
        _missing(policy_field, f"required when {field}.enabled is true")
    return out


def _validate_vnc_options(value: object) -> dict[str, Any]:
    body = _object(_check_bare_body(value), "", ("audit", "service"))

    service = _object(body["service"], "service", ("enabled", "log_level"))
    out_service = {
        "enabled": _bool(service["enabled"], "service.enabled"),
        "log_level": _int(service["log_level"], "service.log_level", 0, 10),
    }

    audit = _object(body["audit"], "audit", ("cleanup", "timestamping"))
    cleanup = _object(
        audit["cleanup"], "audit.cleanup", ("enabled",), ("channel_database_cleanup_days",)
    )
    cleanup_enabled = _bool(cleanup["enabled"], "audit.cleanup.enabled")
    out_cleanup: dict[str, Any] = {"enabled": cleanup_enabled}
    days_field = "audit.cleanup.channel_database_cleanup_days"
    if "channel_database_cleanup_days" in cleanup:
        out_cleanup["channel_database_cleanup_days"] = _int(
            cleanup["channel_database_cleanup_days"], days_field, 1
        )
    elif cleanup_enabled:
        _missing(days_field, "required when audit.cleanup.enabled is true")

    ts_field = "audit.timestamping"
    ts = _object(
        audit["timestamping"], ts_field, ("selection", "signing_interval"), ("oid", "server_url")
    )
    selection = _str(ts["selection"], f"{ts_field}.selection")
    if selection not in ("local", "remote"):
        _invalid_value(f"{ts_field}.selection", selection, "must be 'local' or 'remote'")
    out_ts: dict[str, Any] = {"selection": selection}
    if selection == "local":
        for key in ("oid", "server_url"):
            if key in ts:
                _unknown(
                    f"{ts_field}.{key}",
                    ("selection", "signing_interval"),
                    f"only allowed when {ts_field}.selection is 'remote'",
                )
    else:
        for key in ("server_url", "oid"):
            if key not in ts:
                _missing(f"{ts_field}.{key}", f"required when {ts_field}.selection is 'remote'")
        out_ts["server_url"] = _validate_server_url(ts["server_url"], f"{ts_field}.server_url")
        out_ts["oid"] = _validate_oid(ts["oid"], f"{ts_field}.oid")
    out_ts["signing_interval"] = _int(ts["signing_interval"], f"{ts_field}.signing_interval", 1)

    return {
        "audit": {"cleanup": out_cleanup, "timestamping": out_ts},
        "service": out_service,
    }


def _validate_allowed_from(value: object, field: str, restricted: bool) -> list[str]:
    networks = _list(value, field)
    out: list[str] = []
    for index, item in enumerate(networks):
        item_field = f"{field}[{index}]"
        text = _str(item, item_field)
        if "/" not in text:
            _invalid_value(
                item_field, text, "must be an IPv4-Address/prefix network, e.g. 10.40.0.0/16"
            )
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            _invalid_value(item_field, text, f"not an IPv4-Address/prefix network ({exc})")
        if network.version != 4:
            _invalid_value(item_field, text, "must be an IPv4 network (IPv4-Address/prefix)")
        out.append(text)
    if restricted and not out:
        _invalid_value(
            field, networks, "must list at least one network when access restriction is enabled"
        )
    return out


def _validate_remote_access(value: object, field: str) -> dict[str, Any]:
    ra = _object(value, field, ("enabled",), ("access_restriction", "listen", "ssl_config"))
    enabled = _bool(ra["enabled"], f"{field}.enabled")
    out: dict[str, Any] = {"enabled": enabled}
    if enabled:
        for key in ("access_restriction", "listen", "ssl_config"):
            if key not in ra:
                _missing(f"{field}.{key}", f"required when {field}.enabled is true")

    if "access_restriction" in ra:
        ar_field = f"{field}.access_restriction"
        ar = _object(ra["access_restriction"], ar_field, ("enabled",), ("allowed_from",))
        restricted = _bool(ar["enabled"], f"{ar_field}.enabled")
        out_ar: dict[str, Any] = {"enabled": restricted}
        if "allowed_from" in ar:
            out_ar["allowed_from"] = _validate_allowed_from(
                ar["allowed_from"], f"{ar_field}.allowed_from", restricted
            )
        elif restricted:
            _missing(f"{ar_field}.allowed_from", f"required when {ar_field}.enabled is true")
        out["access_restriction"] = out_ar

    if "listen" in ra:
        listen_field = f"{field}.listen"
        listen = _list(ra["listen"], listen_field)
        out_listen: list[dict[str, Any]] = []
        for index, item in enumerate(listen):
            item_field = f"{listen_field}[{index}]"
            entry = _object(item, item_field, ("address", "port"))
            out_listen.append(
                {
                    "address": _reference(
                        entry["address"], f"{item_field}.address", _ADDRESS_REFERENCE
                    ),
                    "port": _int(entry["port"], f"{item_field}.port", 1, 65535),
                }
            )
        if enabled and not out_listen:
            _invalid_value(
                listen_field, listen, f"must list at least one address when {field}.enabled is true"
            )
        out["listen"] = out_listen

    if "ssl_config" in ra:
        ssl_field = f"{field}.ssl_config"
        ssl = _object(ra["ssl_config"], ssl_field, ("ca", "service", "worker"))
        out["ssl_config"] = {
            key: _reference(ssl[key], f"{ssl_field}.{key}", _ID_REFERENCE)
            for key in ("ca", "service", "worker")
        }
    return out


def _validate_indexer(value: object) -> dict[str, Any]:
    body = _object(
        _check_bare_body(value),
        "",
        ("decryption_keys", "number_of_workers", "remote_access", "selection"),
        ("number_of_near_realtime_workers",),
    )
    selection = _str(body["selection"], "selection")
    if selection != "integrated":
        _invalid_value("selection", selection, "must be 'integrated'")
    keys = _list(body["decryption_keys"], "decryption_keys")
    decryption_keys = [
        _reference(item, f"decryption_keys[{index}]", _ID_REFERENCE)
        for index, item in enumerate(keys)
    ]
    workers = _int(body["number_of_workers"], "number_of_workers", 1)
    near_realtime = 0
    if "number_of_near_realtime_workers" in body:
        near_realtime = _int(
            body["number_of_near_realtime_workers"], "number_of_near_realtime_workers", 0
        )
    return {
        "decryption_keys": decryption_keys,
        "number_of_near_realtime_workers": near_realtime,
        "number_of_workers": workers,
        "remote_access": _validate_remote_access(body["remote_access"], "remote_access"),
        "selection": selection,
    }


_VALIDATORS: dict[str, Callable[[object], dict[str, Any]]] = {
    VNC_OPTIONS_PATH: _validate_vnc_options,
    INDEXER_PATH: _validate_indexer,
}


# --------------------------------------------------------------------------- rendering


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def _x509_reference(key: str) -> dict[str, Any]:
    return {"key": key, "meta": {"href": f"/api/configuration/x509/{key}"}}


def _address_reference(key: str) -> dict[str, Any]:
    nic, rest = key.split(".", 1)
    href = f"/api/configuration/network/nics/{nic}#{rest.replace('.', '/')}"
    return {"key": key, "meta": {"href": href}}


def _render(path: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The GET form of a stored body: a fresh copy with references expanded."""
    body = copy.deepcopy(stored)
    if path == INDEXER_PATH:
        body["decryption_keys"] = [_x509_reference(key) for key in body["decryption_keys"]]
        remote = body["remote_access"]
        for entry in remote.get("listen", []):
            entry["address"] = _address_reference(entry["address"])
        if "ssl_config" in remote:
            remote["ssl_config"] = {
                name: _x509_reference(key) for name, key in remote["ssl_config"].items()
            }
    rendered: dict[str, Any] = _sorted_keys(body)
    return rendered


# --------------------------------------------------------------------------- the store


@dataclass
class _Transaction:
    owner: str
    pending: dict[str, dict[str, Any]]
    touched: float


def _uses_legacy_transaction_shape(compat: str) -> bool:
    try:
        major = int(str(compat).split(".", 1)[0])
    except ValueError:
        raise ValueError(
            f"compat must be a release such as '8.0' or '6.0', not {compat!r}"
        ) from None
    return major < 7


class ConfigStore:
    """The configuration objects and the appliance-wide transaction (lock) on them.

    ``login`` arguments are opaque ids of REST login sessions (the session_id cookie).
    Every public method first rolls back a transaction that has expired.
    """

    def __init__(
        self,
        compat: str = "8.0",
        now: Callable[[], float] = time.time,
        transaction_ttl: float = 1200.0,
    ) -> None:
        self._legacy_shape = _uses_legacy_transaction_shape(compat)
        self._now = now
        self._ttl = float(transaction_ttl)
        self._committed: dict[str, dict[str, Any]] = copy.deepcopy(_INITIAL)
        self._txn: _Transaction | None = None
        # The commit message of each login's last committed transaction.
        self._commit_messages: dict[str, str | None] = {}

    # ------------------------------------------------------------------ internals

    def _expire(self) -> None:
        txn = self._txn
        if txn is not None and self._now() - txn.touched >= self._ttl:
            self._txn = None

    def _own_transaction(self, login: str) -> _Transaction | None:
        """The login's open transaction (marked as touched now), if it has one."""
        txn = self._txn
        if txn is None or txn.owner != login:
            return None
        txn.touched = self._now()
        return txn

    def _lock_details(self) -> dict[str, Any]:
        txn = self._txn
        if txn is None:
            return {}
        return {"lock_expires_in_seconds": max(0.0, self._ttl - (self._now() - txn.touched))}

    def _no_transaction(self, what: str) -> NoReturn:
        message = f"{what} needs an open transaction: POST /api/transaction first"
        if self._txn is not None:
            message += " (the configuration is currently locked by another session)"
        raise ApiError(400, "NoTransaction", message, {"transaction": TRANSACTION_PATH})

    @staticmethod
    def _resolve(path: str) -> str:
        resolved = path.rstrip("/") or path
        if resolved not in CONFIG_PATHS:
            raise ApiError(
                404, "NotFound", f"The requested object does not exist: {path}", {"path": path}
            )
        return resolved

    def _transaction_answer(self, login: str) -> dict[str, Any]:
        is_open = self._txn is not None and self._txn.owner == login
        status = "open" if is_open else "closed"
        if self._legacy_shape:
            return {
                "key": "transaction",
                "meta": {"href": TRANSACTION_PATH, "parent": "/api"},
                "transaction": {"status": status},
            }
        return {
            "body": {
                "commit_message": None if is_open else self._commit_messages.get(login),
                "status": status,
            },
            "key": "transaction",
            "meta": {
                "changes": TRANSACTION_CHANGES_PATH,
                "href": TRANSACTION_PATH,
                "parent": "/api",
            },
        }

    # ------------------------------------------------------------------ configuration objects

    def get(self, path: str, login: str) -> dict[str, Any]:
        """GET a configuration object; the transaction owner sees its pending values."""
        self._expire()
        path = self._resolve(path)
        txn = self._own_transaction(login)
        source = txn.pending if txn is not None else self._committed
        return {
            "body": _render(path, source[path]),
            "key": _KEYS[path],
            "meta": dict(_GET_META[path]),
        }

    def put(self, path: str, body: object, login: str) -> dict[str, Any]:
        """PUT a bare body into the login's open transaction (validated, not yet committed)."""
        self._expire()
        path = self._resolve(path)
        txn = self._own_transaction(login)
        if txn is None:
            self._no_transaction(f"PUT {path}")
        txn.pending[path] = _VALIDATORS[path](body)
        return {
            "key": _KEYS[path],
            "meta": {"href": path, "parent": _PARENTS[path], "transaction": TRANSACTION_PATH},
        }

    def committed(self, path: str) -> dict[str, Any]:
        """A copy of the committed body of path, in GET form (for tests)."""
        self._expire()
        path = self._resolve(path)
        return _render(path, self._committed[path])

    # ------------------------------------------------------------------ transactions

    def open_transaction(self, login: str) -> dict[str, Any]:
        """POST /api/transaction: open (or keep) this login's transaction."""
        self._expire()
        if self._own_transaction(login) is None:
            if self._txn is not None:
                raise ApiError(
                    409,
                    "TransactionLocked",
                    "The configuration is locked by another session's open transaction; "
                    "try again after it is committed, rolled back or expires",
                    self._lock_details(),
                )
            self._txn = _Transaction(login, copy.deepcopy(self._committed), self._now())
            self._commit_messages.pop(login, None)
        return self._transaction_answer(login)

    def transaction(self, login: str) -> dict[str, Any]:
        """GET /api/transaction: this login's transaction status."""
        self._expire()
        self._own_transaction(login)
        return self._transaction_answer(login)

    def commit(self, login: str, request_body: object) -> dict[str, Any]:
        """PUT /api/transaction with {"status": "commit"} (and optionally "message")."""
        self._expire()
        request = _object(_check_bare_body(request_body), "", ("status",), ("message",))
        status = _str(request["status"], "status")
        if status != "commit":
            _invalid_value(
                "status", status, "must be 'commit' (roll back with DELETE /api/transaction)"
            )
        message = request.get("message")
        if message is not None:
            message = _str(message, "message")
        txn = self._own_transaction(login)
        if txn is None:
            self._no_transaction("Commit")
        self._committed = txn.pending
        self._txn = None
        self._commit_messages[login] = message
        return self._transaction_answer(login)

    def rollback(self, login: str) -> dict[str, Any]:
        """DELETE /api/transaction: discard this login's pending changes (harmless if none)."""
        self._expire()
        if self._own_transaction(login) is not None:
            self._txn = None
            self._commit_messages.pop(login, None)
        return self._transaction_answer(login)

    def changes(self, login: str) -> dict[str, Any]:
        """GET /api/transaction/changes: objects whose pending value differs from committed."""
        self._expire()
        txn = self._own_transaction(login)
        changes: list[dict[str, Any]] = []
        if txn is not None:
            for path in CONFIG_PATHS:
                if txn.pending[path] != self._committed[path]:
                    changes.append(
                        {
                            "new_value": _render(path, txn.pending[path]),
                            "old_value": _render(path, self._committed[path]),
                            "path": path,
                            "type": "replace",
                        }
                    )
        return {
            "changes": changes,
            "meta": {"href": TRANSACTION_CHANGES_PATH, "parent": TRANSACTION_PATH},
        }

    def end_login(self, login: str) -> None:
        """The login session expired or logged out: roll back its transaction, forget it."""
        self._expire()
        if self._txn is not None and self._txn.owner == login:
            self._txn = None
        self._commit_messages.pop(login, None)
