"""What each export holds and how it is written: CSV, XLSX and GeoJSON.

Every table is one query (``values_list`` over the scope's queryset, counts as subqueries), read
with ``iterator()`` so that millions of rows stream in constant memory and constant queries.
The column keys are a public contract: snake_case English, never translated, never renamed.
Reporters' names and contact details are never selected, so they cannot leak into a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from patroli.concerns.models import Concern

from .scope import Scope

CHUNK_SIZE = 2000
# An Excel sheet holds 1,048,576 rows; one is the header.
XLSX_MAX_ROWS = 1_048_575
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


@dataclass(frozen=True)
class Table:
    """One kind of export: its columns (key, field path or expression) and its rows."""

    # A field path, or a function making an expression (called per export: it may read the time)
    columns: tuple[tuple[str, str | Callable[[], Any]], ...]
    queryset: Callable[[Scope], QuerySet]
    order: tuple[str, ...]
    point: tuple[str, str]  # the column keys of the map point (latitude, longitude)

    @property
    def keys(self) -> list[str]:
        return [key for key, _source in self.columns]

    def rows(self, scope: Scope, *, limit: int | None = None) -> Iterator[list]:
        """The rows as lists of Python values, datetimes in the local time zone."""
        annotations = {f"x_{k}": src() for k, src in self.columns if not isinstance(src, str)}
        fields = [src if isinstance(src, str) else f"x_{k}" for k, src in self.columns]
        queryset = self.queryset(scope).annotate(**annotations).order_by(*self.order)
        queryset = queryset.values_list(*fields)
        if limit is not None:
            queryset = queryset[:limit]
        for row in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [_plain(value) for value in row]

    def point_index(self) -> tuple[int, int]:
        keys = self.keys
        return keys.index(self.point[0]), keys.index(self.point[1])


def _plain(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _visit_concerns():
    return Coalesce(
        Subquery(
            Concern.objects.filter(visit=OuterRef("pk"))
            .order_by()
            .values("visit")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _overdue():
    return Case(
        When(status__in=Concern.OPEN, due_at__lt=timezone.now(), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _own_or_site(field: str, site_field: str):
    """The record's coordinate when it has a point, else its site's (never a mix of the two)."""

    def expression():
        has_point = Q(lat__isnull=False, lon__isnull=False)
        return Case(When(has_point, then=F(field)), default=F(site_field))

    return expression


TABLES: dict[str, Table] = {
    "visits": Table(
        columns=(
            ("id", "id"),
            ("started_at", "started_at"),
            ("ended_at", "ended_at"),
            ("site", "site__name"),
            ("site_kind", "site__kind"),
            ("village_code", "site__village_id"),
            ("village", "site__village__name"),
            ("unit", "unit__name"),
            ("kind", "kind"),
            ("attendees", "attendees"),
            ("response", "response"),
            ("concerns", _visit_concerns),
            ("far_from_site", "far_from_site"),
            # The check-in point, or the site's when the phone gave none: where the map puts it.
            ("lat", _own_or_site("lat", "site__lat")),
            ("lon", _own_or_site("lon", "site__lng")),
        ),
        queryset=lambda scope: scope.visits(),
        order=("started_at", "id"),
        point=("lat", "lon"),
    ),
    "concerns": Table(
        columns=(
            ("tracking_code", "tracking_code"),
            ("created_at", "created_at"),
            ("status", "status"),
            ("category", "category__code"),
            ("source", "source"),
            ("village_code", "village_id"),
            ("village", "village__name"),
            ("site", "site__name"),
            ("unit", "unit__name"),
            ("due_at", "due_at"),
            ("overdue", _overdue),
            ("resolved_at", "resolved_at"),
            ("rating", "rating"),
            ("lat", "lat"),
            ("lon", "lon"),
        ),
        queryset=lambda scope: scope.concerns(),
        order=("created_at", "id"),
        point=("lat", "lon"),
    ),
    "incidents": Table(
        columns=(
            ("id", "id"),
            ("occurred_at", "occurred_at"),
            ("kind", "kind"),
            ("severity", "severity"),
            ("status", "status"),
            ("site", "site__name"),
            ("village_code", "village_id"),
            ("village", "village__name"),
            ("unit", "unit__name"),
            # The incident's own point, or its site's.
            ("lat", _own_or_site("lat", "site__lat")),
            ("lon", _own_or_site("lon", "site__lng")),
            ("description", "description"),
        ),
        queryset=lambda scope: scope.incidents(),
        order=("occurred_at", "id"),
        point=("lat", "lon"),
    ),
    "sites": Table(
        columns=(
            ("id", "id"),
            ("name", "name"),
            ("kind", "kind"),
            ("tps_number", "tps_number"),
            ("voters", "voters"),
            ("village_code", "village_id"),
            ("village", "village__name"),
            ("unit", "unit__name"),
            ("lat", "lat"),
            ("lng", "lng"),
            ("last_visit_at", "last_visit_at"),
            ("risk_score", "risk__score"),
            ("risk_level", "risk__level"),
        ),
        queryset=lambda scope: scope.sites().with_last_visit(),
        order=("village_id", "kind", "tps_number", "name", "id"),
        point=("lat", "lng"),
    ),
}


def filename(kind: str, scope: Scope, fmt: str) -> str:
    unit = scope.unit.code if scope.unit else "all"
    return f"{kind}-{unit}-{scope.start.isoformat()}-{scope.end.isoformat()}.{fmt}"


# -- CSV ----------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A spreadsheet would run it as a formula; the quote makes it plain text.
        return "'" + value
    return str(value)


def csv_chunks(keys: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text piece by piece, with a BOM so that Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(keys)
    for row in rows:
        yield writer.writerow([_csv_text(value) for value in row])


# -- GeoJSON ------------------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value


def geojson_chunks(keys: list[str], rows: Iterable[list], point: tuple[int, int]) -> Iterator[str]:
    """A FeatureCollection of Points, one feature at a time; rows without a point are left out."""
    lat_at, lon_at = point
    yield '{"type":"FeatureCollection","features":['
    separator = ""
    for row in rows:
        lat, lon = row[lat_at], row[lon_at]
        if lat is None or lon is None:
            continue
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {k: _json_value(v) for k, v in zip(keys, row, strict=True)},
        }
        yield separator + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        separator = ","
    yield "]}"


# -- XLSX ---------------------------------------------------------------------------------------


def _xlsx_cell(sheet, value):
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the local (WITA) wall-clock time, as the CSV shows it.
        return value.replace(tzinfo=None)
    if not isinstance(value, str):
        return value
    # Control characters are not allowed in the sheet's XML: one typed by mistake must not fail
    # the whole export.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


def write_xlsx(
    keys: list[str], rows: Iterable[list], *, sheet_title: str, limit: int = XLSX_MAX_ROWS
) -> IO[bytes]:
    """A workbook in an anonymous temporary file (rewound), with at most ``limit`` data rows.

    When there are more, the last of them says that the export was cut.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(keys)
    rows = iter(rows)
    for written, row in enumerate(rows):
        if written == limit - 1:
            if next(rows, None) is None:
                sheet.append([_xlsx_cell(sheet, v) for v in row])
            else:
                sheet.append(
                    [
                        _(
                            "Cut at %(rows)d rows, the most a spreadsheet holds: narrow the "
                            "filters or download CSV for everything."
                        )
                        % {"rows": written}
                    ]
                )
            break
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    # No name on disk, gone when closed: FileResponse closes it once sent.
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(file)
    file.seek(0)
    return file
