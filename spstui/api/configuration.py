"""Changing appliance configuration through SPS transactions.

`change()` reads an object, applies the user's edits, validates the result
with the models before anything is sent, shows the difference for
confirmation, then opens a transaction, PUTs and commits. Any error or
cancellation after the transaction opened rolls it back, so none is ever
left open (an open transaction locks the configuration for everyone else).
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from spstui.api.client import SpsClient
from spstui.api.errors import SpsError

VNC_OPTIONS = "/api/configuration/vnc/options"
INDEXER = "/api/configuration/local_services/indexer"
OBJECTS = {"vnc": VNC_OPTIONS, "indexer": INDEXER}
TRANSACTION = "/api/transaction"


class ConfigError(ValueError):
    """An edit that does not make a valid configuration; the message names the field."""


# -- models (validation before sending) ---------------------------------------------------

class _Strict(BaseModel):
    # Unknown keys are kept (newer releases add options) but known ones are checked.
    model_config = ConfigDict(extra="allow", strict=True)


class _Cleanup(_Strict):
    enabled: bool
    channel_database_cleanup_days: int | None = Field(None, ge=1)


class _Oid(_Strict):
    enabled: bool
    policy_oid: str | None = Field(None, pattern=r"^[0-2](\.\d+)+$")


class _Timestamping(_Strict):
    selection: Literal["local", "remote"]
    signing_interval: int = Field(ge=1)
    server_url: str | None = None
    oid: _Oid | None = None


class _Audit(_Strict):
    cleanup: _Cleanup
    timestamping: _Timestamping


class _Service(_Strict):
    enabled: bool
    log_level: int = Field(ge=0, le=10)


class VncOptions(_Strict):
    audit: _Audit
    service: _Service

    def check(self) -> None:
        ts = self.audit.timestamping
        if self.audit.cleanup.enabled and self.audit.cleanup.channel_database_cleanup_days is None:
            raise ConfigError("audit.cleanup.channel_database_cleanup_days: required when "
                              "cleanup is enabled")
        if ts.selection == "remote":
            if not ts.server_url:
                raise ConfigError("audit.timestamping.server_url: required for remote "
                                  "timestamping")
            if not ts.server_url.startswith("http://"):
                raise ConfigError("audit.timestamping.server_url: must be an http:// URL "
                                  "(HTTPS and passwords are not supported)")
            if ts.oid is None:
                raise ConfigError("audit.timestamping.oid: required for remote timestamping")
        if ts.oid is not None and ts.oid.enabled and not ts.oid.policy_oid:
            raise ConfigError("audit.timestamping.oid.policy_oid: required when oid is enabled")


class _AccessRestriction(_Strict):
    enabled: bool
    allowed_from: list[str] = []

    @field_validator("allowed_from")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.IPv4Network(value, strict=True)
            except ValueError as err:
                raise ValueError(f"'{value}' is not an IPv4-address/prefix network ({err})") \
                    from None
        return values


class _RemoteAccess(_Strict):
    enabled: bool
    access_restriction: _AccessRestriction | None = None


class IndexerConfig(_Strict):
    number_of_workers: int = Field(ge=1)
    number_of_near_realtime_workers: int | None = Field(None, ge=0)
    remote_access: _RemoteAccess
    selection: Literal["integrated"]
    decryption_keys: list[Any] = []

    def check(self) -> None:
        return None


MODELS: dict[str, type[VncOptions] | type[IndexerConfig]] = {
    VNC_OPTIONS: VncOptions, INDEXER: IndexerConfig}


def validate(path: str, body: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the first bad field."""
    model = MODELS[path]
    try:
        parsed = model.model_validate(dict(body))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {first['msg']}") from None
    parsed.check()


# -- edits and differences ----------------------------------------------------------------

