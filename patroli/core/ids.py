"""Time-ordered ids for the records a client names itself (UUID version 7, RFC 9562).

A visit, an incident or a concern gets its id where it is recorded, often on a phone without
signal, so that sending it again finds it. A random id (version 4) lands anywhere in the
primary key's B-tree and in every index that holds it (the visit's dialogue, its officers, its
photos): at the national size each insert then reads and dirties a page of its own in each of
those indexes, a page that is rarely in memory and, once dirtied after a checkpoint, written
whole to PostgreSQL's WAL. A version 7 id begins with the millisecond it was made, so the ids of
the day land side by side at the end of those indexes, in the few pages already in memory.

The id tells when the record was made, to the millisecond: no more than the record itself says.
"""

import secrets
import time
import uuid
from datetime import datetime

_MS = (1 << 48) - 1
_LOW = (1 << 62) - 1


def uuid7(moment: datetime | None = None, *, bits: int | None = None) -> uuid.UUID:
    """A version 7 UUID of ``moment`` (default: now) and 74 random ``bits`` (default: from
    ``secrets``; give them to make the id reproducible, as the synthetic country does)."""
    ms = time.time_ns() // 1_000_000 if moment is None else int(moment.timestamp() * 1000)
    if bits is None:
        bits = secrets.randbits(74)
    value = (ms & _MS) << 80 | 0x7 << 76 | (bits >> 62 & 0xFFF) << 64 | 0b10 << 62 | bits & _LOW
    return uuid.UUID(int=value)
