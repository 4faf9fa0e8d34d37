"""Time-ordered ids for the records a client names itself (UUID version 7, RFC 9562).

A visit, an incident or a concern gets its id where it is recorded, often on a phone without
signal, so that sending it again finds it. A random id (version 4) lands anywhere in the
primary key's B-tree and in every index that holds it (the visit's dialogue, its officers, its
photos); a version 7 id begins with the millisecond it was made, so the day's ids land side by
side at the end of those indexes, in pages already in memory.

Measured at the national size (10 million visits, benchmarks/suite.py) on a machine whose
memory holds every index, it changed nothing clear: the single POST's share of its floor was
0.50 with either (ten rounds each, taken in turn), and the WAL written per visit was alike
except just after a checkpoint (13 against 29 kB). It is kept for where the indexes outgrow
memory, where a random id costs a read for each index it lands in.

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