def parse_value(text: str) -> Any:
    """KEY=VALUE values: JSON when it parses (numbers, true/false, null, lists), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def set_dotted(body: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` (or `list.0.key`) in a nested body, creating objects as needed."""
    if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", dotted):
        raise ConfigError(f"'{dotted}' is not a dotted key such as remote_access.enabled")
    node: Any = body
    parts = dotted.split(".")
    try:
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
                continue
            node = node.setdefault(part, {})
            if not isinstance(node, dict | list):
                raise ConfigError(f"{dotted}: '{part}' holds a value, not an object")
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    except (ValueError, IndexError):
        raise ConfigError(f"{dotted}: a list position must be a number within the list") \
            from None


@dataclass(frozen=True)
class Change:
    path: str  # dotted
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.path}: {json.dumps(self.old)} -> {json.dumps(self.new)}"


_MISSING = object()


def diff(old: Any, new: Any, prefix: str = "") -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new)):
            where = f"{prefix}.{key}" if prefix else str(key)
            a, b = old.get(key, _MISSING), new.get(key, _MISSING)
            if a is _MISSING:
                changes.append(Change(where, None, b))
            elif b is _MISSING:
                changes.append(Change(where, a, None))
            else:
                changes.extend(diff(a, b, where))
        return changes
    return [] if old == new else [Change(prefix, old, new)]


def collapse_references(value: Any) -> Any:
    """GET shows references as {"key", "meta"}; PUT takes the bare key."""
    if isinstance(value, dict):
        if set(value) == {"key", "meta"}:
            return value["key"]
        return {k: collapse_references(v) for k, v in value.items()}
    if isinstance(value, list):
        return [collapse_references(v) for v in value]
    return value


# -- transactions -----------------------------------------------------------------------

class Transaction:
    def __init__(self, client: SpsClient) -> None:
        self.client = client
        self.committed = False

    async def put(self, path: str, body: Mapping[str, Any]) -> None:
        await self.client.request("PUT", path, json=dict(body))

    async def commit(self, message: str | None = None) -> None:
        payload: dict[str, Any] = {"status": "commit"}
        if message:
            payload["message"] = message
        await self.client.request("PUT", TRANSACTION, json=payload)
        self.committed = True


@asynccontextmanager
async def transaction(client: SpsClient) -> AsyncIterator[Transaction]:
    """Open a transaction; roll it back unless it was committed, whatever happens."""
    await client.request("POST", TRANSACTION)
    tx = Transaction(client)
    try:
        yield tx
    except BaseException:
        # Roll back on any error or cancellation (a failed commit included); a failing
        # rollback must not hide why we are rolling back.
        with contextlib.suppress(SpsError):
            await client.request("DELETE", TRANSACTION)
        raise
    if not tx.committed:
        await client.request("DELETE", TRANSACTION)


async def read(client: SpsClient, path: str) -> dict[str, Any]:
    doc = await client.get_json(path)
    body = doc.get("body") if isinstance(doc, dict) else None
    if not isinstance(body, dict):
        raise ConfigError(f"{path} answered without a configuration body")
    return body


Confirm = Callable[[list[Change]], bool | Awaitable[bool]]


async def change(client: SpsClient, path: str, edit: Callable[[dict[str, Any]], None],
                 confirm: Confirm | None = None, message: str | None = None) -> list[Change]:
    """Read, edit, validate, confirm, then PUT and commit in one transaction.

    Returns the changes made ([] when there was nothing to change or the user
    declined: nothing is sent then).
    """
    current = await read(client, path)
    updated = copy.deepcopy(current)
    edit(updated)
    body = collapse_references(updated)
    validate(path, body)
    changes = diff(current, updated)
    if not changes:
        return []
    if confirm is not None:
        answer = confirm(changes)
        if not isinstance(answer, bool):
            answer = await answer
        if not answer:
            return []
    async with transaction(client) as tx:
        # The diff was shown against what we read before the transaction: make sure
        # nobody changed it meanwhile, or we would silently undo their change.
        if await read(client, path) != current:
            raise ConfigError(f"{path} was changed by someone else meanwhile; nothing was "
                              "saved. Run the change again to see the new values.")
        await tx.put(path, body)
        await tx.commit(message)
    return changes
