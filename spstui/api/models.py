"""Pydantic models of what the appliance sends.

Tolerant by design: fields that some releases omit are optional, unknown
fields are kept (``extra="allow"``), timestamps accept ISO 8601 and epoch
values, verdicts are understood in every spelling while the raw value is kept.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from spstui.api.errors import ProtocolError
from spstui.api.timestamps import Timestamp
from spstui.api.verdicts import Verdict

INDEX_STATUSES = (
    "CHANNEL_OPEN", "NOT_INDEXED", "INDEXING_IN_PROGRESS", "INDEXED",
    "INDEXING_NOT_REQUIRED", "INDEXING_FAILED", "NO_TRAIL",
)
# Older releases report index status by number (the guide lists both).
_INDEX_BY_NUMBER = dict(enumerate(INDEX_STATUSES))


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Parse what the appliance sent; a shape this client cannot read is an
        SpsError (ProtocolError) like any other refusal, so callers that handle
        appliance errors never meet a bare pydantic error."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as err:
            problems = err.errors()
            where, why = "the answer", str(err)
            if problems:
                where = ".".join(str(p) for p in problems[0]["loc"]) or where
                why = problems[0]["msg"]
            raise ProtocolError(
                f"The appliance sent a {cls.__name__} this client cannot read: {where}: {why}",
                hint=f"{len(problems)} problem(s) in all.") from err


class Link(Model):
    href: str


class Endpoint(Model):
    ip: str | None = Field(None, validation_alias=AliasChoices("ip", "address"))
    name: str | None = None
    port: int | None = None

    @property
    def label(self) -> str:
        host = self.name or self.ip or "?"
        return f"{host}:{self.port}" if self.port is not None else host


class Archive(Model):
    date: Timestamp = None
    path: str | None = None
    policy: str | None = None
    server: str | None = None


class AuditTrail(Model):
    archive: Archive | None = None
    download: Link | None = None


class Recording(Model):
    archived: bool | None = None
    # Newer releases link the download; older ones give the trail's path on disk.
    audit_trail: AuditTrail | str | None = None
    auth_method: str | None = None
    channel_policy: str | None = None
    command_extracted: bool | None = None
    connection_policy: str | None = None
    connection_policy_id: str | None = None
    content_reference_id: int | None = None
    has_accepted_channel: bool | None = None
    index_status: str | None = None
    server_local: Endpoint | None = None
    session_id: str | None = None
    target: Endpoint | None = None
    verdict: Verdict | None = None
    window_title_extracted: bool | None = None

    @field_validator("index_status", mode="before")
    @classmethod
    def _index_status(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return _INDEX_BY_NUMBER.get(value, str(value))
        return value

    @field_validator("session_id", mode="before")
    @classmethod
    def _session_id(cls, value: object) -> object:
        return None if value is None else str(value)

    @property
    def has_trail(self) -> bool:
        return self.audit_trail is not None


class Score(Model):
    aggregated: int | None = None
    details: dict[str, Any] = {}


class Analytics(Model):
    interesting_events: list[str] = []
    scripted: bool | None = None
    scripted_results: dict[str, Any] = {}
    similar_sessions: list[Any] = []
    tags: list[str] = []
    score: Score | None = None


class User(Model):
    id: str | None = None
    name: str | None = Field(None, validation_alias=AliasChoices("name", "gateway_username"))
    server_username: str | None = None


class SessionBody(Model):
    """The full body of GET /api/audit/sessions/<key>."""

    active: bool = False
    alerts: Link | None = None
    analytics: Analytics = Field(default_factory=Analytics)
    channels: Link | None = None
    client: Endpoint | None = None
    creation_time: Timestamp = None
    duration: int | None = None
    end_time: Timestamp = None
    events: Link | None = None
    hidden: bool | None = None
    # 8.0 links the indexer part as "indexing", 6.0 as "indexer".
    indexing: Link | None = Field(None, validation_alias=AliasChoices("indexing", "indexer"))
    node_id: str | None = None
    origin: str | None = None
    phantom: bool | None = None
    protocol: str | None = None
    recording: Recording = Field(default_factory=Recording)
    revision: int | None = None
    server: Endpoint | None = None
    start_time: Timestamp = None
    trail_downloads: Link | None = None
    user: User = Field(default_factory=User)
    verdict: Verdict | None = None


class ListMeta(Model):
    """The meta object of list answers (search results and session parts)."""

    fields: list[str] = []
    first: str | None = None
    href: str | None = None
    last: str | None = None
    limit: int | None = None
    match_count: int | None = None
    next: str | None = None
    offset: int | None = None
    parent: str | None = None
    previous: str | None = None
    remaining_seconds: int | None = None
    search_after: str | None = None
    start: str | None = None
    end: str | None = None


class SessionRow(Model):
    """One search result: the key plus whichever fields were requested.

    Search bodies are flat, with dotted names ("client.address"); the guide's
    examples also use other spellings for the same field, accepted here.
    """

    key: str
    active: bool | None = None
    archived: bool | None = None
    auth_method: str | None = None
    channel_policy: str | None = None
    client_address: str | None = Field(
        None, validation_alias=AliasChoices("client.address", "client.ip"))
    client_port: int | None = Field(None, validation_alias="client.port")
    connection_policy: str | None = Field(
        None, validation_alias=AliasChoices("connection_policy", "psm.connection_policy"))
    duration: int | None = None
    end_time: Timestamp = None
    name: str | None = Field(
        None, validation_alias=AliasChoices("name", "user.gateway_username",
                                            "psm.gateway_username", "gateway_username"))
    protocol: str | None = None
    server_address: str | None = Field(
        None, validation_alias=AliasChoices("server.address", "server.ip"))
    server_port: int | None = Field(None, validation_alias="server.port")
    server_local_address: str | None = Field(
        None, validation_alias=AliasChoices("server_local.address", "psm.server_local.address"))
    server_local_port: int | None = Field(
        None, validation_alias=AliasChoices("server_local.port", "psm.server_local.port"))
    server_username: str | None = None
    session_id: str | None = Field(
        None, validation_alias=AliasChoices("session_id", "recording.session_id"))
    start_time: Timestamp = None
    target_address: str | None = Field(
        None, validation_alias=AliasChoices("target.address", "psm.target.address", "target.ip"))
    target_port: int | None = Field(None, validation_alias="target.port")
    verdict: Verdict | None = None
    index_status: str | None = None
    score: int | None = Field(None, validation_alias="analytics.score.aggregated")
    # A factory, not `[]`: a default value is deep-copied for every row that lacks it.
    interesting_events: list[str] = Field(default_factory=list,
                                          validation_alias="analytics.interesting_events")

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _flatten(cls, data: Any, handler: ModelWrapValidatorHandler[SessionRow]) -> SessionRow:
        # A list item is {"key", "meta", "body"}; lift the body's fields up, and keep the
        # body as sent so scripts can have the appliance's own names and values.
        if isinstance(data, SessionRow):
            return data  # already parsed (e.g. put into a SearchPage): keep its raw body
        raw = data
        if isinstance(data, dict) and isinstance(data.get("body"), dict):
            raw = data["body"]
            data = {**data["body"], "key": data.get("key")}
        row = handler(data)
        row._raw = dict(raw) if isinstance(raw, dict) else {}
        return row

    @property
    def raw(self) -> dict[str, Any]:
        """The result's fields exactly as the appliance sent them."""
        return {k: v for k, v in self._raw.items() if k != "key"}

    @field_validator("session_id", mode="before")
    @classmethod
    def _session_id(cls, value: object) -> object:
        return None if value is None else str(value)


