"""The appliance configuration forms of the settings screen, without the widgets.

Each documented field of the VNC options and of the indexer is described by a
`FieldSpec`: where it sits in the body, how it is shown (a switch, a choice or
text) and how text typed into it turns back into a JSON value. The functions
here rebuild the body from what the form holds and validate it with the API
layer's models, so the screen only moves values in and out of widgets.

Only fields the user changed are written into the body: an untouched field
keeps exactly what the appliance sent, so the diff never shows noise.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from spstui.api.configuration import (
    INDEXER,
    MODELS,
    VNC_OPTIONS,
    Change,
    ConfigError,
    collapse_references,
    diff,
    set_dotted,
)

Kind = Literal["bool", "int", "text", "choice", "list", "refs", "listen"]
FormValue = str | bool

REMOTE = ("audit.timestamping.selection", "remote")


@dataclass(frozen=True)
class FieldSpec:
    key: str  # dotted path inside the object's body
    label: str
    kind: Kind
    help: str
    choices: tuple[str, ...] = ()
    optional: bool = False  # an empty entry leaves the key out of the body
    # (dotted key, value): the field only means something while that key holds that value
    only_when: tuple[str, str] | None = None


@dataclass(frozen=True)
class ObjectForm:
    name: str  # "indexer" or "vnc": also the prefix of the widget ids
    title: str
    path: str
    fields: tuple[FieldSpec, ...]


INDEXER_FORM = ObjectForm("indexer", "Indexer", INDEXER, (
    FieldSpec("number_of_workers", "Number of workers", "int",
              "Maximum number of parallel indexing tasks (at least 1). Each needs 50-100 MB "
              "of memory for terminal sessions, 150-300 MB for graphical ones."),
    FieldSpec("number_of_near_realtime_workers", "Near-realtime workers", "int",
              "Indexer workers that index sessions in near real time (0 or more; "
              "empty leaves it out).", optional=True),
    FieldSpec("selection", "Selection", "choice",
              "Which indexer is used; the appliance accepts only 'integrated'.",
              choices=("integrated",)),
    FieldSpec("decryption_keys", "Decryption keys", "refs",
              "Ids of the uploaded private keys used to index encrypted audit trails, "
              "separated by commas."),
    FieldSpec("remote_access.enabled", "Remote access (external indexers)", "bool",
              "Let external indexer hosts fetch audit trails and upload their indexes. "
              "When off, the appliance ignores the other remote access options."),
    FieldSpec("remote_access.access_restriction.enabled", "Restrict access", "bool",
              "Accept external indexers only from the networks listed below."),
    FieldSpec("remote_access.access_restriction.allowed_from", "Allowed networks", "list",
              "IPv4 networks (address/prefix, e.g. 10.40.0.0/16) separated by commas."),
    FieldSpec("remote_access.listen", "Listen on", "listen",
              "Where external indexers connect: interface-address-reference:port, e.g. "
              "nic1.interfaces.<id>.addresses.1:12345; several separated by commas."),
    FieldSpec("remote_access.ssl_config.ca", "TLS CA certificate", "text",
              "Id of the CA certificate that signs the indexer certificates.",
              optional=True),
    FieldSpec("remote_access.ssl_config.service", "TLS service certificate", "text",
              "Id of the certificate the appliance shows to external indexers.",
              optional=True),
    FieldSpec("remote_access.ssl_config.worker", "TLS worker certificate", "text",
              "Id of the certificate external indexers must show.", optional=True),
))

VNC_FORM = ObjectForm("vnc", "VNC options", VNC_OPTIONS, (
    FieldSpec("service.enabled", "VNC connections enabled", "bool",
              "Enable VNC connections on the appliance."),
    FieldSpec("service.log_level", "Log level", "int",
              "Logging detail of VNC connections (0-10)."),
    FieldSpec("audit.cleanup.enabled", "Metadata cleanup", "bool",
              "Delete the metadata of old VNC connections (global retention)."),
    FieldSpec("audit.cleanup.channel_database_cleanup_days", "Cleanup after (days)", "int",
              "Retention of VNC connection metadata in days; required when cleanup is on, "
              "and must exceed the archiving policy's retention.", optional=True),
    FieldSpec("audit.timestamping.selection", "Timestamping", "choice",
              "local: the appliance timestamps; remote: a timestamping server does.",
              choices=("local", "remote")),
    FieldSpec("audit.timestamping.signing_interval", "Signing interval (s)", "int",
              "How often open connections are timestamped, in seconds (at least 1)."),
    FieldSpec("audit.timestamping.server_url", "Timestamping server URL", "text",
              "Remote timestamping only: an http:// URL (HTTPS and passwords are not "
              "supported).", optional=True, only_when=REMOTE),
    FieldSpec("audit.timestamping.oid.enabled", "Use a policy OID", "bool",
              "Remote timestamping only: send the OID of the timestamping policy.",
              only_when=REMOTE),
    FieldSpec("audit.timestamping.oid.policy_oid", "Policy OID", "text",
              "Remote timestamping only: the policy's object identifier, e.g. 1.2.3.4; "
              "required when the OID is used.", optional=True, only_when=REMOTE),
))

FORMS = (INDEXER_FORM, VNC_FORM)


def widget_id(form: ObjectForm, spec: FieldSpec) -> str:
    return f"{form.name}-{spec.key.replace('.', '-')}"


class FieldError(ValueError):
    """Text in a field that does not make a value; the message names the field."""


_REMOVE = object()  # parse() result: leave the key out
_WHOLE = re.compile(r"[+-]?\d+")


def get_dotted(body: Mapping[str, Any], dotted: str) -> Any:
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _reference(value: Any) -> str:
    """GET shows references as {"key": id, "meta": ...}; the form shows the id."""
    if isinstance(value, Mapping):
        return str(value.get("key", ""))
    return "" if value is None else str(value)


def display(body: Mapping[str, Any], spec: FieldSpec) -> FormValue:
    """What the form shows for a field of a body read from the appliance."""
    value = get_dotted(body, spec.key)
    if spec.kind == "bool":
        return value is True
    if spec.kind == "choice":
        return str(value) if value is not None else spec.choices[0]
    if spec.kind in ("list", "refs"):
        items = value if isinstance(value, list) else []
        return ", ".join(_reference(item) for item in items)
    if spec.kind == "listen":
        entries = value if isinstance(value, list) else []
        return ", ".join(f"{_reference(e.get('address'))}:{e.get('port')}"
                         for e in entries if isinstance(e, Mapping))
    if spec.kind == "text":
        return _reference(value)
    return "" if value is None else str(value)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse(spec: FieldSpec, raw: FormValue) -> Any:
    """The JSON value for what the field holds; raises FieldError naming the field."""
    if spec.kind in ("bool", "choice"):
        return raw
    text = str(raw).strip()
    if spec.kind in ("list", "refs"):
        return _items(text)
    if spec.kind == "listen":
        entries = []
        for item in _items(text):
            address, _, port = item.rpartition(":")
            if not address or not port.isdigit() or not 1 <= int(port) <= 65535:
                raise FieldError(f"{spec.key}: '{item}' is not address:port (port 1-65535), "
                                 "e.g. nic1.interfaces.<id>.addresses.1:12345")
            entries.append({"address": address, "port": int(port)})
        return entries
    if not text:
        if spec.optional:
            return _REMOVE
        raise FieldError(f"{spec.key}: required, enter a value")
    if spec.kind == "int":
        if not _WHOLE.fullmatch(text):
            raise FieldError(f"{spec.key}: '{text}' is not a whole number")
        return int(text)
    return text


def _remove_dotted(body: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


def applies(spec: FieldSpec, body: Mapping[str, Any]) -> bool:
    if spec.only_when is None:
        return True
    key, value = spec.only_when
    return bool(get_dotted(body, key) == value)


@dataclass
class Edited:
    body: dict[str, Any]
    problems: dict[str, str]  # field key ("" for the whole object) -> message

    @property
    def valid(self) -> bool:
        return not self.problems


def edit(form: ObjectForm, original: Mapping[str, Any],
         values: Mapping[str, FormValue]) -> Edited:
    """The body the form describes, and what is wrong with it (field key -> message)."""
    body = copy.deepcopy(dict(original))
    problems: dict[str, str] = {}
    for spec in form.fields:
        raw = values.get(spec.key, display(original, spec))
        if raw == display(original, spec) or not applies(spec, body):
            continue  # untouched (or unused): keep exactly what the appliance sent
        try:
            value = parse(spec, raw)
        except FieldError as err:
            problems[spec.key] = str(err)
            continue
        parent = spec.key.rpartition(".")[0]
        created = bool(parent) and get_dotted(original, parent) is None
        if value is _REMOVE:
            _remove_dotted(body, spec.key)
        else:
            set_dotted(body, spec.key, value)
        if created:
            _fill_switches(form, body, parent, values, original)
    _drop_inapplicable(form, original, body)
    for where, message in check(form.path, body).items():
        problems.setdefault(where, message)
    return Edited(body, problems)


def _fill_switches(form: ObjectForm, body: dict[str, Any], parent: str,
                   values: Mapping[str, FormValue], original: Mapping[str, Any]) -> None:
    """An object the edit created gets the switches the form shows for it, so a new
    `oid` has its `enabled` even when the user only typed the policy OID."""
    for spec in form.fields:
        if spec.kind == "bool" and spec.key.rpartition(".")[0] == parent \
                and get_dotted(body, spec.key) is None:
            set_dotted(body, spec.key, values.get(spec.key, display(original, spec)))


def _drop_inapplicable(form: ObjectForm, original: Mapping[str, Any],
                       body: dict[str, Any]) -> None:
    """Switching to local timestamping drops the remote-only keys (the appliance refuses
    them with local timestamping); a body that already had them keeps them."""
    for spec in form.fields:
        if spec.only_when and not applies(spec, body) and applies(spec, original):
            key = spec.key
            # Drop the whole sub-object (oid), not just its leaves.
            if spec.key.count(".") > spec.only_when[0].count("."):
                key = ".".join(spec.key.split(".")[: spec.only_when[0].count(".") + 1])
            _remove_dotted(body, key)


def check(path: str, body: Mapping[str, Any]) -> dict[str, str]:
    """Every problem the API layer's model finds (field -> message), else the first
    cross-field problem its check() reports."""
    model = MODELS[path]
    try:
        parsed = model.model_validate(collapse_references(dict(body)))
    except ValidationError as err:
        problems: dict[str, str] = {}
        for error in err.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.setdefault(where, f"{where}: {message}")
        return problems
    try:
        parsed.check()
    except ConfigError as err:
        return {str(err).partition(":")[0]: str(err)}
    return {}


def field_for(form: ObjectForm, where: str) -> FieldSpec | None:
    """The form field a problem at `where` (a dotted location) belongs to."""
    for spec in form.fields:
        if where == spec.key or where.startswith(spec.key + "."):
            return spec
    for spec in form.fields:  # a missing object (oid) belongs to its first field
        if spec.key.startswith(where + "."):
            return spec
    return None


def changes(original: Mapping[str, Any], edited: Mapping[str, Any]) -> list[Change]:
    """What saving would change, compared as the appliance stores it (references as ids)."""
    return diff(collapse_references(dict(original)), collapse_references(dict(edited)))
