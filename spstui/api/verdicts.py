"""Connection verdicts in every spelling the appliance uses.

The search syntax and the field description say `accept`, the top-level body
says `ACCEPT`, `recording.verdict` says `Accepted`, logs say `ZV_ACCEPT`.
`Verdict` keeps the raw value and knows the documented one.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

DOCUMENTED = (
    "accept", "accept-terminated", "auth-fail", "deny", "fail", "gw-auth-fail", "key-error",
    "user-mapping-fail",
)
_TEXT = {
    "accepted": "accept",
    "accepted, then terminated": "accept-terminated",
    "terminated": "accept-terminated",
    "authentication failure": "auth-fail",
    "denied": "deny",
    "failed": "fail",
    "gateway authentication failure": "gw-auth-fail",
    "host key mismatch": "key-error",
    "user mapping failure": "user-mapping-fail",
}


class VerdictValue(str):
    """A str equal to the raw verdict, with `.normalized` the documented spelling."""

    normalized: str

    def __new__(cls, raw: str) -> VerdictValue:
        self = super().__new__(cls, raw)
        self.normalized = normalize(raw)
        return self

    @property
    def accepted(self) -> bool:
        return self.normalized in ("accept", "accept-terminated")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            lambda value: cls(str(value)), serialization=core_schema.to_string_ser_schema())


def normalize(raw: str) -> str:
    text = raw.strip().lower()
    if text in _TEXT:
        return _TEXT[text]
    text = text.removeprefix("zv_").replace("_", "-")
    return text


Verdict = VerdictValue
