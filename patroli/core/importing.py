"""Shared shape of our CSV importers: every bad row is reported with its line number and reason."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NOT_UTF8 = "the file is not UTF-8 text; save it as CSV UTF-8"


@dataclass
class RowError:
    line: int | None  # None: the file as a whole
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportAborted(Exception):
    """Raised inside the transaction to roll back a file that had bad rows."""


def open_csv(path: str | Path) -> io.TextIOBase:
    """A text stream of a CSV file, gzipped or not, with any UTF-8 BOM dropped."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def read_rows(stream: io.TextIOBase, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; raises ValueError when required columns are missing."""
    reader = csv.DictReader(stream)
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
    for row in reader:
        # DictReader's line_num is the physical line the row ended on.
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def parse_float(value: str, name: str, low: float, high: float) -> float | None:
    if value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} is not a number: {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{name} {number} is outside {low}..{high}")
    return number
