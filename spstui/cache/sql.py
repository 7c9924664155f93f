"""Pieces of SQL built by the query compiler."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    """A WHERE-clause expression over `sessions s`, with its parameters."""

    sql: str
    params: tuple[object, ...] = ()


MATCH_ALL = Condition("1")
MATCH_NONE = Condition("0")
