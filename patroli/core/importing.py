"""Shared shape of our CSV importers: every bad row is reported with its line number and reason."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

NOT_UTF8 = "the file is not UTF-8 text; save it as CSV UTF-8"
NOT_TEXT = "the file holds NUL characters (UTF-16?); save it as CSV UTF-8"
NOT_GZIP = "the file is not gzip, or it is cut short"


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


class FileError(Exception):
    """The file cannot be read on from ``line``: missing columns, not UTF-8, not CSV, a broken
    gzip. The importer reports it with the rows it rejected before, and writes nothing."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message

    @property
    def row_error(self) -> RowError:
        return RowError(self.line, self.message)


# Bytes that are not UTF-8, kept as lone surrogates by the "surrogateescape" error handler.
UNDECODED = re.compile("[\udc80-\udcff]")


def open_csv(path: str | Path) -> io.TextIOBase:
    """A text stream of a CSV file, gzipped or not, with any UTF-8 BOM dropped.

    Bytes that are not UTF-8 do not stop the reading: read_rows finds them on their line."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _check_text(line: int, values) -> None:
    text = "".join(values)
    if UNDECODED.search(text):
        raise FileError(line, NOT_UTF8)
    if "\x00" in text:  # also what a UTF-16 file ("Unicode text") looks like read as UTF-8
        raise FileError(line, NOT_TEXT)


@contextmanager
def _reading(reader: csv.DictReader):
    """Errors of reading on as FileError, on the line being read."""
    try:
        yield
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
        raise FileError(max(reader.line_num, 1), f"not readable as CSV: {exc}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise FileError(reader.line_num + 1, NOT_GZIP) from None


def read_rows(stream: io.TextIOBase, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; FileError on the line from which the file cannot be read."""
    reader = csv.DictReader(stream)
    with _reading(reader):
        fieldnames = reader.fieldnames or []
    _check_text(1, fieldnames)
    missing = required - set(fieldnames)
    if missing:
        raise FileError(1, f"missing columns: {', '.join(sorted(missing))}")
    rows = iter(reader)
    while True:
        with _reading(reader):
            row = next(rows, None)
        if row is None:
            return
        # DictReader's line_num is the physical line the row ended on.
        _check_text(reader.line_num, [v for v in row.values() if isinstance(v, str)])
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
