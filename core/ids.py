"""Opaque, time-ordered ids: sortable by creation, unguessable, the same on every database."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_lock = threading.Lock()
_last = (0, 0)


def new_id() -> str:
    """26 characters: 48 bits of milliseconds then 80 random bits, monotonic within a process.

    Ordering by id is ordering by creation, which cursor pagination and the event log rely on.
    """
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        last_ms, last_rand = _last
        if ms <= last_ms:
            ms, rand = last_ms, last_rand + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for increments
        _last = (ms, rand)
    value = (ms << 80) | rand
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))
