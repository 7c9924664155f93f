"""The simulator's application-level error.

The HTTP layer turns an :class:`ApiError` into a response with ``status`` as the
HTTP status code and the SPS error body::

    {"error": {"code": code, "message": message, "details": details},
     "meta": {"href": <request path>, "parent": <parent path>}}
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the simulated SPS REST API answers with instead of a result."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"ApiError(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, details={self.details!r})"
        )
