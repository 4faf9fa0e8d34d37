"""CSV import of sites (columns in docs/import-sites.md). Re-importing updates, never duplicates."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from patroli.audit import services as audit
from patroli.core.importing import (
    FileError,
    ImportAborted,
    ImportResult,
    RowError,
    open_csv,
    parse_float,
    read_rows,
)
from patroli.regions.models import Region
from patroli.units.models import Unit

from .models import Site

REQUIRED = {"name", "kind", "village"}
UPDATABLE = ["unit_id", "lat", "lng", "address", "tps_number", "voters"]


def _parse_int(value: str, name: str, low: int, high: int) -> int | None:
    if value == "":
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


class _Lookups:
    """Caches villages and units so that a large file costs a few queries, not one per row."""

    def __init__(self):
        self.villages: dict[str, Region | None] = {}
        self.units: dict[str, Unit | None] = {}
        self.responsible: dict[str, Unit | None] = {}

    def village(self, code: str) -> Region | None:
        if code not in self.villages:
            self.villages[code] = Region.objects.filter(code=code, level=4).first()
        return self.villages[code]

    def unit(self, code: str) -> Unit | None:
        if code not in self.units:
            self.units[code] = Unit.objects.filter(code=code).first()
        return self.units[code]

    def unit_for(self, village: Region) -> Unit | None:
        # Keyed by village: a unit may hold a single village as its jurisdiction.
        if village.code not in self.responsible:
            self.responsible[village.code] = Unit.objects.responsible_for(village)
        return self.responsible[village.code]


def parse_row(row: dict[str, str], lookups: _Lookups) -> Site:
    problems = []
    name = row["name"]
    if not 2 <= len(name) <= 160:
        problems.append("name must be 2 to 160 characters")
    kind = row["kind"].lower()
    if kind not in Site.Kind.values:
        problems.append(f"kind {row['kind']!r} is not one of {', '.join(Site.Kind.values)}")
    village = lookups.village(row["village"])
    if village is None:
        problems.append(f"village {row['village']!r} is not a village code")
    unit = None
    if row.get("unit"):
        unit = lookups.unit(row["unit"])
        if unit is None:
            problems.append(f"unit {row['unit']!r} does not exist")
    elif village is not None:
        unit = lookups.unit_for(village)
        if unit is None:
            problems.append(f"no unit has jurisdiction over village {village.code}; add a unit")
    values = {}
    for key, parse in [
        ("lat", lambda v: parse_float(v, "lat", -90, 90)),
        ("lng", lambda v: parse_float(v, "lng", -180, 180)),
        ("tps_number", lambda v: _parse_int(v, "tps_number", 1, 9999)),
        ("voters", lambda v: _parse_int(v, "voters", 0, 100000)),
    ]:
        try:
            values[key] = parse(row.get(key, ""))
        except ValueError as exc:
            problems.append(str(exc))
    if (values.get("lat") is None) != (values.get("lng") is None) and not any(
        p.startswith(("lat", "lng")) for p in problems
    ):
        problems.append("lat and lng must be given together")
    if len(row.get("address", "")) > 255:
        problems.append("address is longer than 255 characters")
    if problems:
        raise ValueError("; ".join(problems))
    return Site(
        name=name, kind=kind, village=village, unit=unit, address=row.get("address", ""), **values
    )


def import_sites(path: str | Path, *, skip_invalid: bool = False, actor=None) -> ImportResult:
    """All or nothing, unless ``skip_invalid``: then the good rows are written, the bad reported.

    The audit trail gets one event for the run, with its counts."""
    result = ImportResult()
    lookups = _Lookups()
    seen: dict[tuple, int] = {}
    try:
        with transaction.atomic(), open_csv(path) as stream:
            for line, row in read_rows(stream, REQUIRED):
                try:
                    site = parse_row(row, lookups)
                except ValueError as exc:
                    result.errors.append(RowError(line, str(exc)))
                    continue
                key = (site.village_id, site.kind, site.name)
                if key in seen:
                    result.errors.append(RowError(line, f"same site as line {seen[key]}"))
                    continue
                seen[key] = line
                if result.errors and not skip_invalid:
                    continue  # keep validating to report every bad row, but write nothing
                _upsert(site, result)
            if result.errors and not skip_invalid:
                raise ImportAborted
            audit.record(
                actor,
                "site.import",
                Site,
                after={
                    "file": Path(path).name,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "skipped": len(result.errors),
                },
            )
    except ImportAborted:
        result.created = result.updated = result.unchanged = 0
        return result
    except FileError as exc:  # missing columns, not UTF-8, not CSV: nothing was written
        result.created = result.updated = result.unchanged = 0
        result.errors.append(exc.row_error)
        return result
    result.written = True
    return result


def _upsert(site: Site, result: ImportResult) -> None:
    old = Site.objects.filter(village=site.village, kind=site.kind, name=site.name).first()
    if old is None:
        site.save()
        result.created += 1
    elif all(getattr(old, f) == getattr(site, f) for f in UPDATABLE):
        result.unchanged += 1
    else:
        for f in UPDATABLE:
            setattr(old, f, getattr(site, f))
        old.save()
        result.updated += 1
