"""Streaming, idempotent import of the Kemendagri region file (see docs/data.md)."""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

from django.db import transaction

from patroli.core.importing import (
    FileError,
    ImportAborted,
    ImportResult,
    RowError,
    open_csv,
    parse_float,
    read_rows,
)

from .models import Region, fold

DEFAULT_FILE = Path(__file__).parent / "data" / "wilayah_kepmendagri_2025.csv.gz"
COLUMNS = {"kode", "kode_induk", "tingkat", "jenis", "nama", "lat", "lng"}
CODE_PATTERNS = {
    1: re.compile(r"^\d{2}$"),
    2: re.compile(r"^\d{2}\.\d{2}$"),
    3: re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    4: re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
KINDS = set(Region.Kind.values)
FIELDS = ["parent_id", "level", "kind", "name", "search_name", "lat", "lng", "postal_code"]
BATCH = 5000


def parse_row(row: dict[str, str]) -> Region:
    try:
        level = int(row["tingkat"])
    except ValueError:
        raise ValueError(f"tingkat must be 1-4, not {row['tingkat']!r}") from None
    code = row["kode"]
    if level not in CODE_PATTERNS:
        raise ValueError(f"tingkat must be 1-4, not {level}")
    if not CODE_PATTERNS[level].match(code):
        raise ValueError(f"kode {code!r} is not a level-{level} Kemendagri code")
    parent = row["kode_induk"] or None
    expected_parent = code.rsplit(".", 1)[0] if level > 1 else None
    if parent != expected_parent:
        raise ValueError(f"kode_induk {parent!r} should be {expected_parent!r} for {code}")
    kind = row["jenis"].lower()
    if kind not in KINDS:
        raise ValueError(f"jenis {row['jenis']!r} is not one of {', '.join(sorted(KINDS))}")
    if not row["nama"]:
        raise ValueError("nama is empty")
    lat = parse_float(row["lat"], "lat", -90, 90)
    lng = parse_float(row["lng"], "lng", -180, 180)
    if (lat is None) != (lng is None):
        raise ValueError("lat and lng must be given together")
    postal = row.get("kodepos", "")
    if postal and not re.fullmatch(r"\d{5}", postal):
        raise ValueError(f"kodepos {postal!r} is not five digits")
    return Region(
        code=code,
        parent_id=parent,
        level=level,
        kind=kind,
        name=row["nama"][:120],
        search_name=fold(row["nama"])[:120],
        lat=lat,
        lng=lng,
        postal_code=postal,
    )


def _same(a: Region, b: Region) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in FIELDS)


def import_regions(path: str | Path = DEFAULT_FILE, *, max_errors: int = 100) -> ImportResult:
    """Load regions from a CSV, gzipped or not. All or nothing; a second run changes nothing."""
    result = ImportResult()
    seen: set[str] = set()
    missing_parents: dict[str, int] = {}
    try:
        with transaction.atomic(), open_csv(path) as stream:
            rows = read_rows(stream, COLUMNS)
            while batch := list(islice(rows, BATCH)):
                parsed: list[Region] = []
                for line, row in batch:
                    try:
                        region = parse_row(row)
                    except ValueError as exc:
                        result.errors.append(RowError(line, str(exc)))
                        continue
                    if region.code in seen:
                        result.errors.append(RowError(line, f"kode {region.code} appears twice"))
                        continue
                    seen.add(region.code)
                    if region.parent_id and region.parent_id not in seen:
                        missing_parents.setdefault(region.parent_id, line)
                    parsed.append(region)
                if len(result.errors) >= max_errors:
                    break
                _write_batch(parsed, result)
            unresolved = {c: ln for c, ln in missing_parents.items() if c not in seen}
            if unresolved:
                known = set(
                    Region.objects.filter(code__in=unresolved).values_list("code", flat=True)
                )
                for code, line in unresolved.items():
                    if code not in known:
                        result.errors.append(RowError(line, f"parent {code} does not exist"))
            if result.errors:
                raise ImportAborted
    except ImportAborted:
        result.created = result.updated = result.unchanged = 0
        result.errors.sort(key=lambda e: e.line)
        return result
    except FileError as exc:  # missing columns, not UTF-8, not CSV: nothing was written
        result.created = result.updated = result.unchanged = 0
        result.errors.append(exc.row_error)
        return result
    result.written = True
    return result


def _write_batch(parsed: list[Region], result: ImportResult) -> None:
    existing = Region.objects.in_bulk([r.code for r in parsed])
    new, changed = [], []
    for region in parsed:
        old = existing.get(region.code)
        if old is None:
            new.append(region)
        elif _same(old, region):
            result.unchanged += 1
        else:
            changed.append(region)
    Region.objects.bulk_create(new, batch_size=1000)
    Region.objects.bulk_update(changed, FIELDS, batch_size=1000)
    result.created += len(new)
    result.updated += len(changed)