class SearchPage(Model):
    items: list[SessionRow]
    meta: ListMeta


class Session(Model):
    """One session: GET /api/audit/sessions/<key>."""

    key: str
    body: SessionBody
    meta: dict[str, Any] = {}
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: ModelWrapValidatorHandler[Session]) -> Session:
        if isinstance(data, Session):
            return data
        session = handler(data)
        session._raw = dict(data) if isinstance(data, dict) else {}
        return session

    @property
    def raw_body(self) -> dict[str, Any]:
        """The body exactly as the appliance sent it (for exact JSON output)."""
        body = self._raw.get("body")
        return dict(body) if isinstance(body, dict) else self.body.model_dump(mode="json")


def _lift_body(data: Any) -> Any:
    """Part items come as {"key", "meta", "body"} (channels) or flat (events)."""
    if isinstance(data, dict) and isinstance(data.get("body"), dict):
        lifted = dict(data["body"])
        lifted.setdefault("key", data.get("key"))
        return lifted
    return data


class Channel(Model):
    key: str | None = None
    type: str | None = None
    verdict: str | None = None
    channel_id: int | None = None
    active: bool | None = None
    start_time: Timestamp = None
    end_time: Timestamp = None
    duration: int | None = None
    rule_num: str | None = None
    audit_stream_id: str | None = None
    client_x509_subject: str | None = None
    command: str | None = None
    scp_path: str | None = None
    subsystem_name: str | None = None
    originator_address: str | None = Field(
        None, validation_alias=AliasChoices("originator.address", "originator.ip"))
    originator_name: str | None = Field(None, validation_alias="originator.name")
    originator_port: int | None = Field(None, validation_alias="originator.port")
    connected_address: str | None = Field(
        None, validation_alias=AliasChoices("connected.address", "connected.ip"))
    connected_name: str | None = Field(None, validation_alias="connected.name")
    connected_port: int | None = Field(None, validation_alias="connected.port")
    dynamic_channel: str | None = None
    device_name: str | None = None
    application: str | None = None
    four_eyes_authorizer: str | None = None
    four_eyes_description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lift(cls, data: Any) -> Any:
        return _lift_body(data)

    @field_validator("key", "rule_num", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return None if value is None else str(value)


class Event(Model):
    action: str | None = None
    channels_id: int | None = None
    content: str | None = None
    record_id: int | None = None
    time: Timestamp = None
    type: str | None = None


class Alert(Model):
    alert_type: str | None = None
    channel_id: int | None = None
    matched_action: str | None = None
    matched_content: str | None = None
    matched_regexp: str | None = None
    record_id: int | None = None
    rule_name: str | None = None
    time: Timestamp = None


class IndexerStatistics(Model):
    cpu_time: int | None = None
    duration: int | None = None
    start_time: Timestamp = None


class IndexerRun(Model):
    config: dict[str, Any] = {}
    statistics: IndexerStatistics | None = None
    status: str | None = None
    version: dict[str, Any] = {}
    error_message: str | None = None


class TrailDownload(Model):
    from_api: bool | None = None
    ip_address: str | None = None
    time: Timestamp = None
    username: str | None = None


class PartList(Model):
    """Any list of session parts with its meta (items left raw for the caller)."""

    items: list[Any]
    meta: ListMeta = Field(default_factory=ListMeta)
