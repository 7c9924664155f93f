"""Audit trail bytes: deterministic, realistic in size, never held in memory whole.

The simulator cannot make real `.zat`/`.srs` files (they are a proprietary
format); it serves a recognisable header followed by a deterministic pattern,
so clients can check sizes, resumption and integrity byte for byte.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from functools import lru_cache

CHUNK = 64 * 1024


@lru_cache(maxsize=64)
def _pattern(seed: int, idx: int) -> bytes:
    return random.Random(seed * 31 + idx).randbytes(CHUNK)


def header(fmt: str, key: str) -> bytes:
    return f"SPS-SIMULATED-{fmt.upper()}\x00{key}\x00".encode()


def byte_range(seed: int, idx: int, head: bytes, start: int, end: int) -> bytes:
    """Bytes [start, end) of a trail: its header, then the session's pattern repeated."""
    out = bytearray()
    pos = start
    if pos < len(head):
        out += head[pos:min(end, len(head))]
        pos = len(out) + start
    pattern = _pattern(seed, idx)
    while pos < end:
        offset = (pos - len(head)) % CHUNK
        take = min(end - pos, CHUNK - offset)
        out += pattern[offset:offset + take]
        pos += take
    return bytes(out)


async def fixed(seed: int, idx: int, head: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, size, CHUNK):
        yield byte_range(seed, idx, head, start, min(size, start + CHUNK))


async def growing(seed: int, idx: int, head: bytes, recorded: Callable[[], int],
                  still_active: Callable[[], bool], poll: float = 0.2) -> AsyncIterator[bytes]:
    """Follow mode: send what has been recorded so far, then keep sending as the
    session records more, and finish once it has ended."""
    sent = 0
    while True:
        active = still_active()
        target = recorded()
        while sent < target:
            end = min(target, sent + CHUNK)
            yield byte_range(seed, idx, head, sent, end)
            sent = end
        if not active:
            return
        await asyncio.sleep(poll)
