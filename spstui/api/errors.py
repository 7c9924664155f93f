"""Everything that can go wrong talking to an appliance, as one exception family.

Messages are written for the person at the keyboard: what failed, why, and
what to try. `status`, `code` and `request` carry the details for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    method: str
    url: str

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


class SpsError(Exception):
    """Base class: something the appliance or the network refused."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None,
                 code: str | None = None, request: RequestInfo | None = None,
                 details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.code = code
        self.request = request
        self.details = details

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class ConnectionFailed(SpsError):
    """The appliance could not be reached (DNS, refused, reset, unreachable)."""


class TlsError(ConnectionFailed):
    """The TLS handshake failed, usually an untrusted or mismatched certificate."""


class RequestTimeout(SpsError):
    """The appliance did not answer in time."""


class AuthenticationFailed(SpsError):
    """The credentials (or certificate) were refused."""


class PermissionDenied(SpsError):
    """Logged in, but this user may not do that (403)."""


class NotFound(SpsError):
    """The object does not exist (404)."""


class NoAuditTrail(NotFound):
    """The session was not recorded: there is no audit trail to download or follow."""


class InvalidRequest(SpsError):
    """The appliance rejected the request's parameters or body (400)."""


class Conflict(SpsError):
    """The configuration is locked by another administrator's transaction (409)."""


class QuotaExceeded(SpsError):
    """Too many open search snapshots (429); retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(SpsError):
    """The appliance failed (5xx)."""


class ProtocolError(SpsError):
    """The appliance answered something this client cannot understand."""


class TransferInterrupted(SpsError):
    """A download stopped before it was complete."""
