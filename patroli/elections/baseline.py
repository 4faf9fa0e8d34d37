"""Import of IKP-style risk baselines per region from CSV.

Columns: ``region`` (a Kemendagri code of any level), ``social_political``, ``administration``,
``contestation``, ``participation`` (each 0-100, higher = more vulnerable) and an optional
``source``. All or nothing: any bad row writes nothing and every bad row is reported with its line.
A second run of the same file changes nothing. A region without a row inherits its nearest
ancestor's baseline when scores are computed (see :mod:`patroli.elections.risk`).
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from patroli.core.importing import (
    FileError,
    ImportResult,
    RowError,
    open_csv,
    parse_float,
    read_rows,
)
from patroli.regions.models import Region

from .models import RiskBaseline

DIMENSIONS = ("social_political", "administration", "contestation", "participation")
COLUMNS = {"region", *DIMENSIONS}
SOURCE_MAX = RiskBaseline._meta.get_field("source").max_length


def parse_row(row: dict[str, str]) -> dict:
    """The values of one row; ValueError naming the first problem."""
    if not row["region"]:
        raise ValueError("region is empty")
    values: dict = {"region": row["region"]}
    problems = []
    for name in DIMENSIONS:
        try:
            number = parse_float(row[name], name, 0, 100)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if number is None:
            problems.append(f"{name} is empty")
        values[name] = number
    source = row.get("source", "")
    if len(source) > SOURCE_MAX:
        problems.append(f"source is longer than {SOURCE_MAX} characters")
    if problems:
        raise ValueError("; ".join(problems))
    values["source"] = source
    return values


def import_baselines(path: str | Path) -> ImportResult:
    """Create or update the baselines of a CSV file; nothing is written when any row is bad."""
    result = ImportResult()
    parsed: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    try:
        with open_csv(path) as stream:
            for line, row in read_rows(stream, COLUMNS):
                try:
                    values = parse_row(row)
                except ValueError as exc:
                    result.errors.append(RowError(line, str(exc)))
                    continue
                code = values["region"]
                if code in seen:
                    result.errors.append(
                        RowError(line, f"region {code} appears twice (first on line {seen[code]})")
                    )
                    continue
                seen[code] = line
                parsed.append((line, values))
    except FileError as exc:  # missing columns, not UTF-8, not CSV
        result.errors.append(exc.row_error)
        return result

    codes = list(seen)
    known: set[str] = set()
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        known.update(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
    for line, values in parsed:
        if values["region"] not in known:
            result.errors.append(RowError(line, f"region {values['region']} does not exist"))
    if result.errors:
        result.errors.sort(key=lambda e: e.line or 0)
        return result

    existing = {
        b.region_id: b
        for start in range(0, len(codes), 1000)
        for b in RiskBaseline.objects.filter(region_id__in=codes[start : start + 1000])
    }
    fields = [*DIMENSIONS, "source"]
    with transaction.atomic():
        for _line, values in parsed:
            code = values.pop("region")
            old = existing.get(code)
            if old is not None and all(getattr(old, f) == values[f] for f in fields):
                result.unchanged += 1
                continue
            _baseline, created = RiskBaseline.objects.update_or_create(
                region_id=code, defaults=values
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
    result.written = True
    return result
